package hub_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/observable"
	"github.com/rxsse/rxsse/observable/hub"
)

var benchEvent = encoder.MessageEvent{Data: "a chat message of a typical size, some fifty bytes"}

func pulled(b *testing.B, h *hub.Hub, ctx context.Context, n int, topics ...string) []observable.Iterator {
	its := make([]observable.Iterator, n)
	for i := range its {
		its[i] = h.Subscribe("", topics...).(puller).Pull(ctx)
		its[i].Next() // Empty: it now waits on Ready, as an idle transport does
	}
	return its
}

// BenchmarkPublish measures one Publish to n idle subscribers: what the
// publisher pays, whatever n (it wakes the subscribers' group once).
func BenchmarkPublish(b *testing.B) {
	for _, n := range []int{1, 100, 10_000} {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) {
			h := hub.New(hub.WithLogger(quiet))
			defer h.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			pulled(b, h, ctx, n)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := h.Publish(ctx, benchEvent); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPublishAndRead measures one Publish to n subscribers and every
// subscriber reading it (Next, then Empty and re-arming Ready), on one
// goroutine: the whole fan-out cost of an event.
func BenchmarkPublishAndRead(b *testing.B) {
	for _, n := range []int{1, 100, 10_000} {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) {
			h := hub.New(hub.WithLogger(quiet))
			defer h.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			its := pulled(b, h, ctx, n)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := h.Publish(ctx, benchEvent); err != nil {
					b.Fatal(err)
				}
				for _, it := range its {
					if _, st := it.Next(); st != observable.Value {
						b.Fatal(st)
					}
					it.Next()
				}
			}
		})
	}
}

// BenchmarkSubscribe measures starting and ending one pulled subscription.
func BenchmarkSubscribe(b *testing.B) {
	h := hub.New(hub.WithLogger(quiet))
	defer h.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pulled(b, h, ctx, 100) // others are subscribed
	b.ReportAllocs()
	for b.Loop() {
		it := h.Subscribe("").(puller).Pull(ctx)
		it.Close()
	}
}

// BenchmarkIdleSubscriber measures the heap one idle subscription holds
// (B/subscriber): pulled, as the transport will, and observed through rxgo
// (a relay goroutine, whose stack is not heap and is reported apart as
// stack-B/subscriber).
func BenchmarkIdleSubscriber(b *testing.B) {
	for _, mode := range []string{"pulled", "observed"} {
		b.Run(mode, func(b *testing.B) {
			h := hub.New(hub.WithLogger(quiet))
			defer h.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			held := make([]any, 0, b.N)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			b.ResetTimer()
			for range b.N {
				if mode == "pulled" {
					it := h.Subscribe("").(puller).Pull(ctx)
					it.Next()
					held = append(held, it)
				} else {
					held = append(held, h.Subscribe("").Observe(rxgo.WithContext(ctx)))
				}
			}
			b.StopTimer()
			runtime.GC()
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(b.N), "B/subscriber")
			b.ReportMetric(max(0, float64(int64(after.StackInuse)-int64(before.StackInuse)))/float64(b.N), "stack-B/subscriber")
			runtime.KeepAlive(held)
		})
	}
}

// BenchmarkMap measures one event through a subscription with a Map: fused
// and pulled, against rxgo's Map observed through channels (what every
// operator cost before).
func BenchmarkMap(b *testing.B) {
	id := func(_ context.Context, v any) (any, error) { return v, nil }
	b.Run("pulled without Map", func(b *testing.B) {
		benchPulled(b, func(o rxgo.Observable) rxgo.Observable { return o })
	})
	b.Run("fused Map pulled", func(b *testing.B) {
		benchPulled(b, func(o rxgo.Observable) rxgo.Observable { return o.Map(id) })
	})
	b.Run("rxgo Map observed", func(b *testing.B) {
		h := hub.New(hub.WithLogger(quiet))
		defer h.Close()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		// rxgo's Map subscribes on its own goroutine, after Observe has
		// returned: resuming from an event published first makes sure it
		// gets every later one, however late it subscribes.
		first, err := h.Publish(ctx, benchEvent)
		if err != nil {
			b.Fatal(err)
		}
		ch := h.Subscribe(first).Map(id, rxgo.WithBufferedChannel(0)).Observe(rxgo.WithContext(ctx))
		b.ReportAllocs()
		for b.Loop() {
			h.Publish(ctx, benchEvent)
			<-ch
		}
	})
}

func benchPulled(b *testing.B, chain func(rxgo.Observable) rxgo.Observable) {
	h := hub.New(hub.WithLogger(quiet))
	defer h.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	it := chain(h.Subscribe("")).(puller).Pull(ctx)
	b.ReportAllocs()
	for b.Loop() {
		h.Publish(ctx, benchEvent)
		if _, st := it.Next(); st != observable.Value {
			b.Fatal(st)
		}
	}
}
