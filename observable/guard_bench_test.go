package observable

import (
	"context"
	"testing"

	"github.com/reactivex/rxgo/v2"
)

// BenchmarkChain measures the cost of the guard on a Map and a Filter over
// 1,000 items: the recover in Map, and Filter's stage ahead.
func BenchmarkChain(b *testing.B) {
	items := make([]any, 1000)
	for i := range items {
		items[i] = i
	}
	for _, bc := range []struct {
		name string
		wrap func(rxgo.Observable) rxgo.Observable
	}{
		{"rxgo", func(o rxgo.Observable) rxgo.Observable { return o }},
		{"guarded", Guard},
	} {
		b.Run(bc.name+"/Map", func(b *testing.B) {
			for b.Loop() {
				drainAll(bc.wrap(rxgo.Just(items...)()).Map(double))
			}
		})
		b.Run(bc.name+"/Filter", func(b *testing.B) {
			for b.Loop() {
				drainAll(bc.wrap(rxgo.Just(items...)()).Filter(even))
			}
		})
	}
}

func drainAll(o rxgo.Observable) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for range o.Observe(rxgo.WithContext(ctx)) {
	}
}
