package eventsource_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/transport"
	"github.com/rxsse/rxsse/transport/eventsource"
	"github.com/rxsse/rxsse/transport/ssetest"
)

// journal is a server's event log: event i (from 1) has id i. A connection
// resumes after the id the client sends in Last-Event-ID.
type journal struct {
	events []encoder.MessageEvent

	mu      sync.Mutex
	resumed []string // the Last-Event-ID of each connection
}

func newJournal(n int) *journal {
	j := &journal{}
	for i := 1; i <= n; i++ {
		ev := encoder.MessageEvent{ID: strconv.Itoa(i)}
		switch i % 3 {
		case 0:
			ev.Data = "line one of " + ev.ID + "\nline two\r\nline three"
		case 1:
			ev.Type, ev.Data = "tick", map[string]int{"n": i}
		case 2:
			ev.Data = ""
		}
		j.events = append(j.events, ev)
	}
	return j
}

// want is event i as a client dispatches it.
func (j *journal) want(i int) encoder.Event {
	ev := j.events[i-1]
	want := encoder.Event{Type: "message", LastEventID: ev.ID}
	if ev.Type != "" {
		want.Type = ev.Type
	}
	switch d := ev.Data.(type) {
	case string:
		want.Data = d
		if i%3 == 0 {
			want.Data = "line one of " + ev.ID + "\nline two\nline three" // CRLF splits lines too
		}
	default:
		want.Data = `{"n":` + strconv.Itoa(i) + `}`
	}
	return want
}

// after returns the events after the client's Last-Event-ID, at most n of
// them, and records where the connection resumed.
func (j *journal) after(r *http.Request, n int) []encoder.MessageEvent {
	from := transport.LastEventID(r)
	j.mu.Lock()
	j.resumed = append(j.resumed, from)
	j.mu.Unlock()
	i, _ := strconv.Atoi(from)
	return j.events[min(i, len(j.events)):min(i+n, len(j.events))]
}

func (j *journal) resumedFrom() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.resumed)
}

// items returns the events as an observable.
func items(events []encoder.MessageEvent) rxgo.Observable {
	vs := make([]any, len(events))
	for i, ev := range events {
		vs[i] = ev
	}
	return rxgo.Just(vs...)()
}

func TestRoundTripThroughOurTransportResumingAfterEachEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		j := newJournal(9)
		// Each response carries three events and ends: the client must come
		// back 500 ms later, as the transport's retry hint says, and resume.
		srv := serve(t, transport.Handler(func(r *http.Request) rxgo.Observable {
			return items(j.after(r, 3))
		}, transport.WithRetry(500*time.Millisecond)))
		ctx, cancel := context.WithCancel(t.Context())
		start := time.Now()
		evs := eventsource.Observe(ctx, srv.URL, eventsource.WithClient(srv.Client())).Observe()
		for i := 1; i <= 9; i++ {
			if got, want := nextEvent(t, evs), j.want(i); got != want {
				t.Errorf("event %d = %+v, want %+v", i, got, want)
			}
		}
		if took := time.Since(start); took != 2*500*time.Millisecond {
			t.Errorf("took %v, want two 500 ms reconnects", took)
		}
		cancel()
		expectEnd(t, evs)
		if got, want := j.resumedFrom(), []string{"", "3", "6"}; !slices.Equal(got, want) {
			t.Errorf("connections resumed after %q, want %q", got, want)
		}
	})
}

func TestRoundTripThroughOurTransportResumingAfterTheServerDropsTheConnection(t *testing.T) {
	ssetest.NoLeaks(t)
	j := newJournal(4)
	// Each connection sends two events and stays open: the test cuts it.
	srv := httptest.NewServer(transport.Handler(func(r *http.Request) rxgo.Observable {
		events := j.after(r, 2)
		return rxgo.Defer([]rxgo.Producer{func(ctx context.Context, next chan<- rxgo.Item) {
			for _, ev := range events {
				select {
				case next <- rxgo.Of(ev):
				case <-ctx.Done():
					return
				}
			}
			<-ctx.Done()
		}})
	}, transport.WithRetry(10*time.Millisecond)))
	defer srv.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	w := newWatcher()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	evs := eventsource.Observe(ctx, srv.URL, eventsource.WithClient(&http.Client{Transport: tr}),
		eventsource.WithOnError(w.onError)).Observe()
	for i := 1; i <= 2; i++ {
		if got, want := nextEvent(t, evs), j.want(i); got != want {
			t.Errorf("event %d = %+v, want %+v", i, got, want)
		}
	}
	srv.CloseClientConnections()
	if r := w.nextError(t); r.retryIn != 100*time.Millisecond {
		t.Errorf("reported %v, retry in %v; want a retry in 100ms (the transport's 10 ms, raised to the client's floor)", r.err, r.retryIn)
	}
	for i := 3; i <= 4; i++ {
		if got, want := nextEvent(t, evs), j.want(i); got != want {
			t.Errorf("event %d = %+v, want %+v", i, got, want)
		}
	}
	cancel()
	expectEnd(t, evs)
	if got, want := j.resumedFrom(), []string{"", "2"}; !slices.Equal(got, want) {
		t.Errorf("connections resumed after %q, want %q", got, want)
	}
}

func TestOurTransportsErrorsStopTheClient(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// An error before the first event is a plain HTTP error: the client
		// stops for good, as a browser would.
		srv := serve(t, transport.Handler(func(*http.Request) rxgo.Observable {
			return rxgo.Thrown(transport.NewHTTPError(http.StatusForbidden, "no"))
		}, transport.WithLogger(slog.New(slog.DiscardHandler))))
		evs := eventsource.Observe(t.Context(), srv.URL, eventsource.WithClient(srv.Client())).Observe()
		var se *eventsource.StatusError
		if err := lastError(t, evs); !errors.As(err, &se) || se.Status != http.StatusForbidden {
			t.Fatalf("ended with %v, want a 403 *StatusError", err)
		}
	})
}
