package transport_test

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/transport"
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
