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
	n := 0
	ts := httptest.NewServer(transport.Handler(func(*http.Request) rxgo.Observable {
		count := n
		return rxgo.Defer([]rxgo.Producer{func(ctx context.Context, next chan<- rxgo.Item) {
			for i := range count {
				select {
				case next <- rxgo.Of(encoder.MessageEvent{Data: quote{"RXS", 42.5, i}}):
				case <-ctx.Done():
					return
				}
			}
		}})
	}, transport.WithHeartbeat(0)))
	defer ts.Close()
	n = b.N
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	resp, err := http.Get(ts.URL)
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
	if got != b.N {
		b.Fatalf("decoded %d of %d events", got, b.N)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
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
