package e2e_test

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/rxsse/rxsse/internal/e2e"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The servers below are hand-written on purpose: these tests check the harness and the
// clients against bytes we control, not against rxsse's transport.

// clients are the EventSource implementations the harness drives; every behaviour test runs
// against each, with the same expectations.
var clients = []struct {
	name string
	run  func(testing.TB, string, e2e.Options) e2e.Result
}{
	{"chromium", e2e.Browser},
	{"npm eventsource", e2e.NodeEventSource},
}

// serve starts h on a loopback httptest server that is closed when the test ends, after the
// client processes (their cleanups were registered later, so they run first).
func serve(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv
}

// stream starts an event stream and writes frames as they are, flushing them.
func stream(w http.ResponseWriter, frames ...string) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	for _, f := range frames {
		fmt.Fprint(w, f)
	}
	w.(http.Flusher).Flush()
}

// holdOpen keeps a stream open until the client leaves, as a live stream would.
func holdOpen(r *http.Request) { <-r.Context().Done() }

func assertLog(t *testing.T, res e2e.Result, want []e2e.Entry) {
	t.Helper()
	if !slices.Equal(res.Spec(), want) {
		var w string
		for _, e := range want {
			w += "\n  " + e.String()
		}
		t.Fatalf("log mismatch\ngot:  %v\nwant:%s", res, w)
	}
}

func TestClientsRecordNamedEventsIDsAndErrorFrames(t *testing.T) {
	t.Parallel()
	for _, c := range clients {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				stream(w, "\n",
					": a comment dispatches nothing\n\n",
					"event: greeting\nid: 1\ndata: hello\n\n",
					"id: 2\ndata: plain\n\n",
					"event: unlisted\ndata: not listened for\n\n",
					"event: tick\nid: 3\ndata: line1\ndata: line2\n\n",
					// A frame named error reaches onerror as a MessageEvent: the harness
					// records it as a message, not as a connection error.
					"event: error\nid: 4\ndata: boom\n\n",
				)
				holdOpen(r)
			})
			res := c.run(t, srv.URL+"/events", e2e.Options{Types: []string{"greeting", "tick"}, Count: 4, Timeout: 10 * time.Second})
			assertLog(t, res, []e2e.Entry{
				{Kind: e2e.KindOpen},
				{Kind: e2e.KindMessage, Type: "greeting", Data: "hello", LastEventID: "1"},
				{Kind: e2e.KindMessage, Type: "message", Data: "plain", LastEventID: "2"},
				{Kind: e2e.KindMessage, Type: "tick", Data: "line1\nline2", LastEventID: "3"},
				{Kind: e2e.KindMessage, Type: "error", Data: "boom", LastEventID: "4"},
			})
			if res.StopReason != e2e.StopCount || res.FinalReadyState != e2e.StateOpen || res.TimedOut {
				t.Errorf("stop: got %s/readyState %d/timedOut %v, want count/%d/false", res.StopReason, res.FinalReadyState, res.TimedOut, e2e.StateOpen)
			}
		})
	}
}

func TestClientsReconnectWithLastEventID(t *testing.T) {
	t.Parallel()
	for _, c := range clients {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var requests atomic.Int32
			resumedFrom := make(chan string, 1)
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				if requests.Add(1) == 1 {
					// End the stream: the client must come back after the retry hint.
					stream(w, "\nretry: 50\nid: 7\ndata: first\n\n")
					return
				}
				select {
				case resumedFrom <- r.Header.Get("Last-Event-ID"):
				default:
				}
				stream(w, "\nid: 8\ndata: second\n\n")
				holdOpen(r)
			})
			res := c.run(t, srv.URL+"/events", e2e.Options{Count: 2, Timeout: 10 * time.Second})
			assertLog(t, res, []e2e.Entry{
				{Kind: e2e.KindOpen},
				{Kind: e2e.KindMessage, Type: "message", Data: "first", LastEventID: "7"},
				{Kind: e2e.KindError, ReadyState: e2e.StateConnecting},
				{Kind: e2e.KindOpen},
				{Kind: e2e.KindMessage, Type: "message", Data: "second", LastEventID: "8"},
			})
			// The handler sent the header before it wrote "second", which the client received.
			select {
			case got := <-resumedFrom:
				if got != "7" {
					t.Errorf("reconnect sent Last-Event-ID %q, want %q", got, "7")
				}
			default:
				t.Fatal("the server never saw the reconnect")
			}
			t.Logf("reconnect took %v after the error (retry: 50)", res.Log[3].At-res.Log[2].At)
		})
	}
}

func TestClientsStopForGood(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		respond func(http.ResponseWriter)
	}{
		{"on 204 No Content", func(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) }},
		{"on a non-200 status", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/event-stream")
			w.WriteHeader(http.StatusServiceUnavailable)
		}},
		{"on a content type other than text/event-stream", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/plain")
			fmt.Fprint(w, "data: nope\n\n")
		}},
	}
	for _, c := range clients {
		for _, tc := range cases {
			t.Run(c.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				var requests atomic.Int32
				srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
					requests.Add(1)
					tc.respond(w)
				})
				res := c.run(t, srv.URL+"/events", e2e.Options{Timeout: 10 * time.Second})
				assertLog(t, res, []e2e.Entry{{Kind: e2e.KindError, ReadyState: e2e.StateClosed}})
				if res.StopReason != e2e.StopClosed || res.FinalReadyState != e2e.StateClosed {
					t.Errorf("stop: got %s/readyState %d, want closed/%d", res.StopReason, res.FinalReadyState, e2e.StateClosed)
				}
				if n := requests.Load(); n != 1 {
					t.Errorf("server saw %d requests, want 1 (no reconnect)", n)
				}
			})
		}
	}
}

func TestClientsSendHeaders(t *testing.T) {
	t.Parallel()
	for _, c := range clients {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got := make(chan http.Header, 1)
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				select {
				case got <- r.Header.Clone():
				default:
				}
				stream(w, "\ndata: hi\n\n")
				holdOpen(r)
			})
			res := c.run(t, srv.URL+"/events", e2e.Options{Count: 1, Headers: map[string]string{"Authorization": "Bearer t0k3n"}})
			var h http.Header
			select {
			case h = <-got: // sent before the message the client received
			default:
				t.Fatalf("the server never saw a request: %v", res)
			}
			if a := h.Get("Authorization"); a != "Bearer t0k3n" {
				t.Errorf("Authorization: got %q, want %q", a, "Bearer t0k3n")
			}
			if a := h.Get("Accept"); a != "text/event-stream" {
				t.Errorf("Accept: got %q, want text/event-stream", a)
			}
		})
	}
}

func TestClientsTimeOutAsAResult(t *testing.T) {
	t.Parallel()
	for _, c := range clients {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				stream(w, "\n")
				holdOpen(r)
			})
			res := c.run(t, srv.URL+"/events", e2e.Options{Count: 1, Timeout: 300 * time.Millisecond})
			assertLog(t, res, []e2e.Entry{{Kind: e2e.KindOpen}})
			if !res.TimedOut || res.StopReason != e2e.StopTimeout || res.FinalReadyState != e2e.StateOpen {
				t.Errorf("got timedOut %v/%s/readyState %d, want true/timeout/%d", res.TimedOut, res.StopReason, res.FinalReadyState, e2e.StateOpen)
			}
		})
	}
}

// page is an example-style page: its EventSource appends one <li> per message.
const page = `<!doctype html>
<ul id="items"></ul>
<script>
  const es = new EventSource('/events');
  es.onmessage = (e) => {
    const li = document.createElement('li');
    li.textContent = e.data;
    document.getElementById('items').append(li);
  };
</script>`

func TestBrowserPageWaitsForElements(t *testing.T) {
	t.Parallel()
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, page)
		case "/events":
			stream(w, "\ndata: a\n\n", "data: b\n\n", "data: c\n\n")
			holdOpen(r)
		default:
			http.NotFound(w, r)
		}
	})

	t.Run("until enough match", func(t *testing.T) {
		res := e2e.BrowserPage(t, srv.URL+"/", "#items li", 3, 10*time.Second)
		if want := []string{"a", "b", "c"}; res.TimedOut || !slices.Equal(res.Texts, want) {
			t.Errorf("got %q (timedOut %v), want %q", res.Texts, res.TimedOut, want)
		}
		if len(res.ConsoleErrors)+len(res.PageErrors) > 0 {
			t.Errorf("page reported errors: console %q, uncaught %q", res.ConsoleErrors, res.PageErrors)
		}
	})
	t.Run("or until the timeout", func(t *testing.T) {
		res := e2e.BrowserPage(t, srv.URL+"/", "#items p", 1, 300*time.Millisecond)
		if !res.TimedOut || len(res.Texts) != 0 {
			t.Errorf("got %q (timedOut %v), want none, timed out", res.Texts, res.TimedOut)
		}
	})
}

func TestStartBrowserRunsBesideTheTest(t *testing.T) {
	t.Parallel()
	// The client connects, then the test publishes: the shape of a hub or chat test.
	connected := make(chan struct{})
	var once sync.Once
	publish := make(chan string)
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		stream(w, "\n")
		once.Do(func() { close(connected) })
		for {
			select {
			case msg := <-publish:
				stream(w, "data: "+msg+"\n\n")
			case <-r.Context().Done():
				return
			}
		}
	})
	run := e2e.StartBrowser(t, srv.URL+"/events", e2e.Options{Count: 2})
	select {
	case <-connected:
	case <-time.After(30 * time.Second):
		t.Fatal("the browser never connected")
	}
	for _, msg := range []string{"one", "two"} {
		select {
		case publish <- msg:
		case <-time.After(10 * time.Second):
			t.Fatalf("the stream stopped taking messages before %q", msg)
		}
	}
	res := run.Wait()
	assertLog(t, res, []e2e.Entry{
		{Kind: e2e.KindOpen},
		{Kind: e2e.KindMessage, Type: "message", Data: "one"},
		{Kind: e2e.KindMessage, Type: "message", Data: "two"},
	})
}

// fatalRecorder stands in for t where a helper is expected to fail the test: it records the
// message and ends the helper's goroutine, as Fatal would.
type fatalRecorder struct {
	testing.TB
	fatal, skip string
}

func (f *fatalRecorder) Helper()                   {}
func (f *fatalRecorder) Fatal(args ...any)         { f.fatal = fmt.Sprint(args...); runtime.Goexit() }
func (f *fatalRecorder) Fatalf(s string, a ...any) { f.fatal = fmt.Sprintf(s, a...); runtime.Goexit() }
func (f *fatalRecorder) Skip(args ...any)          { f.skip = fmt.Sprint(args...); runtime.Goexit() }
func (f *fatalRecorder) Skipf(s string, a ...any)  { f.skip = fmt.Sprintf(s, a...); runtime.Goexit() }
func (f *fatalRecorder) SkipNow()                  { f.skip = "skipped"; runtime.Goexit() }

func TestHarnessFailuresFailTheTestWithStderr(t *testing.T) {
	t.Parallel()
	// A port nothing listens on: the page cannot load.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()

	cases := []struct {
		name string
		run  func(testing.TB)
		want []string
	}{
		{"when the browser cannot open the page", func(tb testing.TB) {
			e2e.Browser(tb, closed+"/events", e2e.Options{PageURL: closed + "/", Timeout: time.Second})
		}, []string{"browser-eventsource.mjs failed", "harness failure", "ERR_CONNECTION_REFUSED"}},
		{"when the npm client rejects the URL", func(tb testing.TB) {
			e2e.NodeEventSource(tb, "not a url", e2e.Options{Timeout: time.Second})
		}, []string{"node-eventsource.mjs failed", "harness failure", "SyntaxError"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := &fatalRecorder{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				tc.run(rec)
			}()
			<-done // the helper returns or Goexits; its own waits are bounded
			if rec.skip != "" {
				t.Skip(rec.skip)
			}
			for _, w := range tc.want {
				if !strings.Contains(rec.fatal, w) {
					t.Fatalf("failure message lacks %q:\n%s", w, rec.fatal)
				}
			}
		})
	}
}
