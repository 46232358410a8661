package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/observable/clocktest"
	"github.com/rxsse/rxsse/transport"
	"github.com/rxsse/rxsse/transport/ssetest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// hello is the i-th event a client of /sse receives.
func hello(i int) encoder.Event {
	return encoder.Event{Type: "message", Data: `{"hello":"world"}`, LastEventID: strconv.Itoa(i)}
}

// fast fails the test if it took a second of real time or more, since fake
// time is meant to make ten seconds of stream instant.
func fast(t *testing.T, began time.Time) {
	t.Helper()
	if real := time.Since(began); real >= time.Second {
		t.Errorf("ten seconds of stream took %v of real time, want far less than a second", real)
	}
}

// The NestJS sample, checked in a testing/synctest bubble: the app runs as
// written, on the real clock, which the bubble makes virtual.
func TestTenVirtualSecondsOfStreamAreTenHelloEvents(t *testing.T) {
	began := time.Now()
	synctest.Test(t, func(t *testing.T) {
		srv := ssetest.NewServer(newRouter(nil))
		defer srv.Close()
		start := time.Now()
		st, err := srv.Get(t.Context(), "/sse", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if !st.IsEventStream() {
			t.Fatalf("GET /sse: %s %q, want a 200 event stream", st.Response.Status, st.Response.Header.Get("Content-Type"))
		}

		for i := 1; i <= 10; i++ {
			ev, err := st.Next()
			if err != nil {
				t.Fatalf("event %d: %v", i, err)
			}
			if ev != hello(i) {
				t.Errorf("event %d = %+v, want %+v", i, ev, hello(i))
			}
			if at, want := time.Since(start), time.Duration(i)*time.Second; at != want {
				t.Errorf("event %d came at %v, want %v", i, at, want)
			}
		}

		// At ten virtual seconds, with every goroutine blocked, no 11th
		// event has been sent; it comes one virtual second later.
		type result struct {
			ev  encoder.Event
			err error
		}
		next := make(chan result, 1)
		go func() {
			ev, err := st.Next()
			next <- result{ev, err}
		}()
		synctest.Wait()
		select {
		case r := <-next:
			t.Fatalf("at %v: got %+v, %v; want nothing before 11s", time.Since(start), r.ev, r.err)
		default:
		}
		r := <-next
		if r.err != nil || r.ev != hello(11) || time.Since(start) != 11*time.Second {
			t.Errorf("at %v: got %+v, %v; want %+v at 11s", time.Since(start), r.ev, r.err, hello(11))
		}
	})
	fast(t, began)
}

// The same, with a fake clock injected into the app: time moves only when
// the test advances it, one second per event.
func TestTenFakeSecondsOfStreamAreTenHelloEvents(t *testing.T) {
	ssetest.NoLeaks(t)
	began := time.Now()
	clock := clocktest.New(time.Unix(0, 0))
	srv := ssetest.NewServer(newRouter(clock))
	st, err := srv.Get(t.Context(), "/sse", nil)
	if err != nil {
		srv.Close()
		t.Fatal(err)
	}
	if !st.IsEventStream() {
		t.Errorf("GET /sse: %s %q, want a 200 event stream", st.Response.Status, st.Response.Header.Get("Content-Type"))
	}

	clock.BlockUntil(1) // the stream has subscribed and started its ticker
	for i := 1; i <= 10; i++ {
		clock.Advance(time.Second)
		ssetest.ExpectEvents(t, st, hello(i))
	}

	// At ten fake seconds nothing can fire before eleven, so the stream
	// holds no 11th event: ended by a server shutdown, it has no more.
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		srv.Close()
	}()
	ssetest.ExpectEnd(t, st)
	st.Close()
	<-closed
	clock.BlockUntil(0) // and the subscription has stopped its ticker
	fast(t, began)
}

func TestTheIndexPageListsEachMessage(t *testing.T) {
	rec := httptest.NewRecorder()
	newRouter(nil).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET /: %d %q, want 200 text/html", rec.Code, rec.Header().Get("Content-Type"))
	}
	page := rec.Body.String()
	for _, want := range []string{
		`<ul id="messages">`,
		`new EventSource('/sse')`,
		`document.createElement('li')`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
}

func TestServeEndsOpenStreamsWhenItsContextIsDone(t *testing.T) {
	ssetest.NoLeaks(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	clock := clocktest.New(time.Unix(0, 0))
	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	served := make(chan error, 1)
	go func() { served <- transport.Serve(ctx, &http.Server{Handler: newRouter(clock)}, ln) }()

	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get("http://" + ln.Addr().String() + "/sse")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	dec := encoder.NewDecoder(resp.Body)
	clock.BlockUntil(1)
	clock.Advance(time.Second)
	if ev, err := dec.Decode(); err != nil || ev != hello(1) {
		t.Fatalf("first event = %+v, %v; want %+v", ev, err, hello(1))
	}

	stop() // as SIGINT or SIGTERM would
	if ev, err := dec.Decode(); !errors.Is(err, io.EOF) {
		t.Errorf("after shutdown: %+v, %v; want the end of the stream", ev, err)
	}
	if err := <-served; err != nil {
		t.Errorf("serve = %v, want nil after a graceful shutdown", err)
	}
}
