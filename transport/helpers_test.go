package transport_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reactivex/rxgo/v2"
	"go.uber.org/goleak"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/observable"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// ticks is a cold interval: a fresh ticker per subscription that stops with
// the subscription's context. done, if not nil, is closed when the producer
// returns.
func ticks(period time.Duration, done chan<- struct{}) rxgo.Observable {
	return rxgo.Defer([]rxgo.Producer{func(ctx context.Context, next chan<- rxgo.Item) {
		if done != nil {
			defer close(done)
		}
		t := time.NewTicker(period)
		defer t.Stop()
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				select {
				case next <- rxgo.Of(i):
				case <-ctx.Done():
					return
				}
			}
		}
	}})
}

// items returns an observable whose items are all ready at once.
func items(vs ...any) rxgo.Observable {
	ch := make(chan rxgo.Item, len(vs))
	for _, v := range vs {
		if err, ok := v.(error); ok {
			ch <- rxgo.Error(err)
			continue
		}
		ch <- rxgo.Of(v)
	}
	close(ch)
	return rxgo.FromChannel(ch)
}

// idle never emits and ends when the subscription does; done is closed then.
func idle(done chan<- struct{}) rxgo.Observable {
	return rxgo.Defer([]rxgo.Producer{func(ctx context.Context, next chan<- rxgo.Item) {
		<-ctx.Done()
		if done != nil {
			close(done)
		}
	}})
}

func serve(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

func get(t *testing.T, url string, header http.Header) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return string(b)
}

// logBuffer collects log output from concurrent handlers.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) Contains(s string) bool { return strings.Contains(l.String(), s) }

func newLogger() (*slog.Logger, *logBuffer) {
	lb := &logBuffer{}
	return slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug})), lb
}

// feed is a pulled Observable the test pushes items into: it has the method
// Pull by which the transport recognises one. Its Observable part is nil:
// observing it through rxgo instead of pulling it panics.
type feed struct {
	rxgo.Observable
	start  string // the iterator's StartID, set before Pull
	mu     sync.Mutex
	items  []rxgo.Item
	done   bool
	gen    chan struct{} // closed and replaced on every push
	pulled chan context.Context
	closed chan struct{}
	once   sync.Once
}

func newFeed() *feed {
	return &feed{gen: make(chan struct{}), pulled: make(chan context.Context, 1), closed: make(chan struct{})}
}

func (f *feed) push(vs ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, v := range vs {
		if err, ok := v.(error); ok {
			f.items = append(f.items, rxgo.Error(err))
			continue
		}
		f.items = append(f.items, rxgo.Of(v))
	}
	close(f.gen)
	f.gen = make(chan struct{})
}

func (f *feed) complete() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.done = true
	close(f.gen)
	f.gen = make(chan struct{})
}

func (f *feed) Pull(ctx context.Context) observable.Iterator {
	f.pulled <- ctx
	return (*feedIterator)(f)
}

type feedIterator feed

func (it *feedIterator) Ready() <-chan struct{} {
	it.mu.Lock()
	defer it.mu.Unlock()
	return it.gen
}

func (it *feedIterator) Next() (rxgo.Item, observable.State) {
	it.mu.Lock()
	defer it.mu.Unlock()
	if len(it.items) > 0 {
		item := it.items[0]
		it.items = it.items[1:]
		return item, observable.Value
	}
	if it.done {
		return rxgo.Item{}, observable.Done
	}
	return rxgo.Item{}, observable.Empty
}

func (it *feedIterator) Close() { it.once.Do(func() { close(it.closed) }) }

// StartID returns the start position the test set.
func (it *feedIterator) StartID() string { return it.start }

// fused returns f with Map and Filter fused onto it (see observable.Pulled):
// the values that are strings become events with the id "h-" + the value,
// and the value "skip" is dropped.
func fused(f *feed) rxgo.Observable {
	return observable.Pulled(f.Pull).
		Filter(func(v any) bool { return v != "skip" }).
		Map(func(_ context.Context, v any) (any, error) {
			if s, ok := v.(string); ok {
				return encoder.MessageEvent{ID: "h-" + s, Data: s}, nil
			}
			return v, nil
		})
}

// writeCounter counts the writes that reach the ResponseWriter.
type writeCounter struct {
	http.ResponseWriter
	mu     sync.Mutex
	writes int
}

func (w *writeCounter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.writes++
	w.mu.Unlock()
	return w.ResponseWriter.Write(p)
}

func (w *writeCounter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *writeCounter) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.writes
}

// counting wraps h so that every response's writes are counted in *n.
func counting(h http.Handler, n *writeCounter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.ResponseWriter = w
		h.ServeHTTP(n, r)
	})
}
