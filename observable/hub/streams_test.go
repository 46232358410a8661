package hub_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"unsafe"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/observable/hub"
	"github.com/rxsse/rxsse/transport"
)

// countingWriter is a ResponseWriter that keeps nothing: it calls wrote
// for each write, so a test can wait for every stream to have written an
// event, and remembers where the last write's bytes were.
type countingWriter struct {
	header http.Header
	wrote  func()
	mu     sync.Mutex
	last   *byte
}

func (w *countingWriter) Header() http.Header { return w.header }
func (w *countingWriter) WriteHeader(int)     {}
func (w *countingWriter) Flush()              {}
func (w *countingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.last = unsafe.SliceData(p)
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
	writers []*countingWriter
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
		bc.writers = append(bc.writers, w)
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

// A broadcast event is framed once and written from the shared frame: a
// stream of a hub route allocates nothing for it, and one through a Map
// (which makes a new event, encoded again) allocates what the Map does.
func TestABroadcastCostsNoAllocationPerSubscriber(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	const subscribers = 100
	for _, rt := range routes {
		t.Run(rt.name, func(t *testing.T) {
			bc := newBroadcast(t, subscribers, rt.route)
			defer bc.stop()
			perEvent := testing.AllocsPerRun(200, func() { bc.publish(t, subscribers, benchEvent) })
			perSubscriber := perEvent / subscribers
			// Publish's own allocations (the event, its id, its frame, the
			// group's wake-up) are shared by the subscribers: a few
			// hundredths each.
			want := 0.1
			if rt.name == "map" {
				want = 1.1 // the Map's new event, boxed
			}
			t.Logf("%.1f allocations per event, %.3f per event per subscriber", perEvent, perSubscriber)
			if perSubscriber > want {
				t.Errorf("%.3f allocations per event per subscriber, want at most %.1f", perSubscriber, want)
			}
		})
	}
}

// Every stream of a route that leaves the event as it is writes the same
// bytes, the event's one frame, straight from where Publish built it. (A
// Map's new event is encoded by each stream into a pooled buffer, which
// streams may take in turn, so nothing is said of where those are.)
func TestABroadcastIsWrittenFromOneSharedFrame(t *testing.T) {
	const subscribers = 50
	for _, rt := range routes {
		t.Run(rt.name, func(t *testing.T) {
			bc := newBroadcast(t, subscribers, rt.route)
			defer bc.stop()
			bc.publish(t, subscribers, benchEvent)
			seen := map[*byte]int{}
			for _, w := range bc.writers {
				w.mu.Lock()
				seen[w.last]++
				w.mu.Unlock()
			}
			if rt.name != "map" && len(seen) != 1 {
				t.Errorf("the streams wrote the event from %d places, want 1: the frame", len(seen))
			}
		})
	}
}
