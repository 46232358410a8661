package eventsource_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/transport/eventsource"
	"github.com/rxsse/rxsse/transport/ssetest"
)

// defaultRetry is the reconnection time WithRetry documents as its
// default, the 3 seconds browsers use.
const defaultRetry = 3 * time.Second

// serve starts s on an in-memory ssetest server, closed when the test ends.
// Inside a synctest bubble the whole exchange runs in virtual time.
func serve(t *testing.T, h http.Handler) *ssetest.Server {
	t.Helper()
	srv := ssetest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func TestEventsIDsAndReconnectsAsABrowserSeesThem(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs := newConnServer(
			send("id: 1\nevent: greeting\ndata: hello\n\n", "data: a\ndata: b\n\n"),
			send("data: same id\n\nid\ndata: reset\n\n"),
			hold("data: last\n\n"),
		)
		srv := serve(t, cs)
		w := newWatcher()
		ctx, cancel := context.WithCancel(t.Context())
		start := time.Now()
		items := eventsource.Observe(ctx, srv.URL+"/events", eventsource.WithClient(srv.Client()),
			eventsource.WithOnOpen(w.onOpen), eventsource.WithOnError(w.onError)).Observe()

		want := []encoder.Event{
			{Type: "greeting", Data: "hello", LastEventID: "1"},
			{Type: "message", Data: "a\nb", LastEventID: "1"},
			{Type: "message", Data: "same id", LastEventID: "1"},
			{Type: "message", Data: "reset", LastEventID: ""},
			{Type: "message", Data: "last", LastEventID: ""},
		}
		for i, ev := range want {
			if got := nextEvent(t, items); got != ev {
				t.Errorf("event %d = %+v, want %+v", i, got, ev)
			}
		}
		cancel()
		expectEnd(t, items)

		if got, want := cs.lastEventIDs(), []string{"-", "1", "-"}; !slices.Equal(got, want) {
			t.Errorf("Last-Event-ID headers %q, want %q", got, want)
		}
		for i, r := range cs.requests() {
			if r.header.Get("Accept") != "text/event-stream" || r.header.Get("Cache-Control") != "no-cache" {
				t.Errorf("request %d: headers %v", i, r.header)
			}
			// Each stream ends at once: the reconnects come the default 3 s apart.
			if want := start.Add(time.Duration(i) * defaultRetry); !r.at.Equal(want) {
				t.Errorf("request %d came at +%v, want +%v", i, r.at.Sub(start), want.Sub(start))
			}
		}
		if len(w.opens) != 3 {
			t.Errorf("%d opens reported, want 3", len(w.opens))
		}
		for range 2 {
			if r := w.nextError(t); !errors.Is(r.err, io.EOF) || r.retryIn != defaultRetry {
				t.Errorf("reported %v, retry in %v; want io.EOF, retry in %v", r.err, r.retryIn, defaultRetry)
			}
		}
		w.noErrorYet(t)
	})
}

func TestTheRetryFieldSetsTheReconnectionTimeForTheWholeStream(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs := newConnServer(
			send("retry: 1500\n\n"),
			send("data: keeps 1500\n\n"),
			send("retry: 0\n\n"),
			send("data: keeps 0\n\n"),
			status(http.StatusNoContent),
		)
		srv := serve(t, cs)
		items := eventsource.Observe(t.Context(), srv.URL, eventsource.WithClient(srv.Client()),
			eventsource.WithRetry(time.Hour)).Observe()
		nextEvent(t, items)
		nextEvent(t, items)
		if err := lastError(t, items); !errors.Is(err, eventsource.ErrNoContent) {
			t.Fatalf("ended with %v, want ErrNoContent", err)
		}
		reqs := cs.requests()
		var gaps []time.Duration
		for i := 1; i < len(reqs); i++ {
			gaps = append(gaps, reqs[i].at.Sub(reqs[i-1].at))
		}
		// "retry: 0" is the shortest wait there is: 100 ms.
		want := []time.Duration{1500 * time.Millisecond, 1500 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond}
		if !slices.Equal(gaps, want) {
			t.Errorf("reconnected after %v, want %v", gaps, want)
		}
	})
}

func TestItStopsForGoodWhereBrowsersDo(t *testing.T) {
	for _, tc := range []struct {
		name        string
		handler     http.HandlerFunc
		status      int    // want a *StatusError with this code
		contentType string // else want a *ContentTypeError with this type
	}{
		{name: "204 No Content", handler: status(http.StatusNoContent), status: 204},
		{name: "404 Not Found", handler: status(http.StatusNotFound), status: 404},
		{name: "500 Internal Server Error", handler: status(http.StatusInternalServerError), status: 500},
		{name: "201 Created", handler: status(http.StatusCreated), status: 201},
		{name: "text/plain", handler: typed("text/plain; charset=utf-8"), contentType: "text/plain; charset=utf-8"},
		{name: "no content type", handler: typed(noContentType), contentType: ""},
		{name: "a charset other than UTF-8", handler: typed("text/event-stream; charset=iso-8859-1"), contentType: "text/event-stream; charset=iso-8859-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cs := newConnServer(tc.handler, send("data: must not be reached\n\n"))
				srv := serve(t, cs)
				w := newWatcher()
				items := eventsource.Observe(t.Context(), srv.URL, eventsource.WithClient(srv.Client()),
					eventsource.WithOnOpen(w.onOpen), eventsource.WithOnError(w.onError)).Observe()
				err := lastError(t, items)
				var se *eventsource.StatusError
				var ce *eventsource.ContentTypeError
				switch {
				case tc.status != 0 && (!errors.As(err, &se) || se.Status != tc.status):
					t.Errorf("ended with %v, want a *StatusError %d", err, tc.status)
				case tc.status == 0 && (!errors.As(err, &ce) || ce.ContentType != tc.contentType):
					t.Errorf("ended with %v, want a *ContentTypeError %q", err, tc.contentType)
				}
				if got, want := errors.Is(err, eventsource.ErrNoContent), tc.status == 204; got != want {
					t.Errorf("errors.Is(%v, ErrNoContent) = %v", err, got)
				}
				if n := len(cs.requests()); n != 1 {
					t.Errorf("%d requests, want 1: no reconnect", n)
				}
				if len(w.opens) != 0 || len(w.errors) != 0 {
					t.Errorf("%d opens and %d errors reported, want none", len(w.opens), len(w.errors))
				}
			})
		})
	}
}

// typed answers 200 with a Content-Type and a stream body.
func typed(contentType string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		respond(w, r, response{contentType: contentType, chunks: []string{"data: x\n\n"}})
	}
}

func TestRepeatedFailuresBackOffExponentiallyAndAnEventResetsIt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs := newConnServer(
			send("retry: 1000\n\n"),
			drop, drop, drop, drop, drop, drop,
			send("data: x\n\n"),
			drop,
			hold("data: up\n\n"),
		)
		srv := serve(t, cs)
		w := newWatcher()
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		items := eventsource.Observe(ctx, srv.URL, eventsource.WithClient(srv.Client()),
			eventsource.WithBackoff(10*time.Second), eventsource.WithOnError(w.onError)).Observe()
		for _, want := range []string{"x", "up"} {
			if ev := nextEvent(t, items); ev.Data != want {
				t.Fatalf("got %+v, want data %q", ev, want)
			}
		}
		s := time.Second
		want := []time.Duration{ // before jitter
			s,                                           // the stream ended with no event: the reconnection time
			2 * s, 4 * s, 8 * s, 10 * s, 10 * s, 10 * s, // six failures more in a row, capped at 10 s
			s, // a connection that delivered an event ended: back to the reconnection time
			s, // and the next failure starts over
		}
		var got []time.Duration
		for range want {
			r := w.nextError(t)
			got = append(got, r.retryIn)
			if r.err == nil {
				t.Error("a nil error reported")
			}
		}
		if !jittered(got, want, s) {
			t.Errorf("waits %v, want %v with jitter", got, want)
		}
		reqs := cs.requests()
		for i := 1; i < len(reqs); i++ {
			if gap := reqs[i].at.Sub(reqs[i-1].at); gap != got[i-1] {
				t.Errorf("request %d came %v after the previous one, want the %v reported", i, gap, got[i-1])
			}
		}
	})
}

func TestWithMaxAttemptsGivesUpAfterThatManyFailuresInARow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs := newConnServer(drop)
		srv := serve(t, cs)
		w := newWatcher()
		items := eventsource.Observe(t.Context(), srv.URL, eventsource.WithClient(srv.Client()),
			eventsource.WithMaxAttempts(3), eventsource.WithOnError(w.onError)).Observe()
		err := lastError(t, items)
		if !errors.Is(err, eventsource.ErrMaxAttempts) {
			t.Fatalf("ended with %v, want ErrMaxAttempts", err)
		}
		if n := len(cs.requests()); n != 3 {
			t.Errorf("%d requests, want 3", n)
		}
		// The first retry waits the reconnection time, the second doubles it.
		want := []time.Duration{defaultRetry, 2 * defaultRetry}
		got := []time.Duration{w.nextError(t).retryIn, w.nextError(t).retryIn}
		if !jittered(got, want, defaultRetry) {
			t.Errorf("retries in %v, want %v with jitter", got, want)
		}
		w.noErrorYet(t)
	})
}

func TestWithMaxAttemptsCountsOnlyFailuresInARow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs := newConnServer(drop, drop, send("data: a\n\n"), drop, drop, hold("data: b\n\n"))
		srv := serve(t, cs)
		ctx, cancel := context.WithCancel(t.Context())
		items := eventsource.Observe(ctx, srv.URL, eventsource.WithClient(srv.Client()), eventsource.WithMaxAttempts(3)).Observe()
		for _, want := range []string{"a", "b"} {
			if ev := nextEvent(t, items); ev.Data != want {
				t.Fatalf("got %+v, want data %q", ev, want)
			}
		}
		cancel()
		expectEnd(t, items)
	})
}

func TestTheReadTimeoutDropsASilentStreamButHeartbeatsKeepItAlive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		beat := make(chan string)
		left := make(chan struct{})
		cs := newConnServer(
			func(w http.ResponseWriter, r *http.Request) {
				defer close(left)
				w.Header().Set("Content-Type", "text/event-stream")
				fmt.Fprint(w, "retry: 1000\n\n")
				w.(http.Flusher).Flush()
				for {
					select {
					case b := <-beat:
						fmt.Fprint(w, b)
						w.(http.Flusher).Flush()
					case <-r.Context().Done():
						return
					}
				}
			},
			hold("data: back\n\n"),
		)
		srv := serve(t, cs)
		w := newWatcher()
		start := time.Now()
		items := eventsource.Observe(t.Context(), srv.URL, eventsource.WithClient(srv.Client()),
			eventsource.WithReadTimeout(2*time.Second), eventsource.WithOnError(w.onError)).Observe()

		synctest.Wait() // the client is waiting for the body, its timer armed
		time.Sleep(500 * time.Millisecond)
		beat <- ": heart" // no line end: 1.5 s left
		synctest.Wait()
		time.Sleep(time.Second)
		beat <- "beat\n\n" // a line end: 2 s again
		synctest.Wait()
		time.Sleep(1500 * time.Millisecond)
		synctest.Wait()
		w.noErrorYet(t) // 3 s since the stream opened, but 1.5 s since the heartbeat

		r := w.nextError(t)
		if !errors.Is(r.err, eventsource.ErrReadTimeout) || r.retryIn != time.Second {
			t.Fatalf("reported %v, retry in %v; want ErrReadTimeout, retry in 1s", r.err, r.retryIn)
		}
		if got := time.Since(start); got != 3500*time.Millisecond {
			t.Errorf("timed out %v after the stream opened, want 2 s after the heartbeat at 1.5 s", got)
		}
		<-left // the client dropped the connection
		if ev := nextEvent(t, items); ev.Data != "back" {
			t.Fatalf("got %+v", ev)
		}
		if got := time.Since(start); got != 4500*time.Millisecond {
			t.Errorf("reconnected %v after the stream opened, want 1 s after the timeout", got)
		}
	})
}

func TestTheReadTimeoutCoversTheWaitForTheResponse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs := newConnServer(silent, hold("data: x\n\n"))
		srv := serve(t, cs)
		w := newWatcher()
		items := eventsource.Observe(t.Context(), srv.URL, eventsource.WithClient(srv.Client()),
			eventsource.WithReadTimeout(5*time.Second), eventsource.WithOnError(w.onError)).Observe()
		nextEvent(t, items)
		if r := w.nextError(t); !errors.Is(r.err, eventsource.ErrReadTimeout) {
			t.Errorf("reported %v, want ErrReadTimeout", r.err)
		}
		reqs := cs.requests()
		if gap := reqs[1].at.Sub(reqs[0].at); gap != 5*time.Second+defaultRetry {
			t.Errorf("reconnected %v after the first request, want the 5 s timeout + 3 s", gap)
		}
	})
}

func TestTheReadTimeoutDoesNotCountTimeSpentOnASlowSubscriber(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := serve(t, newConnServer(hold("data: 1\n\ndata: 2\n\n")))
		w := newWatcher()
		items := eventsource.Observe(t.Context(), srv.URL, eventsource.WithClient(srv.Client()),
			eventsource.WithReadTimeout(2*time.Second), eventsource.WithOnError(w.onError)).Observe()
		synctest.Wait() // the client is waiting to hand over event 1
		time.Sleep(time.Hour)
		synctest.Wait()
		w.noErrorYet(t)
		nextEvent(t, items)
		nextEvent(t, items)
		synctest.Wait() // the client is waiting for the server again
		waiting := time.Now()
		if r := w.nextError(t); !errors.Is(r.err, eventsource.ErrReadTimeout) {
			t.Errorf("reported %v, want ErrReadTimeout", r.err)
		}
		if got := time.Since(waiting); got != 2*time.Second {
			t.Errorf("timed out %v after the client began to wait for the server, want 2 s", got)
		}
	})
}

func TestTheClientReconnectsExactlyTheReconnectionTimeAfterAStreamEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs := newConnServer(send("data: a\n\n"), hold("data: b\n\n"))
		srv := serve(t, cs)
		w := newWatcher()
		items := eventsource.Observe(t.Context(), srv.URL, eventsource.WithClient(srv.Client()),
			eventsource.WithOnError(w.onError)).Observe()
		nextEvent(t, items)
		if r := w.nextError(t); r.retryIn != defaultRetry {
			t.Fatalf("retry in %v, want %v", r.retryIn, defaultRetry)
		}
		ended := time.Now()
		time.Sleep(defaultRetry - time.Nanosecond)
		synctest.Wait()
		if n := len(cs.requests()); n != 1 {
			t.Fatal("the client reconnected before the reconnection time")
		}
		if ev := nextEvent(t, items); ev.Data != "b" {
			t.Fatalf("got %+v", ev)
		}
		reqs := cs.requests()
		if len(reqs) != 2 {
			t.Fatalf("%d requests, want 2", len(reqs))
		}
		if gap := reqs[1].at.Sub(ended); gap != defaultRetry {
			t.Errorf("reconnected %v after the stream ended, want %v", gap, defaultRetry)
		}
	})
}

func TestCancellingEndsTheObservableAndTheConnection(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		ready   func(t *testing.T, items <-chan rxgo.Item, w *watcher)
	}{
		{
			name:    "while a stream is open",
			handler: hold("data: x\n\n"),
			ready:   func(t *testing.T, items <-chan rxgo.Item, _ *watcher) { nextEvent(t, items) },
		},
		{
			name:    "while the server has not answered",
			handler: silent,
			ready:   func(t *testing.T, _ <-chan rxgo.Item, _ *watcher) { synctest.Wait() },
		},
		{
			name:    "while waiting to reconnect",
			handler: send(),
			ready:   func(t *testing.T, _ <-chan rxgo.Item, w *watcher) { w.nextError(t) },
		},
		{
			name:    "while an event waits for the subscriber",
			handler: hold("data: 1\n\ndata: 2\n\n"),
			ready:   func(t *testing.T, _ <-chan rxgo.Item, _ *watcher) { synctest.Wait() },
		},
	} {
		for _, which := range []string{"Observe's context", "the subscription's context"} {
			t.Run(tc.name+", "+which, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					cs := newConnServer(tc.handler)
					srv := serve(t, cs)
					w := newWatcher()
					ctx, cancel := context.WithCancel(t.Context())
					observeCtx, cancelObserve := context.WithCancel(t.Context())
					items := eventsource.Observe(ctx, srv.URL, eventsource.WithClient(srv.Client()),
						eventsource.WithOnError(w.onError)).Observe(rxgo.WithContext(observeCtx))
					tc.ready(t, items, w)
					if which == "Observe's context" {
						cancel()
					} else {
						cancelObserve()
					}
					for it := range items {
						if it.E != nil {
							t.Errorf("error item %v after cancel, want a quiet end", it.E)
						}
					}
					cancel()
					cancelObserve()
					synctest.Wait()
					if n := len(cs.requests()); n != 1 {
						t.Errorf("%d requests, want 1", n)
					}
					// The bubble fails the test if a goroutine is left.
				})
			})
		}
	}
}

func TestEachSubscriptionOpensItsOwnConnection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs := newConnServer(hold("id: first\ndata: 1\n\n"), hold("id: second\ndata: 2\n\n"))
		srv := serve(t, cs)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		obs := eventsource.Observe(ctx, srv.URL, eventsource.WithClient(srv.Client()))
		a := obs.Observe()
		if ev := nextEvent(t, a); ev.Data != "1" {
			t.Fatalf("first subscription got %+v", ev)
		}
		stopB, cancelB := context.WithCancel(t.Context())
		b := obs.Observe(rxgo.WithContext(stopB))
		if ev := nextEvent(t, b); ev.Data != "2" {
			t.Fatalf("second subscription got %+v", ev)
		}
		cancelB()
		expectEnd(t, b)
		cancel()
		expectEnd(t, a)
		if n := len(cs.requests()); n != 2 {
			t.Errorf("%d requests, want 2", n)
		}
	})
}

func TestHeadersAndTheInitialLastEventID(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs := newConnServer(send("retry: 10\nid: 42\ndata: x\n\n"), hold())
		srv := serve(t, cs)
		ctx, cancel := context.WithCancel(t.Context())
		req, err := http.NewRequest(http.MethodGet, srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer token")
		req.Header["X-Tenant"] = []string{"a", "b"}
		req.Header.Set("Last-Event-ID", "ignored: the client owns this header")
		items := eventsource.ObserveRequest(ctx, req, eventsource.WithClient(srv.Client()),
			eventsource.WithLastEventID("41"),
		).Observe()
		if ev := nextEvent(t, items); ev.LastEventID != "42" {
			t.Fatalf("got %+v", ev)
		}
		cs.waitRequest(t, 1)
		cancel()
		expectEnd(t, items)
		if got, want := cs.lastEventIDs(), []string{"41", "42"}; !slices.Equal(got, want) {
			t.Errorf("Last-Event-ID headers %q, want %q", got, want)
		}
		for i, r := range cs.requests() {
			if r.header.Get("Authorization") != "Bearer token" || !slices.Equal(r.header["X-Tenant"], []string{"a", "b"}) {
				t.Errorf("request %d: headers %v", i, r.header)
			}
		}
	})
}

func TestAnIDThatCannotBeSentBackStopsTheClient(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs := newConnServer(send("retry: 10\nid: a\x01b\ndata: x\n\n"))
		srv := serve(t, cs)
		items := eventsource.Observe(t.Context(), srv.URL, eventsource.WithClient(srv.Client())).Observe()
		nextEvent(t, items)
		var le *eventsource.LastEventIDError
		if err := lastError(t, items); !errors.As(err, &le) || le.ID != "a\x01b" {
			t.Fatalf("ended with %v, want a *LastEventIDError", err)
		}
		if n := len(cs.requests()); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}

		items = eventsource.Observe(t.Context(), srv.URL, eventsource.WithClient(srv.Client()),
			eventsource.WithLastEventID("a\nb")).Observe()
		if err := lastError(t, items); !errors.As(err, &le) {
			t.Fatalf("ended with %v, want a *LastEventIDError", err)
		}
		if n := len(cs.requests()); n != 1 {
			t.Errorf("%d requests, want still 1", n)
		}
	})
}

func TestRedirectsAreFollowedAndReconnectsGoWhereTheyLed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var paths []string
		mux := http.NewServeMux()
		mux.HandleFunc("/old", func(w http.ResponseWriter, r *http.Request) {
			paths = append(paths, r.URL.Path)
			http.Redirect(w, r, "/new", http.StatusTemporaryRedirect)
		})
		n := 0
		mux.HandleFunc("/new", func(w http.ResponseWriter, r *http.Request) {
			paths = append(paths, r.URL.Path)
			if n++; n == 1 {
				send("retry: 10\ndata: moved\n\n")(w, r)
				return
			}
			status(http.StatusNoContent)(w, r)
		})
		srv := serve(t, mux)
		items := eventsource.Observe(t.Context(), srv.URL+"/old", eventsource.WithClient(srv.Client())).Observe()
		nextEvent(t, items)
		lastError(t, items)
		if want := []string{"/old", "/new", "/new"}; !slices.Equal(paths, want) {
			t.Errorf("requests to %q, want %q", paths, want)
		}
	})
}

func TestAnEventPastTheSizeLimitStopsTheClient(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs := newConnServer(send("data: small\n\ndata: 0123456789abcdef\n\n"))
		srv := serve(t, cs)
		items := eventsource.Observe(t.Context(), srv.URL, eventsource.WithClient(srv.Client()),
			eventsource.WithMaxEventSize(16)).Observe()
		nextEvent(t, items)
		if err := lastError(t, items); !errors.Is(err, encoder.ErrEventTooLarge) {
			t.Fatalf("ended with %v, want ErrEventTooLarge", err)
		}
	})
}

func TestAnInvalidURLIsAnErrorItem(t *testing.T) {
	ssetest.NoLeaks(t)
	items := eventsource.Observe(t.Context(), "http://[::1]:namedport/").Observe()
	if err := lastError(t, items); err == nil {
		t.Fatal("want an error")
	}
}

func TestTheClientWorksOverRealSockets(t *testing.T) {
	ssetest.NoLeaks(t)
	cs := newConnServer(send("retry: 10\nid: 1\ndata: a\n\n"), hold("data: b\n\n"))
	srv := httptest.NewServer(cs)
	defer srv.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	items := eventsource.Observe(ctx, srv.URL, eventsource.WithClient(&http.Client{Transport: tr})).Observe()
	for _, want := range []encoder.Event{{Type: "message", Data: "a", LastEventID: "1"}, {Type: "message", Data: "b", LastEventID: "1"}} {
		if got := nextEvent(t, items); got != want {
			t.Errorf("got %+v, want %+v", got, want)
		}
	}
	cancel()
	expectEnd(t, items)
	srv.CloseClientConnections()
}
