package observable_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/observable"
)

// BenchmarkHubIdleSubscriber measures what one idle subscription holds:
// heap bytes retained per subscriber (B/subscriber) with the default
// buffer, and the cost of subscribing (ns/op, B/op).
func BenchmarkHubIdleSubscriber(b *testing.B) {
	h := observable.NewHub(observable.WithHubLogger(quiet))
	defer h.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	chans := make([]<-chan rxgo.Item, 0, b.N)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for range b.N {
		chans = append(chans, h.Subscribe("").Observe(rxgo.WithContext(ctx)))
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(b.N), "B/subscriber")
	runtime.KeepAlive(chans)
}

// BenchmarkHubPublish measures one Publish to n idle subscribers that keep
// up (their buffers are emptied, outside the timer, before they fill).
func BenchmarkHubPublish(b *testing.B) {
	for _, n := range []int{1, 100, 10_000} {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) {
			h := observable.NewHub(observable.WithHubLogger(quiet))
			defer h.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			chans := make([]<-chan rxgo.Item, n)
			for i := range chans {
				chans[i] = h.Subscribe("").Observe(rxgo.WithContext(ctx))
			}
			ev := encoder.MessageEvent{Data: "a chat message of a typical size, some fifty bytes"}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if _, err := h.Publish(ctx, ev); err != nil {
					b.Fatal(err)
				}
				if (i+1)%(observable.DefaultSubscriberBuffer-1) == 0 {
					b.StopTimer()
					for _, ch := range chans {
						for len(ch) > 0 {
							<-ch
						}
					}
					b.StartTimer()
				}
			}
		})
	}
}
