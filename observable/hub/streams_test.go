package hub_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/observable/hub"
	"github.com/rxsse/rxsse/transport"
)

// countingWriter is a ResponseWriter that keeps nothing: it counts the
// writes after the response's start and calls wrote for each one, so a
// test can wait for every stream to have written an event.
type countingWriter struct {
	header http.Header
	wrote  func()
	mu     sync.Mutex
	writes int
}

func (w *countingWriter) Header() http.Header { return w.header }
func (w *countingWriter) WriteHeader(int)     {}
func (w *countingWriter) Flush()              {}
func (w *countingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.writes++
	w.mu.Unlock()
	w.wrote()
	return len(p), nil
}

// broadcast runs n transport streams of one hub route, each on its own
// goroutine with a ResponseWriter that discards, as a server's handlers
// would: route turns the hub's subscription into the route's Observable.
// publish publishes one event and returns once every stream has written
// it; stop ends the streams.
type broadcast struct {
	h       *hub.Hub
	written sync.WaitGroup
	stop    func()
}

func newBroadcast(tb testing.TB, n int, route func(rxgo.Observable) rxgo.Observable) *broadcast {
	tb.Helper()
	bc := &broadcast{h: hub.New(hub.WithLogger(quiet), hub.WithReplayCount(16))}
	handler := transport.Handler(func(r *http.Request) rxgo.Observable {
		return route(bc.h.Subscribe(transport.LastEventID(r)))
	}, transport.WithHeartbeat(0))
	ctx, cancel := context.WithCancel(context.Background())
	var done sync.WaitGroup
	bc.written.Add(n) // every stream's start: a newline and its start id
	for range n {
		w := &countingWriter{header: http.Header{}, wrote: bc.written.Done}
		r := httptest.NewRequestWithContext(ctx, http.MethodGet, "/events", nil)
		done.Go(func() { handler.ServeHTTP(w, r) })
	}
	bc.written.Wait()
	bc.stop = func() {
		cancel()
		done.Wait()
		bc.h.Close()
	}
	return bc
}

// publish publishes one event and waits until every stream wrote it.
func (bc *broadcast) publish(tb testing.TB, n int, ev encoder.MessageEvent) {
	bc.written.Add(n)
	if _, err := bc.h.Publish(context.Background(), ev); err != nil {
		tb.Fatal(err)
	}
	bc.written.Wait()
}

// routes are the hub routes whose cost per event per subscriber is
// measured: the subscription as it is, through a fused Filter, and through
// a fused Map that makes a new event.
var routes = []struct {
	name  string
	route func(rxgo.Observable) rxgo.Observable
}{
	{"plain", func(o rxgo.Observable) rxgo.Observable { return o }},
	{"filter", func(o rxgo.Observable) rxgo.Observable {
		return o.Filter(func(v any) bool { return v.(encoder.MessageEvent).Type != "private" })
	}},
	{"map", func(o rxgo.Observable) rxgo.Observable {
		return o.Map(func(_ context.Context, v any) (any, error) {
			ev := v.(encoder.MessageEvent)
			ev.Type = "chat"
			return ev, nil
		})
	}},
}

// BenchmarkBroadcastStreams measures one event published to a hub route
// and written by each of its n transport streams (a ResponseWriter that
// discards): the server's whole cost of a broadcast event, one op per
// event, and its allocations per event per subscriber
// (allocs/event/subscriber).
func BenchmarkBroadcastStreams(b *testing.B) {
	for _, rt := range routes {
		for _, n := range []int{1, 100, 1000} {
			b.Run(fmt.Sprintf("route=%s/subscribers=%d", rt.name, n), func(b *testing.B) {
				bc := newBroadcast(b, n, rt.route)
				defer bc.stop()
				b.ReportAllocs()
				var before, after runtimeMemStats
				readMemStats(&before)
				for b.Loop() {
					bc.publish(b, n, benchEvent)
				}
				readMemStats(&after)
				b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N)/float64(n), "allocs/event/subscriber")
			})
		}
	}
}

type runtimeMemStats = runtime.MemStats

func readMemStats(m *runtime.MemStats) { runtime.ReadMemStats(m) }
