package eventsource_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rxsse/rxsse/transport/eventsource"
	"github.com/rxsse/rxsse/transport/ssetest"
)

// recorded is what a server saw of one request.
type recorded struct {
	method, path, body string
	header             http.Header
}

// recorder records every request, then answers it with the handler for
// its index (the last one answers every later request).
type recorder struct {
	handlers []http.HandlerFunc
	mu       sync.Mutex
	reqs     []recorded
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec.mu.Lock()
	i := len(rec.reqs)
	rec.reqs = append(rec.reqs, recorded{r.Method, r.URL.Path, string(body), r.Header.Clone()})
	rec.mu.Unlock()
	rec.handlers[min(i, len(rec.handlers)-1)](w, r)
}

func (rec *recorder) requests() []recorded {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return slices.Clone(rec.reqs)
}

func TestObserveRequestSendsItsMethodHeadersAndBodyOnEveryConnection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{handlers: []http.HandlerFunc{
			send("retry: 10\nid: 1\ndata: a\n\n"),
			send("data: b\n\n"),
			status(http.StatusNoContent),
		}}
		srv := serve(t, rec)
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/rooms/7/events", strings.NewReader(`{"since":"now"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Room", "7")
		req.Header.Set("Authorization", "Bearer t")
		req.Header.Set("Last-Event-ID", "dropped: the client manages it")
		items := eventsource.ObserveRequest(t.Context(), req, eventsource.WithClient(srv.Client()), nil).Observe()
		req.Header.Set("X-Room", "changed after the call: not sent")
		nextEvent(t, items)
		nextEvent(t, items)
		if err := lastError(t, items); !errors.Is(err, eventsource.ErrNoContent) {
			t.Fatalf("ended with %v, want ErrNoContent", err)
		}
		reqs := rec.requests()
		if len(reqs) != 3 {
			t.Fatalf("%d requests, want 3", len(reqs))
		}
		for i, r := range reqs {
			h := r.header
			if r.method != http.MethodPost || r.path != "/rooms/7/events" || r.body != `{"since":"now"}` ||
				h.Get("Content-Type") != "application/json" || h.Get("X-Room") != "7" ||
				h.Get("Authorization") != "Bearer t" || h.Get("Accept") != "text/event-stream" ||
				h.Get("Cache-Control") != "no-cache" {
				t.Errorf("request %d: %s %s body %q headers %v", i, r.method, r.path, r.body, h)
			}
			if want := []string{"", "1", "1"}[i]; h.Get("Last-Event-ID") != want {
				t.Errorf("request %d: Last-Event-ID %q, want %q", i, h.Get("Last-Event-ID"), want)
			}
		}
	})
}

func TestARequestWithABodyButNoGetBodyIsAnErrorAtOnce(t *testing.T) {
	ssetest.NoLeaks(t)
	rec := &recorder{handlers: []http.HandlerFunc{send("data: a\n\n")}}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	req, err := http.NewRequest(http.MethodPost, srv.URL, io.NopCloser(strings.NewReader("once")))
	if err != nil {
		t.Fatal(err)
	}
	items := eventsource.ObserveRequest(t.Context(), req, eventsource.WithClient(srv.Client())).Observe()
	if err := lastError(t, items); !errors.Is(err, eventsource.ErrBodyNotReplayable) {
		t.Fatalf("ended with %v, want ErrBodyNotReplayable", err)
	}
	if n := len(rec.requests()); n != 0 {
		t.Errorf("%d requests, want none", n)
	}
}

func TestAPOSTRedirectedBy303ReconnectsWithAGETAndNoBody(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{handlers: []http.HandlerFunc{
			func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/stream", http.StatusSeeOther) },
			send("retry: 10\ndata: a\n\n"),
			status(http.StatusNoContent),
		}}
		srv := serve(t, rec)
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/subscribe", strings.NewReader("topic=x"))
		items := eventsource.ObserveRequest(t.Context(), req, eventsource.WithClient(srv.Client())).Observe()
		nextEvent(t, items)
		lastError(t, items)
		var got []string
		for _, r := range rec.requests() {
			got = append(got, r.method+" "+r.path+" "+r.body)
		}
		if want := []string{"POST /subscribe topic=x", "GET /stream ", "GET /stream "}; !slices.Equal(got, want) {
			t.Errorf("requests %q, want %q", got, want)
		}
	})
}

func TestStatusErrorHasOneNameForTheStatus(t *testing.T) {
	var err error = &eventsource.StatusError{Status: http.StatusForbidden}
	var coded interface{ StatusCode() int }
	if !errors.As(err, &coded) || coded.StatusCode() != http.StatusForbidden {
		t.Fatalf("%v has no StatusCode() of 403", err)
	}
}

// TestCredentialsNeverFollowARedirectToAnotherOrigin redirects a stream
// from one origin to another (two servers: two ports) and checks what
// the other origin saw, on the redirected request and on the reconnects
// that go straight to it.
func TestCredentialsNeverFollowARedirectToAnotherOrigin(t *testing.T) {
	ssetest.NoLeaks(t)
	other := &recorder{handlers: []http.HandlerFunc{
		send("retry: 10\nid: 1\ndata: moved\n\n"),
		send("data: again\n\n"),
		status(http.StatusNoContent),
	}}
	otherSrv := httptest.NewServer(other)
	defer otherSrv.Close()
	home := &recorder{handlers: []http.HandlerFunc{func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/here" {
			http.Redirect(w, r, "/away", http.StatusTemporaryRedirect)
			return
		}
		http.Redirect(w, r, otherSrv.URL+"/stream", http.StatusTemporaryRedirect)
	}}}
	homeSrv := httptest.NewServer(home)
	defer homeSrv.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()

	req, _ := http.NewRequest(http.MethodPost, homeSrv.URL+"/here", strings.NewReader("body"))
	req.Header.Set("Cookie", "session=1")
	req.Header.Set("Authorization", "Bearer secret")
	req.Header.Set("X-Api-Key", "k")
	req.Header["x-trace"] = []string{"t"}              // set past the canonical key: still the caller's
	req.Header.Set("Content-Type", "text/plain")       // it says what the body is: it follows the body
	req.Header.Set("Accept", "text/event-stream, */*") // the client's own, as the caller tuned it
	items := eventsource.ObserveRequest(t.Context(), req, eventsource.WithClient(&http.Client{Transport: tr})).Observe()
	nextEvent(t, items)
	nextEvent(t, items)
	if err := lastError(t, items); !errors.Is(err, eventsource.ErrNoContent) {
		t.Fatalf("ended with %v, want ErrNoContent", err)
	}

	homeReqs := home.requests()
	if len(homeReqs) != 2 {
		t.Fatalf("%d requests at home, want 2 (the request and the same-origin redirect)", len(homeReqs))
	}
	for i, r := range homeReqs {
		if r.header.Get("Authorization") != "Bearer secret" || r.header.Get("X-Api-Key") != "k" ||
			r.header.Get("Cookie") != "session=1" || r.header.Get("X-Trace") != "t" {
			t.Errorf("home request %d (%s) lacks the caller's headers: %v", i, r.path, r.header)
		}
	}
	otherReqs := other.requests()
	if len(otherReqs) != 3 {
		t.Fatalf("%d requests at the other origin, want 3", len(otherReqs))
	}
	for i, r := range otherReqs {
		for _, k := range []string{"Authorization", "X-Api-Key", "Cookie", "X-Trace"} {
			if v, ok := r.header[k]; ok {
				t.Errorf("request %d to the other origin carried %s: %q", i, k, v)
			}
		}
		if r.method != http.MethodPost || r.body != "body" || r.header.Get("Content-Type") != "text/plain" ||
			r.header.Get("Accept") != "text/event-stream, */*" || r.header.Get("Cache-Control") != "no-cache" {
			t.Errorf("request %d to the other origin: %s body %q headers %v", i, r.method, r.body, r.header)
		}
	}
	if got := otherReqs[2].header.Get("Last-Event-ID"); got != "1" {
		t.Errorf("the reconnect to the other origin sent Last-Event-ID %q, want 1", got)
	}
}

// TestRetryZeroAndEmptyResponsesDoNotMakeAHotLoop serves "retry: 0" and
// ends each response at once: the client waits at least 100 ms, backs off
// while responses bring no event, and starts over after one does. Virtual
// time (testing/synctest) counts the reconnects per second.
func TestRetryZeroAndEmptyResponsesDoNotMakeAHotLoop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		empty := send("retry: 0\n\n")
		cs := newConnServer(empty, empty, empty, empty, empty, empty, send("data: x\n\n"), empty)
		srv := serve(t, cs)
		w := newWatcher()
		ctx, cancel := context.WithCancel(t.Context())
		items := eventsource.Observe(ctx, srv.URL, eventsource.WithClient(srv.Client()),
			eventsource.WithOnError(w.onError)).Observe()
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range items {
			}
		}()
		defer func() {
			cancel()
			<-done
		}()

		const ms = time.Millisecond
		want := []time.Duration{100 * ms, 200 * ms, 400 * ms, 800 * ms, 1600 * ms, 3200 * ms, // empty responses back off (before jitter)
			100 * ms, 100 * ms, 200 * ms, 400 * ms} // an event came: start over
		var waits []time.Duration
		for range want {
			r := w.nextError(t)
			waits = append(waits, r.retryIn)
			if r.retryIn < 100*ms {
				t.Fatalf("the client reconnects in %v after %d responses: a hot loop", r.retryIn, len(waits))
			}
		}
		if !jittered(waits, want, 100*ms) {
			t.Errorf("waits %v, want %v with jitter", waits, want)
		}
		cs.waitRequest(t, len(want))
		reqs := cs.requests()
		for i, wait := range waits { // each reconnect comes exactly the reported wait later
			if gap := reqs[i+1].at.Sub(reqs[i].at); gap != wait {
				t.Errorf("request %d came %v after the one before, want %v", i+1, gap, wait)
			}
		}
		for i := range reqs {
			n := 0
			for _, r := range reqs[i:] {
				if r.at.Sub(reqs[i].at) < time.Second {
					n++
				}
			}
			if n > 10 {
				t.Errorf("%d requests in the second from request %d, want at most 10", n, i)
			}
		}
	})
}
