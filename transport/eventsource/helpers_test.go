package eventsource_test

import (
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
)

// stuck bounds every wait in these tests, so that a broken stream fails the
// test instead of hanging it. Under synctest it is virtual time: it must be
// longer than any wait a test expects.
const stuck = 10 * time.Minute

// next returns the next item, failing the test if the observable completes
// or stays silent too long.
func next(t testing.TB, items <-chan rxgo.Item) rxgo.Item {
	t.Helper()
	timeout := time.NewTimer(stuck)
	defer timeout.Stop()
	select {
	case it, ok := <-items:
		if !ok {
			t.Fatal("the observable completed, want an item")
		}
		return it
	case <-timeout.C:
		t.Fatal("no item")
	}
	return rxgo.Item{}
}

// nextEvent returns the next item, failing the test unless it is an event.
func nextEvent(t testing.TB, items <-chan rxgo.Item) encoder.Event {
	t.Helper()
	it := next(t, items)
	if it.E != nil {
		t.Fatalf("got error item %v, want an event", it.E)
	}
	ev, ok := it.V.(encoder.Event)
	if !ok {
		t.Fatalf("got item %T, want an encoder.Event", it.V)
	}
	return ev
}

// lastError returns the next item, which must be an error, and checks that
// the observable completes after it.
func lastError(t testing.TB, items <-chan rxgo.Item) error {
	t.Helper()
	it := next(t, items)
	if it.E == nil {
		t.Fatalf("got %+v, want an error item", it.V)
	}
	expectEnd(t, items)
	return it.E
}

// expectEnd fails the test unless the observable completes with no further
// item.
func expectEnd(t testing.TB, items <-chan rxgo.Item) {
	t.Helper()
	timeout := time.NewTimer(stuck)
	defer timeout.Stop()
	select {
	case it, ok := <-items:
		if ok {
			t.Fatalf("got item %+v (error %v), want the end", it.V, it.E)
		}
	case <-timeout.C:
		t.Fatal("the observable did not complete")
	}
}

// report is one WithOnError call.
type report struct {
	err     error
	retryIn time.Duration
}

// watcher records the callbacks of a subscription. Its channels are
// buffered, so the callbacks never wait for the test.
type watcher struct {
	opens  chan time.Time
	errors chan report
}

func newWatcher() *watcher {
	return &watcher{opens: make(chan time.Time, 100), errors: make(chan report, 100)}
}

func (w *watcher) onOpen()                            { w.opens <- time.Now() }
func (w *watcher) onError(err error, d time.Duration) { w.errors <- report{err, d} }

// nextError returns the next WithOnError report.
func (w *watcher) nextError(t testing.TB) report {
	t.Helper()
	timeout := time.NewTimer(stuck)
	defer timeout.Stop()
	select {
	case r := <-w.errors:
		return r
	case <-timeout.C:
		t.Fatal("no error reported")
	}
	return report{}
}

// noErrorYet fails the test if an error was reported.
func (w *watcher) noErrorYet(t testing.TB) {
	t.Helper()
	select {
	case r := <-w.errors:
		t.Fatalf("error reported: %v (retry in %v)", r.err, r.retryIn)
	default:
	}
}

// seen is one request a connServer answered.
type seen struct {
	header http.Header
	at     time.Time
}

// connServer answers the i-th request with the i-th handler (the last one
// answers every later request) and records each request. Hand-written
// handlers, not our transport: these tests check the client.
type connServer struct {
	handlers []http.HandlerFunc

	mu      sync.Mutex
	reqs    []seen
	arrived chan int // the index of each request, as it arrives
}

func newConnServer(handlers ...http.HandlerFunc) *connServer {
	return &connServer{handlers: handlers, arrived: make(chan int, 1000)}
}

func (s *connServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	i := len(s.reqs)
	s.reqs = append(s.reqs, seen{header: r.Header.Clone(), at: time.Now()})
	s.mu.Unlock()
	s.arrived <- i
	s.handlers[min(i, len(s.handlers)-1)](w, r)
}

// requests returns the requests so far.
func (s *connServer) requests() []seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reqs)
}

// lastEventIDs returns the Last-Event-ID header of each request so far, "-"
// where there was none.
func (s *connServer) lastEventIDs() []string {
	var ids []string
	for _, r := range s.requests() {
		if v, ok := r.header["Last-Event-Id"]; ok {
			ids = append(ids, v[0])
		} else {
			ids = append(ids, "-")
		}
	}
	return ids
}

// waitRequest waits for request i to arrive.
func (s *connServer) waitRequest(t testing.TB, i int) {
	t.Helper()
	timeout := time.NewTimer(stuck)
	defer timeout.Stop()
	for {
		select {
		case n := <-s.arrived:
			if n >= i {
				return
			}
		case <-timeout.C:
			t.Fatalf("request %d did not arrive", i)
		}
	}
}

// send answers with an event stream made of frames, then ends the response.
func send(frames ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		respond(w, r, response{chunks: frames})
	}
}

// hold answers with an event stream made of frames and keeps the response
// open until the client leaves.
func hold(frames ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		respond(w, r, response{chunks: frames, hold: true})
	}
}

// status answers with a status and an event-stream content type.
func status(code int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { respond(w, r, response{status: code}) }
}

// drop cuts the connection before any response.
func drop(w http.ResponseWriter, r *http.Request) { respond(w, r, response{drop: true}) }

// silent never answers; the request ends when the client leaves.
func silent(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

// jittered reports whether each backoff wait in got is what the backoff's
// jitter may make of the wait in want: at most want, at least half of it,
// and never under the reconnection time retry. A wait of exactly retry
// (the first reconnect after a healthy connection) is then exact.
func jittered(got, want []time.Duration, retry time.Duration) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] > want[i] || got[i] < max(want[i]/2, retry) {
			return false
		}
	}
	return true
}
