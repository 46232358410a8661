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

	"github.com/rxsse/rxsse/controller"
	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/openapi"
	"github.com/rxsse/rxsse/openapi/openapitest"
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
		srv := ssetest.NewServer(newRouter())
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

// Every event of /sse is of the type the route declares and matches the
// route's schema in its OpenAPI document.
func TestTheStreamSendsWhatItDeclares(t *testing.T) {
	routes := controller.Describe(appController{})
	doc, err := openapi.New(openapi.Info{Title: "hello", Version: "1.0.0"}, routes...)
	if err != nil {
		t.Fatal(err)
	}
	var decl transport.Declaration
	for _, rt := range routes {
		if rt.SSE {
			decl = rt.Declared
		}
	}
	check := openapitest.Check(t, doc.JSON(), http.MethodGet, "/sse")
	synctest.Test(t, func(t *testing.T) {
		srv := ssetest.NewServer(newRouter())
		defer srv.Close()
		st, err := srv.Get(t.Context(), "/sse", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		ssetest.ExpectDeclared(t, st, decl, 3, check)
	})
}

// A server shutdown ends an open stream at once, with no further event, and
// stops everything the stream started: synctest.Test fails if a goroutine
// of the bubble (the subscription's ticker loop, say) is left.
func TestShuttingDownTheServerEndsTheStreamAndItsSubscription(t *testing.T) {
	began := time.Now()
	synctest.Test(t, func(t *testing.T) {
		srv := ssetest.NewServer(newRouter())
		start := time.Now()
		st, err := srv.Get(t.Context(), "/sse", nil)
		if err != nil {
			srv.Close()
			t.Fatal(err)
		}
		if !st.IsEventStream() {
			t.Errorf("GET /sse: %s %q, want a 200 event stream", st.Response.Status, st.Response.Header.Get("Content-Type"))
		}
		for i := 1; i <= 10; i++ {
			ssetest.ExpectEvents(t, st, hello(i))
		}

		closed := make(chan struct{})
		go func() {
			defer close(closed)
			srv.Close()
		}()
		ssetest.ExpectEnd(t, st)
		if at := time.Since(start); at != 10*time.Second {
			t.Errorf("the stream ended at %v, want at once, at 10s", at)
		}
		st.Close()
		<-closed
	})
	fast(t, began)
}

func TestTheIndexPageListsEachMessage(t *testing.T) {
	rec := httptest.NewRecorder()
	newRouter().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
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

// On a real socket and in real time: the stream is open once its headers
// have come, and Serve's shutdown ends it before its first event.
func TestServeEndsOpenStreamsWhenItsContextIsDone(t *testing.T) {
	ssetest.NoLeaks(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	served := make(chan error, 1)
	go func() { served <- transport.Serve(ctx, &http.Server{Handler: newRouter()}, ln) }()

	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get("http://" + ln.Addr().String() + "/sse")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET /sse: %s %q, want a 200 event stream", resp.Status, resp.Header.Get("Content-Type"))
	}

	stop() // as SIGINT or SIGTERM would
	if ev, err := encoder.NewDecoder(resp.Body).Decode(); !errors.Is(err, io.EOF) {
		t.Errorf("after shutdown: %+v, %v; want the end of the stream", ev, err)
	}
	if err := <-served; err != nil {
		t.Errorf("serve = %v, want nil after a graceful shutdown", err)
	}
}
