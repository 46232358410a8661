package transport_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/observable"
	"github.com/rxsse/rxsse/transport"
)

type quote struct {
	Symbol string  `json:"symbol"`
	Price  float64 `json:"price"`
	Seq    int     `json:"seq"`
}

// BenchmarkStreamBurst measures the full path — source, transport, HTTP/1.1
// over loopback, client-side decoding — for a burst of small JSON events.
// One op is one event; allocations count both ends.
func BenchmarkStreamBurst(b *testing.B) {
	firehose(b, func(count int) rxgo.Observable {
		return rxgo.Defer([]rxgo.Producer{func(ctx context.Context, next chan<- rxgo.Item) {
			for i := range count {
				select {
				case next <- rxgo.Of(encoder.MessageEvent{Data: quote{"RXS", 42.5, i}}):
				case <-ctx.Done():
					return
				}
			}
		}})
	})
}

// BenchmarkIdleStream measures what an open, idle stream costs: goroutines
// and memory (heap and stacks) per stream, counting both ends of the
// connection and the source's producer, since they share the process.
func BenchmarkIdleStream(b *testing.B) {
	const streams = 200
	ts := httptest.NewServer(transport.Handler(func(*http.Request) rxgo.Observable { return idle(nil) }))
	defer ts.Close()
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: streams}}
	var goroutines, bytes float64
	for b.Loop() {
		g0, m0 := usage()
		var open []*http.Response
		for range streams {
			resp, err := client.Get(ts.URL)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := resp.Body.Read(make([]byte, 1)); err != nil {
				b.Fatal(err)
			}
			open = append(open, resp)
		}
		g1, m1 := usage()
		goroutines = float64(g1-g0) / streams
		bytes = float64(m1-m0) / streams
		for _, resp := range open {
			resp.Body.Close()
		}
	}
	client.CloseIdleConnections()
	b.ReportMetric(goroutines, "goroutines/stream")
	b.ReportMetric(bytes, "bytes/stream")
}

func usage() (int, uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return runtime.NumGoroutine(), ms.HeapAlloc + ms.StackInuse
}

// countSource is a pulled Observable of n quote events, all ready at once;
// it is also an ordinary Observable, for transports that do not pull.
type countSource struct {
	rxgo.Observable
	n int
}

func newCountSource(n int) *countSource {
	s := &countSource{n: n}
	s.Observable = rxgo.Defer([]rxgo.Producer{func(ctx context.Context, next chan<- rxgo.Item) {
		it := s.Pull(ctx)
		defer it.Close()
		for {
			item, st := it.Next()
			if st != observable.Value {
				return
			}
			select {
			case next <- item:
			case <-ctx.Done():
				return
			}
		}
	}})
	return s
}

func (s *countSource) Pull(context.Context) observable.Iterator { return &countIterator{n: s.n} }

type countIterator struct{ i, n int }

var alwaysReady = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func (c *countIterator) Ready() <-chan struct{} { return alwaysReady }
func (c *countIterator) Close()                 {}
func (c *countIterator) StartID() string        { return "" }
func (c *countIterator) Next() (rxgo.Item, observable.State) {
	if c.i >= c.n {
		return rxgo.Item{}, observable.Done
	}
	c.i++
	return rxgo.Of(encoder.MessageEvent{Data: quote{"RXS", 42.5, c.i}}), observable.Value
}

// firehose serves source(b.N) and reads the whole stream over loopback
// HTTP, reporting events/s; it fails the benchmark on a short stream.
func firehose(b *testing.B, source func(n int) rxgo.Observable) {
	b.Helper()
	want := b.N
	ts := httptest.NewServer(transport.Handler(func(*http.Request) rxgo.Observable {
		return source(want)
	}, transport.WithHeartbeat(0)))
	defer ts.Close()
	url := ts.URL
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	resp, err := http.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	dec := encoder.NewDecoder(resp.Body)
	got := 0
	for {
		_, err := dec.Decode()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		got++
	}
	b.StopTimer()
	if got != want {
		b.Fatalf("decoded %d of %d events", got, want)
	}
	b.ReportMetric(float64(want)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkFirehoseMap is the firehose as users write it: a cold producer
// and a Map to MessageEvent, over loopback HTTP. One op is one event.
func BenchmarkFirehoseMap(b *testing.B) {
	firehose(b, func(count int) rxgo.Observable {
		return rxgo.Defer([]rxgo.Producer{func(ctx context.Context, next chan<- rxgo.Item) {
			for i := range count {
				select {
				case next <- rxgo.Of(i):
				case <-ctx.Done():
					return
				}
			}
		}}).Map(func(_ context.Context, v any) (any, error) {
			return encoder.MessageEvent{Data: quote{"RXS", 42.5, v.(int)}}, nil
		})
	})
}

// BenchmarkFirehoseDefer is the firehose written the documented way for a
// producer of one's own: observable.Defer (guarded, cold) and a Map, over
// loopback HTTP. One op is one event.
func BenchmarkFirehoseDefer(b *testing.B) {
	firehose(b, func(count int) rxgo.Observable {
		return observable.Defer(func(ctx context.Context, next chan<- rxgo.Item) {
			for i := range count {
				if !rxgo.Of(i).SendContext(ctx, next) {
					return
				}
			}
		}).Map(func(_ context.Context, v any) (any, error) {
			return encoder.MessageEvent{Data: quote{"RXS", 42.5, v.(int)}}, nil
		})
	})
}

// BenchmarkFirehoseRange is the firehose as the README and the load
// benchmark write it: observable.Range and a Map, pulled on the response's
// goroutine with the Map fused. One op is one event.
func BenchmarkFirehoseRange(b *testing.B) {
	firehose(b, func(count int) rxgo.Observable {
		return observable.Range(0, count).Map(func(_ context.Context, v any) (any, error) {
			return encoder.MessageEvent{Data: quote{"RXS", 42.5, v.(int)}}, nil
		})
	})
}

// BenchmarkPullSource streams a pulled source over loopback HTTP. One op is
// one event.
func BenchmarkPullSource(b *testing.B) {
	firehose(b, func(n int) rxgo.Observable { return newCountSource(n) })
}

// BenchmarkPerRequest measures one whole request over a kept-alive loopback
// connection: connect, one event, end of stream. Allocations count both
// ends.
func BenchmarkPerRequest(b *testing.B) {
	ts := httptest.NewServer(transport.Handler(func(*http.Request) rxgo.Observable {
		return rxgo.Just(encoder.MessageEvent{Data: "hello"})()
	}, transport.WithHeartbeat(0)))
	defer ts.Close()
	client := ts.Client()
	b.ReportAllocs()
	for b.Loop() {
		resp, err := client.Get(ts.URL)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
	}
}

// BenchmarkPerConnection is BenchmarkPerRequest on a fresh connection each
// time: dial, request, one event, end of stream, hang up.
func BenchmarkPerConnection(b *testing.B) {
	ts := httptest.NewServer(transport.Handler(func(*http.Request) rxgo.Observable {
		return rxgo.Just(encoder.MessageEvent{Data: "hello"})()
	}, transport.WithHeartbeat(0)))
	defer ts.Close()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	b.ReportAllocs()
	for b.Loop() {
		resp, err := client.Get(ts.URL)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
	}
}
