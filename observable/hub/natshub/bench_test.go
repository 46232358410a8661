package natshub

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/observable"
	"github.com/rxsse/rxsse/observable/hub"
)

// BenchmarkPublishToDelivery publishes b.N events and measures, at one
// subscriber per instance: events/s from the first Publish to the last
// delivery everywhere, and the publish-to-delivery latency (p50, p99).
// "hub" is the in-memory hub; "nats-N" is N instances, each with its own
// connection, on one file-stored stream of an embedded nats-server (same
// process, same 2 cores); "-memory" stores the stream in memory. Publishers publish from every instance in turn;
// with one publisher each Publish waits for the previous one's ack.
func BenchmarkPublishToDelivery(b *testing.B) {
	for _, setup := range []string{"hub", "nats-1", "nats-3", "nats-1-memory"} {
		for _, publishers := range []int{1, 16} {
			b.Run(fmt.Sprintf("%s/publishers=%d", setup, publishers), func(b *testing.B) {
				brokers := benchBrokers(b, setup)
				benchDelivery(b, brokers, publishers, 0)
			})
		}
	}
}

// BenchmarkLatencyAtAThousandPerSecond is BenchmarkPublishToDelivery with
// one publisher paced at 1,000 events/s: the latency of a system that is
// not saturated. Run it with -benchtime=2000x (two seconds).
func BenchmarkLatencyAtAThousandPerSecond(b *testing.B) {
	for _, setup := range []string{"hub", "nats-1", "nats-3"} {
		b.Run(setup, func(b *testing.B) {
			benchDelivery(b, benchBrokers(b, setup), 1, time.Millisecond)
		})
	}
}

func benchBrokers(b *testing.B, setup string) []hub.Broker {
	if setup == "hub" {
		h := hub.New(hub.WithReplayCount(1024), hub.WithBuffer(1<<16))
		b.Cleanup(func() { h.Close() })
		return []hub.Broker{h}
	}
	n := startNATS(b)
	cfg := Config{Buffer: 1 << 16, ReplayCount: 1 << 20, MemoryStorage: strings.HasSuffix(setup, "-memory")}
	count, _ := strconv.Atoi(strings.TrimSuffix(setup[len("nats-"):], "-memory"))
	var out []hub.Broker
	for range count {
		out = append(out, newBroker(b, connect(b, n.url), cfg))
	}
	return out
}

// benchDelivery publishes b.N events from publishers goroutines, each
// publishing as fast as it can, or one every pace if pace is positive.
func benchDelivery(b *testing.B, brokers []hub.Broker, publishers int, pace time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		lat  []time.Duration
		last time.Time
		err  error
	}
	results := make([]result, len(brokers))
	var subs sync.WaitGroup
	for i, br := range brokers {
		it := br.Subscribe("").(puller).Pull(ctx)
		subs.Go(func() {
			defer it.Close()
			r := &results[i]
			r.lat = make([]time.Duration, 0, b.N)
			for len(r.lat) < b.N {
				item, st := it.Next()
				switch st {
				case observable.Empty:
					select {
					case <-it.Ready():
					case <-ctx.Done():
						r.err = ctx.Err()
						return
					}
					continue
				case observable.Done:
					r.err = fmt.Errorf("ended after %d", len(r.lat))
					return
				}
				if item.E != nil {
					r.err = item.E
					return
				}
				sent, _ := strconv.ParseInt(item.V.(encoder.MessageEvent).Data.(string), 10, 64)
				r.lat = append(r.lat, time.Since(time.Unix(0, sent)))
			}
			r.last = time.Now()
		})
	}
	b.ResetTimer()
	start := time.Now()
	var pubs sync.WaitGroup
	for p := range publishers {
		pubs.Go(func() {
			var tick <-chan time.Time
			if pace > 0 {
				t := time.NewTicker(pace)
				defer t.Stop()
				tick = t.C
			}
			for i := p; i < b.N; i += publishers {
				if tick != nil {
					<-tick
				}
				br := brokers[i%len(brokers)]
				data := strconv.FormatInt(time.Now().UnixNano(), 10)
				if _, err := br.Publish(ctx, encoder.MessageEvent{Data: data}); err != nil {
					b.Error(err)
					cancel()
					return
				}
			}
		})
	}
	pubs.Wait()
	published := time.Since(start)
	subs.Wait()
	b.StopTimer()
	var all []time.Duration
	var last time.Time
	for _, r := range results {
		if r.err != nil {
			b.Fatal(r.err)
		}
		all = append(all, r.lat...)
		if r.last.After(last) {
			last = r.last
		}
	}
	slices.Sort(all)
	b.ReportMetric(float64(b.N)/last.Sub(start).Seconds(), "events/s")
	b.ReportMetric(float64(b.N)/published.Seconds(), "published/s")
	b.ReportMetric(float64(all[len(all)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkResumeFromTheStream measures a resume older than the local
// window: a new subscription reads b.N events from JetStream, then joins
// the live fan-out.
func BenchmarkResumeFromTheStream(b *testing.B) {
	n := startNATS(b)
	br := newBroker(b, connect(b, n.url), Config{ReplayCount: 1 << 20, LocalWindow: 1})
	ctx := context.Background()
	first := ""
	for i := range b.N + 1 {
		id, err := br.Publish(ctx, encoder.MessageEvent{Data: strconv.Itoa(i)})
		if err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			first = id
		}
	}
	b.ResetTimer()
	s := subscribe(b, br, first)
	for range b.N {
		s.event()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
