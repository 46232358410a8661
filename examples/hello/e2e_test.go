package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/controller"
	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/internal/e2e"
	"github.com/rxsse/rxsse/transport"
)

// End-to-end tests: the example served over real sockets to clients nobody
// here wrote, headless Chromium and the npm eventsource package (see
// internal/e2e). They skip when node, the npm packages or Chromium are
// missing, unless RXSSE_E2E=1 (make test) makes that a failure.

// greetingsTotal and greetingsPerConnection shape the resumable stream: each
// connection sends the next greetingsPerConnection events and then completes,
// until the last one, which stays open once it has sent the greetingsTotal-th.
const (
	greetingsTotal         = 9
	greetingsPerConnection = 3
)

// greetings is a controller for a resumable stream of named events, mounted
// beside the example's own to check what the seed does not send: event
// types, ids, a retry hint, and a reconnect resuming from Last-Event-ID.
// Each client gets its own stream, /greetings/{client}, so tests running at
// once can share the server and still count their own requests.
type greetings struct {
	mu      sync.Mutex
	resumes map[string][]string // per client: the Last-Event-ID of each request, in order
}

func (*greetings) Prefix() string { return "/greetings" }

func (g *greetings) Routes(r controller.Router) {
	r.Sse("/{client}", g.stream, transport.WithRetry(50*time.Millisecond), transport.Emits[map[string]any]("greeting"))
}

// requests returns the Last-Event-ID each request of client carried.
func (g *greetings) requests(client string) []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.resumes[client])
}

func greeting(i int) encoder.MessageEvent {
	return encoder.MessageEvent{
		Type: "greeting",
		ID:   strconv.Itoa(i),
		Data: map[string]any{"hello": "world", "n": i},
	}
}

func (g *greetings) stream(r *http.Request) rxgo.Observable {
	client, last := chi.URLParam(r, "client"), transport.LastEventID(r)
	g.mu.Lock()
	g.resumes[client] = append(g.resumes[client], last)
	g.mu.Unlock()

	from := 0
	if last != "" {
		n, err := strconv.Atoi(last)
		if err != nil || n < 0 || n > greetingsTotal {
			return rxgo.Thrown(transport.NewHTTPError(http.StatusBadRequest, "bad Last-Event-ID "+strconv.Quote(last)))
		}
		from = n
	}
	to := min(from+greetingsPerConnection, greetingsTotal)
	return rxgo.Defer([]rxgo.Producer{func(ctx context.Context, next chan<- rxgo.Item) {
		for i := from + 1; i <= to; i++ {
			select {
			case next <- rxgo.Of(greeting(i)):
			case <-ctx.Done():
				return
			}
		}
		if to == greetingsTotal {
			<-ctx.Done() // all sent: stay open until the client leaves
		}
	}})
}

// wantGreetings is the log an EventSource keeps of the whole resumable
// stream: each connection's events, then an error with readyState
// CONNECTING when it ends, and an open when the reconnect succeeds.
func wantGreetings() []e2e.Entry {
	var want []e2e.Entry
	for i := 1; i <= greetingsTotal; i++ {
		if i%greetingsPerConnection == 1 {
			if i > 1 {
				want = append(want, e2e.Entry{Kind: e2e.KindError, ReadyState: e2e.StateConnecting})
			}
			want = append(want, e2e.Entry{Kind: e2e.KindOpen})
		}
		want = append(want, e2e.Entry{
			Kind:        e2e.KindMessage,
			Type:        "greeting",
			Data:        fmt.Sprintf(`{"hello":"world","n":%d}`, i),
			LastEventID: strconv.Itoa(i),
		})
	}
	return want
}

// wantResumes is the Last-Event-ID of each request of the resumable stream:
// none on the first, then the last id of the connection before.
func wantResumes() []string {
	want := []string{""}
	for i := greetingsPerConnection; i < greetingsTotal; i += greetingsPerConnection {
		want = append(want, strconv.Itoa(i))
	}
	return want
}

// serveE2E starts h on a loopback server closed when t ends, after the
// client processes its subtests started (their cleanups run first).
func serveE2E(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv
}

func formatLog(entries []e2e.Entry) string {
	var b strings.Builder
	for _, e := range entries {
		b.WriteString("\n  " + e.String())
	}
	return b.String()
}

// One test, subtests in parallel: two servers for every client, and the
// clients' start-up (a second or two each) overlaps.
func TestEndToEnd(t *testing.T) {
	// The example exactly as main serves it.
	app := serveE2E(t, newRouter())

	// The example's controller and the resumable stream on one router.
	g := &greetings{resumes: map[string][]string{}}
	r := chi.NewRouter()
	controller.Mount(r, appController{}, g)
	variant := serveE2E(t, r)

	t.Run("chromium shows the page's messages", func(t *testing.T) {
		t.Parallel()
		// One event a second: wait for the first three, each with the id the
		// page copied from lastEventId, in order.
		const n = 3
		var sel []string
		for i := 1; i <= n; i++ {
			sel = append(sel, fmt.Sprintf(`#messages > li:nth-child(%d)[data-id="%d"]`, i, i))
		}
		res := e2e.BrowserPage(t, app.URL+"/", strings.Join(sel, ", "), n, 15*time.Second)
		if res.TimedOut {
			t.Fatalf("no %d list items with ids 1..%d in order after 15 s; those that matched: %q", n, n, res.Texts)
		}
		if want := slices.Repeat([]string{`{"hello":"world"}`}, n); !slices.Equal(res.Texts, want) {
			t.Errorf("list items: got %q, want %q", res.Texts, want)
		}
		if len(res.ConsoleErrors)+len(res.PageErrors) > 0 {
			t.Errorf("the page reported errors: console %q, uncaught %q", res.ConsoleErrors, res.PageErrors)
		}
	})

	t.Run("npm eventsource receives the hello stream", func(t *testing.T) {
		t.Parallel()
		res := e2e.NodeEventSource(t, app.URL+"/sse", e2e.Options{Count: 2, Timeout: 10 * time.Second})
		want := []e2e.Entry{
			{Kind: e2e.KindOpen},
			{Kind: e2e.KindMessage, Type: "message", Data: `{"hello":"world"}`, LastEventID: "1"},
			{Kind: e2e.KindMessage, Type: "message", Data: `{"hello":"world"}`, LastEventID: "2"},
		}
		if !slices.Equal(res.Spec(), want) {
			t.Fatalf("got %v\nwant:%s", res, formatLog(want))
		}
	})

	for _, c := range []struct {
		name string
		run  func(testing.TB, string, e2e.Options) e2e.Result
	}{
		{"npm", e2e.NodeEventSource},
		{"chromium", e2e.Browser},
	} {
		t.Run(c.name+" resumes named events from Last-Event-ID", func(t *testing.T) {
			t.Parallel()
			res := c.run(t, variant.URL+"/greetings/"+c.name, e2e.Options{
				Types:   []string{"greeting"},
				Count:   greetingsTotal,
				Timeout: 10 * time.Second,
			})
			// The exact log: every event once, in order, with its type, data
			// and id, and a reconnect wherever a connection completed.
			if want := wantGreetings(); !slices.Equal(res.Spec(), want) {
				t.Fatalf("got %v\nwant:%s", res, formatLog(want))
			}
			if res.StopReason != e2e.StopCount {
				t.Errorf("stopped by %s, want %s", res.StopReason, e2e.StopCount)
			}
			// Each reconnect carried the last id of the connection before; and
			// there were no others.
			if got, want := g.requests(c.name), wantResumes(); !slices.Equal(got, want) {
				t.Errorf("Last-Event-ID of each request: got %q, want %q", got, want)
			}
			// The retry hint of 50 ms, not the default 3 s, paced the reconnects.
			for i, e := range res.Log {
				if e.Kind == e2e.KindError {
					if took := res.Log[i+1].At - e.At; took > 2*time.Second {
						t.Errorf("a reconnect took %v, want about 50 ms (retry: 50)", took)
					}
				}
			}
		})
	}
}
