package transport_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/observable"
	"github.com/rxsse/rxsse/observable/hub"
	"github.com/rxsse/rxsse/transport"
	"github.com/rxsse/rxsse/transport/eventsource"
	"github.com/rxsse/rxsse/transport/ssetest"
)

func TestAPullSourceIsPulledOnTheHandlerGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFeed()
		var writes writeCounter
		srv := ssetest.NewServer(counting(transport.Handler(func(*http.Request) rxgo.Observable { return f },
			transport.WithHeartbeat(15*time.Second)), &writes))
		defer srv.Close()
		st, err := srv.Get(t.Context(), "/", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		ctx := <-f.pulled
		synctest.Wait()
		headers := writes.count()

		// A batch pushed at once goes out in one write and one flush.
		f.push("a", "b", "c")
		ssetest.ExpectEvents(t, st,
			encoder.Event{Type: "message", Data: "a", LastEventID: "1"},
			encoder.Event{Type: "message", Data: "b", LastEventID: "2"},
			encoder.Event{Type: "message", Data: "c", LastEventID: "3"})
		if got := writes.count() - headers; got != 1 {
			t.Errorf("a batch of 3 ready items took %d writes, want 1", got)
		}

		// Idle: the heartbeat still fires while the transport waits on Ready.
		start := time.Now()
		r := bufio.NewReader(st.Response.Body)
		line, err := r.ReadString('\n')
		if err != nil || line != ": heartbeat\n" || time.Since(start) != 15*time.Second {
			t.Errorf("got %q (%v) after %v, want a heartbeat after 15s", line, err, time.Since(start))
		}

		// The client leaves: the iterator's context ends and it is closed.
		st.Close()
		<-ctx.Done()
		<-f.closed
	})
}

func TestAPullSourceCompletesAndFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFeed()
		srv := ssetest.NewServer(transport.Handler(func(*http.Request) rxgo.Observable { return f }))
		defer srv.Close()
		f.push(transport.NewHTTPError(http.StatusNotFound, "no such room"))
		st, err := srv.Get(t.Context(), "/", nil)
		if err != nil {
			t.Fatal(err)
		}
		if st.Response.StatusCode != http.StatusNotFound {
			t.Errorf("an error ready at once gave %d, want 404", st.Response.StatusCode)
		}
		st.Close()
		<-f.closed

		f = newFeed()
		f.push("a")
		f.complete()
		st, err = srv.Get(t.Context(), "/", nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := st.Body()
		if body != "\nid: 1\ndata: a\n\n" {
			t.Errorf("body = %q", body)
		}
		<-f.closed
	})
}

func TestABurstThroughMapIsBatched(t *testing.T) {
	const n = 2000
	var writes writeCounter
	ts := serve(t, counting(transport.Handler(func(*http.Request) rxgo.Observable {
		vs := make([]any, n)
		for i := range vs {
			vs[i] = i
		}
		return items(vs...).
			Map(func(_ context.Context, v any) (any, error) { return encoder.MessageEvent{Data: v}, nil }).
			Filter(func(any) bool { return true })
	}), &writes))
	got := body(t, get(t, ts.URL, nil))
	if c := strings.Count(got, "data: "); c != n {
		t.Fatalf("got %d events, want %d", c, n)
	}
	// Every rxgo stage is observed with a buffered channel, so items reach
	// the transport in groups; unbuffered, nearly every event is a write.
	if w := writes.count(); w > n/10 {
		t.Errorf("%d events through Map and Filter took %d writes, want at most %d", n, w, n/10)
	}
}

// TestAClientThatStopsReadingCostsBoundedMemory pins the backpressure bound
// of an observed (not pulled) firehose: when the client stops reading, the
// transport holds at most one batch (flushThreshold, 32 KiB, plus one event)
// and every rxgo stage at most its channel buffer (16 items), so the source
// stops after at most 17 items per stage plus one batch or two.
func TestAClientThatStopsReadingCostsBoundedMemory(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var produced atomic.Int64
		srv := ssetest.NewServer(transport.Handler(func(*http.Request) rxgo.Observable {
			return rxgo.Defer([]rxgo.Producer{func(ctx context.Context, next chan<- rxgo.Item) {
				for i := 0; ; i++ {
					select {
					case next <- rxgo.Of(i):
						produced.Add(1)
					case <-ctx.Done():
						return
					}
				}
			}}).Map(func(_ context.Context, v any) (any, error) {
				return encoder.MessageEvent{Data: strings.Repeat("x", 100)}, nil // ~110 bytes on the wire
			})
		}, transport.WithHeartbeat(0), transport.WithWriteTimeout(time.Hour)))
		st, err := srv.Get(t.Context(), "/", nil)
		if err != nil {
			t.Fatal(err)
		}
		// Read the first event, then stop reading: the in-memory
		// connection has no socket buffer, so the next write blocks.
		if _, err := st.Next(); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		const stages, buffer, batch = 2, 16, 32<<10/110 + 1
		if got := produced.Load(); got > stages*(buffer+1)+2*batch {
			t.Errorf("the source produced %d items for a client that stopped reading, want at most %d", got, stages*(buffer+1)+2*batch)
		}
		st.Close()
		srv.Close()
	})
}

// TestAPulledStreamStartsWithItsStartID: a pulled subscription that knows
// where it starts (Iterator.StartID) gives the client that id before any event,
// as an id-only block a browser records without dispatching anything, so a
// client cut before its first event still resumes from there.
func TestAPulledStreamStartsWithItsStartID(t *testing.T) {
	event := encoder.MessageEvent{ID: "h-8", Data: "a"}
	tests := []struct {
		name   string
		start  string
		fuse   bool
		items  []any
		opts   []transport.Option
		want   string
		logged string
	}{
		{name: "before the first event", start: "h-7", items: []any{event},
			want: "\nid: h-7\n\nid: h-8\ndata: a\n\n"},
		{name: "through fused Map and Filter", start: "h-7", fuse: true, items: []any{"skip", "8"},
			want: "\nid: h-7\n\nid: h-8\ndata: 8\n\n"},
		{name: "before the retry hint, in the encoder's field order", start: "h-7", items: []any{event},
			opts: []transport.Option{transport.WithRetry(3 * time.Second)},
			want: "\nid: h-7\n\nretry: 3000\n\nid: h-8\ndata: a\n\n"},
		{name: "auto ids are unaffected", start: "h-7", items: []any{"a"},
			want: "\nid: h-7\n\nid: 1\ndata: a\n\n"},
		{name: "on an empty stream", start: "h-7",
			want: "\nid: h-7\n\n"},
		{name: "on a stream that ends at once for the client to reconnect", start: "h-7", items: []any{reconnectErr{}},
			want: "\nid: h-7\n\n"},
		{name: "no start id, no block", items: []any{event},
			want: "\nid: h-8\ndata: a\n\n"},
		{name: "an id the encoder refuses is not written, and is logged", start: "h\n7", items: []any{event},
			want: "\nid: h-8\ndata: a\n\n", logged: "start id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				logger, logs := newLogger()
				f := newFeed()
				f.start = tt.start
				f.push(tt.items...)
				f.complete()
				var src rxgo.Observable = f
				if tt.fuse {
					src = fused(f)
				}
				srv := ssetest.NewServer(transport.Handler(func(*http.Request) rxgo.Observable { return src },
					append(tt.opts, transport.WithLogger(logger))...))
				defer srv.Close()
				st, err := srv.Get(t.Context(), "/", nil)
				if err != nil {
					t.Fatal(err)
				}
				defer st.Close()
				got, err := st.Body()
				if err != nil || st.Response.StatusCode != http.StatusOK || got != tt.want {
					t.Errorf("got %d %q (%v), want 200 %q", st.Response.StatusCode, got, err, tt.want)
				}
				if tt.logged != "" && !logs.Contains(tt.logged) {
					t.Errorf("nothing about %q was logged: %s", tt.logged, logs)
				}
			})
		})
	}
}

// TestTheStartIDKeepsErrorsReadyAtOnceAnHTTPStatus: the start block is part
// of the response's start, which an error ready at once never commits.
func TestTheStartIDKeepsErrorsReadyAtOnceAnHTTPStatus(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFeed()
		f.start = "h-7"
		f.push(transport.NewHTTPError(http.StatusNotFound, "no such room"))
		srv := ssetest.NewServer(transport.Handler(func(*http.Request) rxgo.Observable { return f }))
		defer srv.Close()
		st, err := srv.Get(t.Context(), "/", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		got, _ := st.Body()
		if st.Response.StatusCode != http.StatusNotFound || strings.Contains(got, "h-7") {
			t.Errorf("got %d %q, want a 404 without the start id", st.Response.StatusCode, got)
		}
	})
}

// TestTheStartIDGoesOutWithTheHeaders: on an idle stream the block is in
// the first write, with the headers and the leading newline, so it costs
// no write of its own; a HEAD request gets no body at all.
func TestTheStartIDGoesOutWithTheHeaders(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFeed()
		f.start = "h-7"
		var writes writeCounter
		srv := ssetest.NewServer(counting(transport.Handler(func(*http.Request) rxgo.Observable { return f }), &writes))
		defer srv.Close()

		req, _ := http.NewRequestWithContext(t.Context(), http.MethodHead, srv.URL, nil)
		st, err := srv.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := st.Body(); got != "" {
			t.Errorf("HEAD got %q, want nothing", got)
		}
		st.Close()
		select {
		case <-f.pulled:
			t.Error("a HEAD request pulled the source")
		default:
		}
		head := writes.count()

		st, err = srv.Get(t.Context(), "/", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		r := bufio.NewReader(st.Response.Body)
		var start string
		for range 3 {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			start += line
		}
		synctest.Wait()
		if start != "\nid: h-7\n\n" || writes.count()-head != 1 {
			t.Errorf("an idle stream started with %q in %d writes, want %q in 1", start, writes.count()-head, "\nid: h-7\n\n")
		}
	})
}

// TestAClientCutBeforeItsFirstEventResumesFromTheStartID: a client (the
// package eventsource, which reads as a browser does) that has read only
// the start block when its stream is cut reconnects with Last-Event-ID set
// to the start id, so it misses nothing published since it subscribed.
func TestAClientCutBeforeItsFirstEventResumesFromTheStartID(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		first := newFeed()
		first.start = "h-7"
		resumed := make(chan string, 1)
		var connections atomic.Int64
		srv := ssetest.NewServer(transport.Handler(func(r *http.Request) rxgo.Observable {
			if connections.Add(1) == 1 {
				return first
			}
			select {
			case resumed <- r.Header.Get("Last-Event-ID"):
			default:
			}
			return items()
		}))
		defer srv.Close()
		ctx, cancel := context.WithCancel(t.Context())
		events := eventsource.Observe(ctx, srv.URL, eventsource.WithClient(srv.Client())).Observe()

		<-first.pulled
		synctest.Wait() // the client has read the start block
		first.push(reconnectErr{})
		if got := <-resumed; got != "h-7" {
			t.Errorf("the client resumed with Last-Event-ID %q, want the start id h-7", got)
		}
		cancel()
		for item := range events {
			t.Errorf("unexpected item %+v", item)
		}
	})
}

// thirdParty is a hub.Broker built only on the module's public API, as one
// outside the module would be: its subscriptions are iterators of its own,
// made pullable with observable.Pulled. It keeps every event; its ids are
// "tp-<n>".
type thirdParty struct {
	mu     sync.Mutex
	events []encoder.MessageEvent
	wake   chan struct{} // closed and replaced on every Publish
	starts chan context.Context
}

var _ hub.Broker = (*thirdParty)(nil)

func newThirdParty() *thirdParty {
	return &thirdParty{wake: make(chan struct{}), starts: make(chan context.Context, 1)}
}

func (b *thirdParty) Publish(_ context.Context, ev encoder.MessageEvent, _ ...string) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ev.ID = fmt.Sprintf("tp-%d", len(b.events)+1)
	b.events = append(b.events, ev)
	close(b.wake)
	b.wake = make(chan struct{})
	return ev.ID, nil
}

// Subscribe is live only, whatever lastEventID says.
func (b *thirdParty) Subscribe(string, ...string) rxgo.Observable {
	return observable.Pulled(func(ctx context.Context) observable.Iterator {
		b.starts <- ctx
		b.mu.Lock()
		defer b.mu.Unlock()
		return &thirdPartyIterator{b: b, ctx: ctx, next: len(b.events)}
	})
}

func (b *thirdParty) Close() error { return nil }

type thirdPartyIterator struct {
	b    *thirdParty
	ctx  context.Context
	next int
	done bool
}

func (it *thirdPartyIterator) Next() (rxgo.Item, observable.State) {
	if it.done || it.ctx.Err() != nil {
		return rxgo.Item{}, observable.Done
	}
	it.b.mu.Lock()
	defer it.b.mu.Unlock()
	if it.next == len(it.b.events) {
		return rxgo.Item{}, observable.Empty
	}
	it.next++
	return rxgo.Of(it.b.events[it.next-1]), observable.Value
}

func (it *thirdPartyIterator) Ready() <-chan struct{} {
	it.b.mu.Lock()
	defer it.b.mu.Unlock()
	return it.b.wake
}

func (it *thirdPartyIterator) Close() { it.done = true }

// StartID is the id of the last event before the subscription started:
// resuming from it misses nothing.
func (it *thirdPartyIterator) StartID() string { return fmt.Sprintf("tp-%d", it.next) }

// TestABrokerOutsideTheModuleIsPulled: a hub.Broker built on
// observable.Pulled gets what the module's own brokers get: pulled with the
// stream's context (no relay goroutine, which would start it with a context
// that never ends), fused Map, and its start position as the first block.
func TestABrokerOutsideTheModuleIsPulled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newThirdParty()
		b.Publish(t.Context(), encoder.MessageEvent{Data: "before"})
		srv := ssetest.NewServer(transport.Handler(func(r *http.Request) rxgo.Observable {
			return b.Subscribe(transport.LastEventID(r)).Map(func(_ context.Context, v any) (any, error) {
				ev := v.(encoder.MessageEvent)
				ev.Data = strings.ToUpper(ev.Data.(string))
				return ev, nil
			})
		}))
		defer srv.Close()
		st, err := srv.Get(t.Context(), "/", nil)
		if err != nil {
			t.Fatal(err)
		}
		ctx := <-b.starts
		if ctx.Done() == nil {
			t.Fatal("the subscription was started without the stream's context: it was observed, not pulled")
		}
		b.Publish(t.Context(), encoder.MessageEvent{Data: "a"})
		const want = "\nid: tp-1\n\nid: tp-2\ndata: A\n\n"
		got := make([]byte, len(want))
		if _, err := io.ReadFull(st.Response.Body, got); err != nil || string(got) != want {
			t.Errorf("the stream began %q (%v), want %q: the start block, then the event through Map", got, err, want)
		}
		st.Close()
		<-ctx.Done() // the client left: the subscription's context ends
	})
}
