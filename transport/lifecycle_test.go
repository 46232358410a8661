package transport_test

import (
	"bufio"
	"compress/gzip"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/transport"
	"github.com/rxsse/rxsse/transport/ssetest"
)

func TestClientDisconnectDisposesTheWholePipeline(t *testing.T) {
	pipelines := []struct {
		name  string
		build func(r *http.Request, done chan struct{}) rxgo.Observable
	}{
		{"a cold source", func(_ *http.Request, done chan struct{}) rxgo.Observable {
			return ticks(time.Millisecond, done)
		}},
		{"Map, Filter and Take over a cold source", func(_ *http.Request, done chan struct{}) rxgo.Observable {
			return ticks(time.Millisecond, done).
				Map(func(_ context.Context, v any) (any, error) { return encoder.MessageEvent{Data: v}, nil }).
				Filter(func(any) bool { return true }).
				Take(1_000_000)
		}},
		{"the escape hatch: a hot rxgo.Interval given the request context", func(r *http.Request, done chan struct{}) rxgo.Observable {
			context.AfterFunc(r.Context(), func() { close(done) })
			return rxgo.Interval(rxgo.WithDuration(time.Millisecond), rxgo.WithContext(r.Context())).
				Map(func(_ context.Context, v any) (any, error) { return v, nil })
		}},
	}
	for _, p := range pipelines {
		t.Run(p.name, func(t *testing.T) {
			ssetest.NoLeaks(t)
			done := make(chan struct{})
			ts := serve(t, transport.Handler(func(r *http.Request) rxgo.Observable { return p.build(r, done) }))
			resp := get(t, ts.URL, nil)
			dec := encoder.NewDecoder(resp.Body)
			for range 3 {
				if _, err := dec.Decode(); err != nil {
					t.Fatal(err)
				}
			}
			resp.Body.Close()
			<-done // the source saw the cancellation
		})
	}
}

func TestShutdownEndsOpenStreamsPromptly(t *testing.T) {
	ssetest.NoLeaks(t)
	done := make(chan struct{})
	ts := httptest.NewUnstartedServer(transport.Handler(func(*http.Request) rxgo.Observable { return idle(done) }))
	transport.CancelOnShutdown(ts.Config)
	ts.Start()
	defer ts.Close()
	resp := get(t, ts.URL, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := ts.Config.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	<-done
	if got := body(t, resp); got != "\n" {
		t.Errorf("body = %q", got)
	}
}

func TestCancelOnShutdownKeepsAnExistingBaseContext(t *testing.T) {
	type key struct{}
	base := context.WithValue(context.Background(), key{}, "v")
	srv := &http.Server{BaseContext: func(net.Listener) context.Context { return base }}
	transport.CancelOnShutdown(srv)
	ctx := srv.BaseContext(nil)
	if ctx.Value(key{}) != "v" {
		t.Errorf("the existing BaseContext was lost")
	}
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ctx.Err() != nil {
		t.Errorf("Shutdown cancelled the base context, and with it every ordinary request")
	}
}

func TestHTTP2(t *testing.T) {
	ts := httptest.NewUnstartedServer(transport.Handler(func(*http.Request) rxgo.Observable { return items("a", "b") }))
	ts.EnableHTTP2 = true
	ts.StartTLS()
	defer ts.Close()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, ts.URL, nil)
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Fatalf("proto = %s, want HTTP/2", resp.Proto)
	}
	if _, ok := resp.Header["Connection"]; ok {
		t.Errorf("Connection header sent over HTTP/2")
	}
	if got := body(t, resp); got != "\nid: 1\ndata: a\n\nid: 2\ndata: b\n\n" {
		t.Errorf("body = %q", got)
	}
}

// lockstep emits the next event only after the client has acknowledged the
// previous one, so the test hangs unless each event is flushed on its own.
func lockstep(acks <-chan struct{}, n int) rxgo.Observable {
	return rxgo.Defer([]rxgo.Producer{func(ctx context.Context, next chan<- rxgo.Item) {
		for i := range n {
			select {
			case next <- rxgo.Of(i):
			case <-ctx.Done():
				return
			}
			select {
			case <-acks:
			case <-ctx.Done():
				return
			}
		}
	}})
}

func TestEventsArriveOneByOneThroughChiCompress(t *testing.T) {
	acks := make(chan struct{})
	h := middleware.Compress(5, "text/event-stream")(transport.Handler(func(*http.Request) rxgo.Observable { return lockstep(acks, 3) }))
	ts := serve(t, h)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, ts.URL, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding = %q, want gzip", resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	dec := encoder.NewDecoder(zr)
	for i := range 3 {
		ev, err := dec.Decode()
		if err != nil {
			t.Fatal(err)
		}
		if ev.Data != itoa(i) {
			t.Errorf("event %d data = %q", i, ev.Data)
		}
		if i < 2 {
			acks <- struct{}{}
		}
	}
}

func itoa(i int) string { return string(rune('0' + i)) }

// unwrapping is middleware's usual wrapper: it hides Flush but offers Unwrap.
type unwrapping struct {
	http.ResponseWriter
	writes int
}

func (u *unwrapping) Write(p []byte) (int, error) { u.writes++; return u.ResponseWriter.Write(p) }
func (u *unwrapping) Unwrap() http.ResponseWriter { return u.ResponseWriter }

// opaque hides both.
type opaque struct{ http.ResponseWriter }

func TestWrappedResponseWriters(t *testing.T) {
	acks := make(chan struct{})
	var wrapped *unwrapping
	h := transport.Handler(func(*http.Request) rxgo.Observable { return lockstep(acks, 2) })
	ts := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wrapped = &unwrapping{ResponseWriter: w}
		h.ServeHTTP(wrapped, r)
	}))
	resp := get(t, ts.URL, nil)
	dec := encoder.NewDecoder(resp.Body)
	if _, err := dec.Decode(); err != nil {
		t.Fatal(err)
	}
	acks <- struct{}{}
	if _, err := dec.Decode(); err != nil {
		t.Fatal(err)
	}

	logger, logs := newLogger()
	h = transport.Handler(func(*http.Request) rxgo.Observable { return items("x") }, transport.WithLogger(logger))
	ts = serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(opaque{w}, r) }))
	resp = get(t, ts.URL, nil)
	if resp.StatusCode != 500 {
		t.Errorf("a writer that cannot flush gave %d, want 500", resp.StatusCode)
	}
	if !logs.Contains("cannot flush") {
		t.Errorf("the cause was not logged: %s", logs)
	}
}

func TestABurstGoesOutInOneWrite(t *testing.T) {
	vs := make([]any, 100)
	for i := range vs {
		vs[i] = map[string]int{"n": i}
	}
	var wrapped *unwrapping
	h := transport.Handler(func(*http.Request) rxgo.Observable { return items(vs...) })
	ts := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wrapped = &unwrapping{ResponseWriter: w}
		h.ServeHTTP(wrapped, r)
	}))
	resp := get(t, ts.URL, nil)
	n := strings.Count(body(t, resp), "data: ")
	if n != 100 {
		t.Fatalf("got %d events", n)
	}
	if wrapped.writes != 1 {
		t.Errorf("a ready burst of 100 events took %d writes, want 1", wrapped.writes)
	}
}

func TestAnEventOverTheSizeCapCutsTheConnection(t *testing.T) {
	logger, logs := newLogger()
	big := strings.Repeat("x", 2048)
	small := make([]any, 400) // 400 small events (~5 KB) are over the cap together, but no one of them is
	for i := range small {
		small[i] = "s"
	}
	src := func(*http.Request) rxgo.Observable { return items(append(small, big, "after")...) }
	resp := get(t, serve(t, transport.Handler(src, transport.WithMaxEventSize(1024), transport.WithLogger(logger))).URL, nil)
	got := body(t, resp)
	if strings.Count(got, "data: s\n") != 400 || strings.Contains(got, big) || strings.Contains(got, "after") {
		t.Errorf("body = %q", got)
	}
	if !logs.Contains("connection cut") {
		t.Errorf("the cut was not logged: %s", logs)
	}

	// Before anything was committed, the same is a 500.
	src = func(*http.Request) rxgo.Observable { return items(big) }
	resp = get(t, serve(t, transport.Handler(src, transport.WithMaxEventSize(1024), transport.WithLogger(logger))).URL, nil)
	if resp.StatusCode != 500 {
		t.Errorf("an oversized first event gave %d, want 500", resp.StatusCode)
	}
}

func TestResponseBodyReaderSeesRawHeartbeat(t *testing.T) {
	// Covered in time_test.go with fake time; here only the raw line shape
	// over a real connection with a tiny heartbeat.
	ts := serve(t, transport.Handler(func(*http.Request) rxgo.Observable { return idle(nil) }, transport.WithHeartbeat(time.Millisecond)))
	resp := get(t, ts.URL, nil)
	br := bufio.NewReader(resp.Body)
	for _, want := range []string{"\n", ": heartbeat\n", "\n"} {
		line, err := br.ReadString('\n')
		if err != nil && err != io.EOF {
			t.Fatal(err)
		}
		if line != want {
			t.Fatalf("line = %q, want %q", line, want)
		}
	}
}

type reconnectErr struct{}

func (reconnectErr) Error() string   { return "subscriber too slow" }
func (reconnectErr) Reconnect() bool { return true }

func TestAReconnecterErrorEndsTheStreamWithoutAnErrorFrame(t *testing.T) {
	tests := []struct {
		name string
		src  rxgo.Observable
		want string
	}{
		{"after events", items("a", reconnectErr{}, "never"), "\nid: 1\ndata: a\n\n"},
		{"as the first item it is still a 200, so browsers reconnect", items(reconnectErr{}), "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logger, logs := newLogger()
			resp := get(t, serve(t, transport.Handler(func(*http.Request) rxgo.Observable { return tt.src }, transport.WithLogger(logger))).URL, nil)
			if resp.StatusCode != 200 {
				t.Errorf("status = %d", resp.StatusCode)
			}
			if got := body(t, resp); got != tt.want {
				t.Errorf("body = %q, want %q", got, tt.want)
			}
			if !logs.Contains("reconnect") {
				t.Errorf("not logged: %s", logs)
			}
		})
	}
}

type countingObserver struct {
	mu                     sync.Mutex
	opened, closed, events int
	bytes                  int
}

func (o *countingObserver) StreamOpened(*http.Request) { o.mu.Lock(); o.opened++; o.mu.Unlock() }
func (o *countingObserver) StreamClosed(*http.Request) { o.mu.Lock(); o.closed++; o.mu.Unlock() }
func (o *countingObserver) EventsWritten(_ *http.Request, events, bytes int) {
	o.mu.Lock()
	o.events += events
	o.bytes += bytes
	o.mu.Unlock()
}

func TestTheObserverSeesStreamsEventsAndBytes(t *testing.T) {
	obs := &countingObserver{}
	h := transport.Handler(func(r *http.Request) rxgo.Observable {
		if r.URL.Path == "/missing" {
			return rxgo.Thrown(transport.NewHTTPError(404, ""))
		}
		return items("a", "b", encoder.MessageEvent{Comment: "c"})
	}, transport.WithObserver(obs))
	ts := serve(t, h)
	got := body(t, get(t, ts.URL, nil))
	_ = body(t, get(t, ts.URL+"/missing", nil))
	ts.Close() // waits for the handlers
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if obs.opened != 1 || obs.closed != 1 {
		t.Errorf("opened %d, closed %d; want 1 and 1 (an HTTP error is no stream)", obs.opened, obs.closed)
	}
	if obs.events != 3 || obs.bytes != len(got) {
		t.Errorf("events %d, bytes %d; want 3 and %d", obs.events, obs.bytes, len(got))
	}
}

// TestTheDefaultCapIsTheModulesOne pins the one size cap of the module: an
// event whose encoded block is exactly encoder.DefaultMaxEventSize is sent
// by a transport on its defaults and read by a Decoder on its defaults; one
// byte more (without an id) is refused with a 500 before the stream.
func TestTheDefaultCapIsTheModulesOne(t *testing.T) {
	const overhead = len("id: 1\ndata: \n\n") // the auto id, the data prefix, the block's end
	payload := strings.Repeat("x", encoder.DefaultMaxEventSize-overhead)
	src := func(r *http.Request) rxgo.Observable {
		if r.URL.Query().Has("over") {
			return items(payload + "x")
		}
		return items(payload)
	}
	ts := serve(t, transport.Handler(src))
	resp := get(t, ts.URL, nil)
	ev, err := encoder.NewDecoder(resp.Body).Decode()
	if resp.StatusCode != http.StatusOK || err != nil || len(ev.Data) != len(payload) {
		t.Fatalf("an event of exactly the cap: status %d, decoded %d bytes, %v", resp.StatusCode, len(ev.Data), err)
	}
	if resp := get(t, ts.URL+"?over", nil); resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("an event one byte over the cap gave %d, want 500", resp.StatusCode)
	}
}

// TestAnEventWithAnIDOverTheSizeCapIsSkipped: a retained event (one with an
// id, as a broker's are) too large to send must not turn a resume into an
// error: in its place the client gets its id and a comment, and the stream
// goes on.
func TestAnEventWithAnIDOverTheSizeCapIsSkipped(t *testing.T) {
	const max = 1024
	huge := encoder.MessageEvent{ID: "e-2", Data: strings.Repeat("x", 2000)}
	const skipped = "id: e-2\n: event skipped: 2016 bytes, over the 1024-byte cap\n\n"
	tests := []struct {
		name     string
		items    []any
		wantBody string
		want     []encoder.Event
	}{
		{
			"between two events",
			[]any{encoder.MessageEvent{ID: "e-1", Data: "a"}, huge, "c"},
			"\nid: e-1\ndata: a\n\n" + skipped + "data: c\n\n",
			[]encoder.Event{{Type: "message", Data: "a", LastEventID: "e-1"}, {Type: "message", Data: "c", LastEventID: "e-2"}},
		},
		{
			"before the first event, with a 200",
			[]any{huge, "c"},
			"\n" + skipped + "data: c\n\n",
			[]encoder.Event{{Type: "message", Data: "c", LastEventID: "e-2"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logger, logs := newLogger()
			src := func(*http.Request) rxgo.Observable { return items(tt.items...) }
			ts := serve(t, transport.Handler(src, transport.WithMaxEventSize(max), transport.WithAutoID(false), transport.WithLogger(logger)))
			resp := get(t, ts.URL, nil)
			got := body(t, resp)
			if resp.StatusCode != http.StatusOK || got != tt.wantBody {
				t.Errorf("status %d, body %q, want 200 and %q", resp.StatusCode, got, tt.wantBody)
			}
			var events []encoder.Event
			for ev, err := range encoder.NewDecoder(strings.NewReader(got)).Events() {
				if err != nil {
					t.Fatal(err)
				}
				events = append(events, ev)
			}
			if !slices.Equal(events, tt.want) {
				t.Errorf("a client got %+v, want %+v", events, tt.want)
			}
			if !logs.Contains("level=WARN") || !logs.Contains("e-2") {
				t.Errorf("the skip was not logged at Warn: %s", logs)
			}
		})
	}
}
