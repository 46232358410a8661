//go:build linux

package transport_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/observable/hub"
	"github.com/rxsse/rxsse/transport"
	"github.com/rxsse/rxsse/transport/ssetest"
)

// patience bounds every wait of these tests: none sleeps, each waits for
// an event and fails if it does not come within this.
const patience = 10 * time.Second

// parkings returns a channel that receives the request of every stream
// that parks while the test runs.
func parkings(t *testing.T) <-chan *http.Request {
	t.Helper()
	// The pool is the process's: streams an earlier test hung up on may
	// still be ending.
	deadline := time.Now().Add(patience)
	for transport.ParkedStreams() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d streams of earlier tests still parked", transport.ParkedStreams())
		}
		runtime.Gosched()
	}
	ch := make(chan *http.Request, 64)
	t.Cleanup(transport.SetParkHook(func(r *http.Request) { ch <- r }))
	return ch
}

func waitParked(t *testing.T, ch <-chan *http.Request) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(patience):
		t.Fatal("the stream did not park")
	}
}

// hubEnds is a hub.Observer that signals every subscription's end.
type hubEnds struct{ ended chan hub.EndReason }

func newHubEnds() *hubEnds                      { return &hubEnds{ended: make(chan hub.EndReason, 64)} }
func (*hubEnds) Subscribed(int, bool)           {}
func (o *hubEnds) Unsubscribed(r hub.EndReason) { o.ended <- r }
func (*hubEnds) Published(int, time.Duration)   {}
func (o *hubEnds) wait(t *testing.T) hub.EndReason {
	t.Helper()
	select {
	case r := <-o.ended:
		return r
	case <-time.After(patience):
		t.Fatal("the subscription was not released")
		return ""
	}
}

// parkObserver is a transport.Observer that also hears of parking.
type parkObserver struct {
	countingObserver
	parked int
	closes chan struct{}
}

func newParkObserver() *parkObserver { return &parkObserver{closes: make(chan struct{}, 64)} }

func (o *parkObserver) StreamParked(*http.Request) { o.mu.Lock(); o.parked++; o.mu.Unlock() }
func (o *parkObserver) StreamClosed(r *http.Request) {
	o.countingObserver.StreamClosed(r)
	o.closes <- struct{}{}
}

func (o *parkObserver) waitClosed(t *testing.T) {
	t.Helper()
	select {
	case <-o.closes:
	case <-time.After(patience):
		t.Fatal("the stream was not closed")
	}
}

// broadcast serves h's subscription, resumed from Last-Event-ID, with
// parking on.
func broadcast(h *hub.Hub, opts ...transport.Option) http.Handler {
	return transport.Handler(func(r *http.Request) rxgo.Observable {
		return h.Subscribe(transport.LastEventID(r))
	}, append([]transport.Option{transport.WithParking(true)}, opts...)...)
}

// client opens a stream on a connection of its own and returns its
// decoder; closing the body hangs up.
func client(t *testing.T, url, lastID string) (*http.Response, *encoder.Decoder) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	tr := &http.Transport{DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	return resp, encoder.NewDecoder(resp.Body)
}

func publish(t *testing.T, h *hub.Hub, data string) string {
	t.Helper()
	id, err := h.Publish(context.Background(), encoder.MessageEvent{Data: data})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func expect(t *testing.T, dec *encoder.Decoder, data, id string) {
	t.Helper()
	ev, err := dec.Decode()
	if err != nil {
		t.Fatalf("decode: %v (want %q)", err, data)
	}
	if ev.Data != data || ev.LastEventID != id {
		t.Fatalf("got %q with id %q, want %q with id %q", ev.Data, ev.LastEventID, data, id)
	}
}

func TestAParkedStreamDeliversEventsAndResumesWithLastEventID(t *testing.T) {
	parked := parkings(t)
	ends := newHubEnds()
	h := hub.New(hub.WithObserver(ends))
	defer h.Close()
	ts := httptest.NewServer(broadcast(h))
	defer ts.Close()

	resp, dec := client(t, ts.URL, "")
	waitParked(t, parked)
	if n := transport.ParkedStreams(); n != 1 {
		t.Fatalf("%d streams parked, want 1", n)
	}
	a, b := publish(t, h, "a"), publish(t, h, "b")
	expect(t, dec, "a", a)
	expect(t, dec, "b", b)

	// The client hangs up: the pool sees it and the subscription ends.
	resp.Body.Close()
	if r := ends.wait(t); r != hub.EndLeft {
		t.Fatalf("ended %q, want %q", r, hub.EndLeft)
	}
	c := publish(t, h, "c") // missed

	_, dec = client(t, ts.URL, b)
	expect(t, dec, "c", c) // replayed on the stream's goroutine, then parked
	waitParked(t, parked)
	d := publish(t, h, "d")
	expect(t, dec, "d", d)
}

func TestAParkedStreamGoesOnCountingAutoIDs(t *testing.T) {
	parked := parkings(t)
	h := hub.New()
	defer h.Close()
	publish(t, h, "1")
	publish(t, h, "2")
	// Data only: the events take the stream's auto ids, from 1.
	ts := httptest.NewServer(transport.Handler(func(*http.Request) rxgo.Observable {
		return h.Subscribe(hub.Oldest).Map(func(_ context.Context, v any) (any, error) {
			return v.(encoder.MessageEvent).Data, nil
		})
	}, transport.WithParking(true)))
	defer ts.Close()

	_, dec := client(t, ts.URL, "")
	expect(t, dec, "1", "1")
	expect(t, dec, "2", "2")
	waitParked(t, parked)
	publish(t, h, "3")
	publish(t, h, "4")
	expect(t, dec, "3", "3")
	expect(t, dec, "4", "4")
}

func TestAParkedStreamSendsHeartbeats(t *testing.T) {
	parked := parkings(t)
	h := hub.New()
	defer h.Close()
	ts := httptest.NewServer(broadcast(h, transport.WithHeartbeat(20*time.Millisecond)))
	defer ts.Close()

	resp, _ := client(t, ts.URL, "")
	waitParked(t, parked)
	lines := bufio.NewScanner(resp.Body)
	for beats := 0; beats < 3; {
		if !lines.Scan() {
			t.Fatalf("stream ended: %v", lines.Err())
		}
		if lines.Text() == ": heartbeat" {
			beats++
		}
	}
}

func TestAParkedStreamEndsCleanlyWhenTheHubCloses(t *testing.T) {
	parked := parkings(t)
	obs := newParkObserver()
	h := hub.New()
	ts := httptest.NewServer(broadcast(h, transport.WithObserver(obs)))
	defer ts.Close()

	resp, dec := client(t, ts.URL, "")
	waitParked(t, parked)
	id := publish(t, h, "last")
	expect(t, dec, "last", id)
	h.Close()
	// The end of the chunked body: the client reads to a clean EOF.
	if rest, err := io.ReadAll(resp.Body); err != nil || len(rest) != 0 {
		t.Fatalf("after the hub closed: %q, %v", rest, err)
	}
	obs.waitClosed(t)
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if obs.opened != 1 || obs.parked != 1 || obs.closed != 1 || obs.events != 1 {
		t.Fatalf("observer: opened %d parked %d closed %d events %d, want 1 each",
			obs.opened, obs.parked, obs.closed, obs.events)
	}
	// The start block ("\n", "id: <start>\n\n") went on the goroutine;
	// the event's bytes were counted when parked.
	if want := len("id: " + id + "\ndata: last\n\n"); obs.bytes < want {
		t.Fatalf("observer: %d bytes, want at least %d", obs.bytes, want)
	}
}

func TestAParkedStreamEndsWithAnErrorFrame(t *testing.T) {
	parked := parkings(t)
	f := newFeed()
	ts := httptest.NewServer(transport.Handler(func(*http.Request) rxgo.Observable { return f },
		transport.WithParking(true)))
	defer ts.Close()

	resp, _ := client(t, ts.URL, "")
	waitParked(t, parked)
	f.push("one", errors.New("database on fire"))
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	want := "\nid: 1\ndata: one\n\nevent: error\nid: 2\ndata: Internal server error\n\n"
	if string(b) != want {
		t.Fatalf("body %q, want %q", b, want)
	}
	select {
	case <-f.closed:
	case <-time.After(patience):
		t.Fatal("the iterator was not closed")
	}
}

func TestAParkedClientThatStopsReadingIsCutAtTheWriteTimeout(t *testing.T) {
	parked := parkings(t)
	obs := newParkObserver()
	logger, logs := newLogger()
	ends := newHubEnds()
	h := hub.New(hub.WithReplayCount(16), hub.WithObserver(ends))
	defer h.Close()
	const timeout = 100 * time.Millisecond
	ts := httptest.NewServer(broadcast(h, transport.WithWriteTimeout(timeout),
		transport.WithObserver(obs), transport.WithLogger(logger)))
	defer ts.Close()

	// A client with a small receive buffer that never reads past the
	// headers.
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) {
			_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
	}}
	conn, err := d.DialContext(t.Context(), "tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	waitParked(t, parked)
	// More than the two sockets' buffers hold, well under the lag bound.
	big := strings.Repeat("x", 16<<10)
	for range 1000 {
		if _, err := h.Publish(context.Background(), encoder.MessageEvent{Data: big}); err != nil {
			t.Fatal(err)
		}
	}
	began := time.Now()
	obs.waitClosed(t)
	if took := time.Since(began); took > timeout+2*time.Second {
		t.Fatalf("cut after %v, write timeout %v", took, timeout)
	}
	ends.wait(t)
	if !logs.Contains("client stalled past the write timeout") {
		t.Fatalf("log: %s", logs)
	}
}

func TestShutdownEndsParkedStreamsAtOnce(t *testing.T) {
	parked := parkings(t)
	obs := newParkObserver()
	h := hub.New()
	defer h.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- transport.Serve(ctx, &http.Server{Handler: broadcast(h, transport.WithObserver(obs))}, ln)
	}()
	resp, _ := client(t, "http://"+ln.Addr().String(), "")
	waitParked(t, parked)

	began := time.Now()
	stop()
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	// Serve returned after the parked stream was closed.
	obs.mu.Lock()
	closed := obs.closed
	obs.mu.Unlock()
	if closed != 1 {
		t.Fatalf("Serve returned with %d of 1 parked streams closed", closed)
	}
	// The start block, then the end of the chunked body: a clean EOF.
	if rest, err := io.ReadAll(resp.Body); err != nil || !strings.HasPrefix(string(rest), "\nid: ") {
		t.Fatalf("after shutdown: %q, %v", rest, err)
	}
	obs.waitClosed(t)
	if took := time.Since(began); took > time.Second {
		t.Fatalf("shutdown took %v", took)
	}
}

func TestAnHTTP10StreamParksWithoutChunks(t *testing.T) {
	parked := parkings(t)
	h := hub.New()
	ts := httptest.NewServer(broadcast(h))
	defer ts.Close()
	conn := rawRequest(t, ts, "GET / HTTP/1.0\r\n\r\n")
	waitParked(t, parked)
	id := publish(t, h, "old")
	h.Close()
	b, err := io.ReadAll(conn)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(b), "\n\nid: "+id+"\ndata: old\n\n") || strings.Contains(string(b), "Transfer-Encoding") {
		t.Fatalf("response %q", b)
	}
}

// hijackingWrapper is a middleware's writer that could be hijacked (as
// gzip middlewares' often can) but transforms what goes through it.
type hijackingWrapper struct{ http.ResponseWriter }

func (w hijackingWrapper) Flush()                      { w.ResponseWriter.(http.Flusher).Flush() }
func (w hijackingWrapper) Unwrap() http.ResponseWriter { return w.ResponseWriter }
func (w hijackingWrapper) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return w.ResponseWriter.(http.Hijacker).Hijack()
}

func TestStreamsThatMustNotParkStayOnTheirGoroutine(t *testing.T) {
	tests := []struct {
		name  string
		serve func(http.Handler) (*httptest.Server, *http.Client)
		opts  []transport.Option
	}{
		{name: "parking off", opts: []transport.Option{transport.WithParking(false)}, serve: plain},
		{name: "TLS", serve: func(h http.Handler) (*httptest.Server, *http.Client) {
			ts := httptest.NewTLSServer(h)
			return ts, ts.Client()
		}},
		{name: "HTTP/2", serve: func(h http.Handler) (*httptest.Server, *http.Client) {
			ts := httptest.NewUnstartedServer(h)
			ts.EnableHTTP2 = true
			ts.StartTLS()
			c := ts.Client()
			c.Transport.(*http.Transport).TLSClientConfig.NextProtos = []string{"h2"}
			c.Transport.(*http.Transport).ForceAttemptHTTP2 = true
			return ts, c
		}},
		{name: "an in-memory listener (ssetest)", serve: func(h http.Handler) (*httptest.Server, *http.Client) {
			srv := ssetest.NewServer(h)
			return &httptest.Server{URL: "http://ssetest", Config: &http.Server{}, Listener: closer{srv.Close}}, srv.Client()
		}},
		{name: "a wrapping middleware", serve: func(h http.Handler) (*httptest.Server, *http.Client) {
			return plain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				h.ServeHTTP(hijackingWrapper{w}, r)
			}))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parked := parkings(t)
			h := hub.New()
			defer h.Close()
			ts, c := tt.serve(broadcast(h, tt.opts...))
			defer ts.Close()
			defer c.CloseIdleConnections()
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, ts.URL, nil)
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if tt.name == "HTTP/2" && resp.ProtoMajor != 2 {
				t.Fatalf("served over %s", resp.Proto)
			}
			dec := encoder.NewDecoder(resp.Body)
			// The subscription started before the headers came; the
			// event is delivered after the point where it would park.
			id := publish(t, h, "x")
			expect(t, dec, "x", id)
			select {
			case <-parked:
				t.Fatal("parked")
			default:
			}
			if n := transport.ParkedStreams(); n != 0 {
				t.Fatalf("%d parked", n)
			}
		})
	}
}

// rawRequest sends request to ts on a connection of its own, with no
// goroutine of the client's, and returns the connection, closed when the
// test ends.
func rawRequest(t *testing.T, ts *httptest.Server, request string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := io.WriteString(conn, request); err != nil {
		t.Fatal(err)
	}
	return conn
}

func plain(h http.Handler) (*httptest.Server, *http.Client) {
	ts := httptest.NewServer(h)
	return ts, ts.Client()
}

func TestAParkedStreamThatFallsBehindTheLagBoundIsCutToReconnect(t *testing.T) {
	parked := parkings(t)
	ends := newHubEnds()
	h := hub.New(hub.WithBuffer(8), hub.WithReplayCount(16), hub.WithObserver(ends))
	defer h.Close()
	ts := httptest.NewServer(broadcast(h, transport.WithWriteTimeout(time.Minute)))
	defer ts.Close()

	resp, _ := client(t, ts.URL, "")
	waitParked(t, parked)
	// The client reads nothing while far more than the lag bound is
	// published: its socket fills, the stream stops reading the hub.
	big := strings.Repeat("x", 64<<10)
	for range 200 {
		if _, err := h.Publish(context.Background(), encoder.MessageEvent{Data: big}); err != nil {
			t.Fatal(err)
		}
	}
	// It reads again: the socket drains, the stream reads on, finds
	// itself cut off and ends as a completed stream does, without an
	// error frame, for the client to reconnect with Last-Event-ID.
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "event: error") {
		t.Fatal("an error frame")
	}
	if r := ends.wait(t); r != hub.EndCutOff {
		t.Fatalf("ended %q, want %q", r, hub.EndCutOff)
	}
}

func TestAParkedStreamSkipsAnEventOverTheSizeCap(t *testing.T) {
	parked := parkings(t)
	h := hub.New()
	defer h.Close()
	ts := httptest.NewServer(broadcast(h, transport.WithMaxEventSize(64)))
	defer ts.Close()

	resp, _ := client(t, ts.URL, "")
	waitParked(t, parked)
	big := publish(t, h, strings.Repeat("x", 100))
	small := publish(t, h, "small")
	// In the skipped event's place, its id and why; then the stream goes
	// on.
	want := []string{"id: " + big, ": event skipped: ", "", "id: " + small, "data: small", ""}
	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() && lines.Text() != "id: "+big {
	}
	got := []string{"id: " + big}
	for len(got) < len(want) && lines.Scan() {
		got = append(got, lines.Text())
	}
	for i := range want {
		if i >= len(got) || !strings.HasPrefix(got[i], want[i]) || (want[i] == "" && got[i] != "") {
			t.Fatalf("lines %q, want %q", got, want)
		}
	}
}

func TestParkedStreamsHoldNoGoroutine(t *testing.T) {
	parked := parkings(t)
	h := hub.New()
	defer h.Close()
	ts := httptest.NewServer(broadcast(h))
	defer ts.Close()
	base := runtime.NumGoroutine()

	// Raw clients: no goroutine of their own.
	const n = 50
	for range n {
		rawRequest(t, ts, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		waitParked(t, parked)
	}
	// net/http's connection goroutines return just after the handlers
	// have: wait for them, and for no more than the pool's own (its epoll
	// loop, one waiter for the hub's one channel).
	deadline := time.Now().Add(patience)
	for runtime.NumGoroutine() > base+2 {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines for %d parked streams (%d before)", runtime.NumGoroutine(), n, base)
		}
		runtime.Gosched()
	}
	if got := transport.ParkedStreams(); got != n {
		t.Fatalf("%d parked, want %d", got, n)
	}
}

func TestAWakeUpOfManyParkedStreamsReachesEveryOne(t *testing.T) {
	parked := parkings(t)
	h := hub.New()
	defer h.Close()
	ts := httptest.NewServer(broadcast(h))
	defer ts.Close()

	// More than one goroutine's share of a wake-up.
	const n = 700
	readers := make([]*bufio.Reader, n)
	for i := range readers {
		readers[i] = bufio.NewReader(rawRequest(t, ts, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
		waitParked(t, parked)
	}
	for round := range 3 {
		data := strings.Repeat("x", round+1)
		publish(t, h, data)
		for i, br := range readers {
			for {
				line, err := br.ReadString('\n')
				if err != nil {
					t.Fatalf("round %d, client %d: %v", round, i, err)
				}
				if line == "data: "+data+"\n" {
					break
				}
			}
		}
	}
}

func TestOnAChiRouterAStreamParksUnlessMiddlewareWrapsTheWriter(t *testing.T) {
	for _, tt := range []struct {
		name   string
		use    []func(http.Handler) http.Handler
		parked bool
	}{
		{name: "a router, middleware that does not wrap", use: []func(http.Handler) http.Handler{middleware.RequestID, middleware.Recoverer}, parked: true},
		{name: "behind chi's Logger, which wraps to count bytes", use: []func(http.Handler) http.Handler{middleware.Logger}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			parked := parkings(t)
			h := hub.New()
			defer h.Close()
			r := chi.NewRouter()
			r.Use(tt.use...)
			r.Method(http.MethodGet, "/events", broadcast(h))
			ts := httptest.NewServer(r)
			defer ts.Close()

			resp, dec := client(t, ts.URL+"/events", "")
			defer resp.Body.Close() // before ts.Close, which waits for a stream on its goroutine
			id := publish(t, h, "x")
			expect(t, dec, "x", id)
			if tt.parked {
				// It parks once caught up, which can be after it wrote
				// the event on its goroutine.
				waitParked(t, parked)
				return
			}
			// A stream that may not park never tries to: mayPark is
			// false from its start.
			select {
			case <-parked:
				t.Fatal("parked")
			default:
			}
		})
	}
}

// closer is a net.Listener whose Close runs close: it lets an ssetest
// server stand where the table expects an httptest one.
type closer struct{ close func() }

func (closer) Accept() (net.Conn, error) { return nil, net.ErrClosed }
func (c closer) Close() error            { c.close(); return nil }
func (closer) Addr() net.Addr            { return &net.TCPAddr{} }

// hidingListener wraps every connection in a type that hides its socket,
// as netutil.LimitListener's wrapper does.
type hidingListener struct{ net.Listener }

func (l hidingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return struct{ net.Conn }{c}, nil
}

func TestARouteWhoseConnectionsHideTheirSocketStopsParking(t *testing.T) {
	parked := parkings(t)
	h := hub.New()
	defer h.Close()
	ts := httptest.NewUnstartedServer(broadcast(h))
	ts.Listener = hidingListener{ts.Listener}
	ts.Start()
	defer ts.Close()

	// The first stream is taken over and cannot be parked: it ends, and
	// its client reconnects (resuming from its last id: nothing is lost).
	_, dec := client(t, ts.URL, "")
	if _, err := dec.Decode(); err == nil {
		t.Fatal("the stream that could not park went on")
	}
	// The route parks no more: the next stream stays on its goroutine.
	resp, dec := client(t, ts.URL, "")
	defer resp.Body.Close() // before the server's Close, which waits for it
	id := publish(t, h, "x")
	expect(t, dec, "x", id)
	select {
	case <-parked:
		t.Fatal("parked")
	default:
	}
	if n := transport.ParkedStreams(); n != 0 {
		t.Fatalf("%d parked", n)
	}
}
