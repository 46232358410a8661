package hub_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/observable/hub"
	"github.com/rxsse/rxsse/transport"
	"github.com/rxsse/rxsse/transport/eventsource"
	"github.com/rxsse/rxsse/transport/ssetest"
)

// stuck bounds every wait of these tests: a broken stream fails the test
// instead of hanging it.
const stuck = 10 * time.Second

// route is the hub's route as an application writes it.
func route(h *hub.Hub, opts ...transport.Option) http.Handler {
	return transport.Handler(func(r *http.Request) rxgo.Observable {
		return h.Subscribe(transport.LastEventID(r))
	}, append([]transport.Option{transport.WithAutoID(false), transport.WithHeartbeat(0), transport.WithLogger(quiet)}, opts...)...)
}

func connect(t *testing.T, srv *ssetest.Server, lastEventID string) *ssetest.Stream {
	t.Helper()
	var header http.Header
	if lastEventID != "" {
		header = http.Header{"Last-Event-ID": {lastEventID}}
	}
	// The transport subscribes before it answers: once Get returns, the
	// subscription is in place.
	st, err := srv.Get(t.Context(), "/events", header)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if !st.IsEventStream() {
		t.Fatalf("GET /events: %s, want a 200 event stream", st.Response.Status)
	}
	return st
}

func publishData(t testing.TB, h *hub.Hub, data ...string) []string {
	t.Helper()
	ids := make([]string, len(data))
	for i, d := range data {
		id, err := h.Publish(context.Background(), encoder.MessageEvent{Data: d})
		if err != nil {
			t.Fatalf("Publish(%q): %v", d, err)
		}
		ids[i] = id
	}
	return ids
}

// A client that disconnects and reconnects with Last-Event-ID, as
// EventSource does, gets exactly what it missed, then the live events.
func TestResumeOverHTTPLosesAndDuplicatesNothing(t *testing.T) {
	ssetest.NoLeaks(t)
	h := newHub(t)
	srv := ssetest.NewServer(route(h))
	t.Cleanup(srv.Close)

	first := connect(t, srv, "")
	ids := publishData(t, h, "1", "2", "3")
	ssetest.ExpectEvents(t, first, msg(ids[0], "1"), msg(ids[1], "2"), msg(ids[2], "3"))
	first.Close()
	more := publishData(t, h, "4", "5") // while the client is away
	again := connect(t, srv, ids[2])
	ssetest.ExpectEvents(t, again, msg(more[0], "4"), msg(more[1], "5"))
	live := publishData(t, h, "6")
	ssetest.ExpectEvents(t, again, msg(live[0], "6"))
}

func msg(id, data string) encoder.Event {
	return encoder.Event{Type: "message", Data: data, LastEventID: id}
}

// Before, a value Publish could not encode was retained and broke every
// stream that reached it (a 500 for every reconnect). Now Publish refuses
// it and the streams go on.
func TestABadPublishPoisonsNoStream(t *testing.T) {
	ssetest.NoLeaks(t)
	h := newHub(t)
	srv := ssetest.NewServer(route(h))
	t.Cleanup(srv.Close)
	st := connect(t, srv, "")
	before := publishData(t, h, "before")
	if _, err := h.Publish(t.Context(), encoder.MessageEvent{Data: func() {}}); err == nil {
		t.Fatal("Publish of a func value succeeded")
	}
	after := publishData(t, h, "after")
	ssetest.ExpectEvents(t, st, msg(before[0], "before"), msg(after[0], "after"))
	resumed := connect(t, srv, before[0]) // a reconnect through the bad publish
	ssetest.ExpectEvents(t, resumed, msg(after[0], "after"))
}

// Two hubs stand for two processes (or one process before and after a
// restart): an id of the first given to the second gets a gap event and the
// second's window, never a silent skip of its first events.
func TestAnIDFromAnotherProcessGetsAGapOverHTTP(t *testing.T) {
	ssetest.NoLeaks(t)
	before := newHub(t)
	old := publishData(t, before, strings.Split("a b c d e f g h", " ")...)
	after := newHub(t)
	ids := publishData(t, after, "x", "y", "z")
	srv := ssetest.NewServer(route(after))
	t.Cleanup(srv.Close)

	st := connect(t, srv, old[6]) // "<epoch A>-7"; hub B has 3 events
	gap, err := st.Next()
	if err != nil || gap.Type != hub.GapEventType || !strings.Contains(gap.Data, old[6]) {
		t.Fatalf("first event %+v, %v; want a gap naming %q", gap, err, old[6])
	}
	ssetest.ExpectEvents(t, st, msg(ids[0], "x"), msg(ids[1], "y"), msg(ids[2], "z"))
}

// A client that stops reading falls behind; when it reads again it finds
// its stream ended quietly (no error frame), and resuming from the last id
// it saw loses nothing.
func TestASlowClientIsCutOffQuietlyAndResumesWithoutLoss(t *testing.T) {
	ssetest.NoLeaks(t)
	const n = 2000
	obs := newCountingObserver()
	h := newHub(t, hub.WithBuffer(8), hub.WithReplayCount(n+1), hub.WithObserver(obs))
	srv := ssetest.NewServer(route(h))
	t.Cleanup(srv.Close)

	pad := strings.Repeat("x", 100)
	publishPadded := func(from, to int) {
		for i := from; i <= to; i++ {
			if _, err := h.Publish(t.Context(), encoder.MessageEvent{Data: fmt.Sprintf("%d %s", i, pad)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	slow := connect(t, srv, "")
	publishPadded(1, 1)
	first, err := slow.Next() // the client has a resume point
	if err != nil {
		t.Fatal(err)
	}
	publishPadded(2, n) // the in-memory connection buffers nothing: the client is far behind

	seen, last := 1, first.LastEventID
	for ev, err := range slow.Events() {
		if err != nil {
			t.Fatal(err)
		}
		if ev.Type == "error" {
			t.Fatalf("the cut-off sent an error frame (%q); it must end the stream quietly", ev.Data)
		}
		seen++
		if want := fmt.Sprintf("%d %s", seen, pad); ev.Data != want {
			t.Fatalf("event %d: %q", seen, ev.Data[:min(10, len(ev.Data))])
		}
		last = ev.LastEventID
	}
	if seen >= n {
		t.Fatalf("the slow client read all %d events, want it cut off", n)
	}
	obs.waitEnded(t, hub.EndCutOff, 1)

	resumed := connect(t, srv, last)
	for i := seen + 1; i <= n; i++ {
		ev, err := resumed.Next()
		if err != nil {
			t.Fatalf("after resuming from %s: event %d: %v", last, i, err)
		}
		if want := fmt.Sprintf("%d %s", i, pad); ev.Data != want {
			t.Fatalf("resumed event %d: %q", i, ev.Data[:min(10, len(ev.Data))])
		}
	}
}

// firstSmall is a listener whose first connection has a small send
// buffer, so that if its client stops reading the server's writes block
// soon.
type firstSmall struct {
	net.Listener
	once sync.Once
}

func (l *firstSmall) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		l.once.Do(func() { tc.SetWriteBuffer(4 << 10) })
	}
	return c, err
}

// client is an HTTP client over real loopback TCP, whose connections have a
// small receive buffer if small is set.
func client(small bool) *http.Client {
	dial := (&net.Dialer{}).DialContext
	return &http.Client{Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dial(ctx, network, addr)
			if tc, ok := c.(*net.TCPConn); ok && small {
				tc.SetReadBuffer(4 << 10)
			}
			return c, err
		},
	}}
}

func get(t *testing.T, c *http.Client, url, lastEventID string) *http.Response {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET: %s", resp.Status)
	}
	return resp
}

// Before, 200 idle subscribers and a tight publishing loop got most of them
// cut off after 64 events: "slow" was a queue depth. Now a burst costs a
// subscriber nothing but lag, and 200 real HTTP clients take bursts of
// 1,000 events, while a client that never reads is cut: its socket fills,
// and the transport's write timeout ends it. (Its route has a short write
// timeout to keep the test short; the healthy clients' route keeps the
// default, so a loaded test machine that starves their readers for a while
// does not cut them.)
func TestTwoHundredHTTPSubscribersSurviveBurstsAndANonReaderIsCut(t *testing.T) {
	ssetest.NoLeaks(t)
	clients, burst, bursts := 200, 1000, 2
	if raceEnabled {
		clients, bursts = 200, 1 // the second burst doubles the time under -race
	}
	obs := newCountingObserver()
	h := hub.New(hub.WithLogger(quiet), hub.WithObserver(obs)) // default buffer and replay
	mux := http.NewServeMux()
	mux.Handle("/events", route(h))
	mux.Handle("/stuck", route(h, transport.WithWriteTimeout(200*time.Millisecond)))
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener = &firstSmall{Listener: srv.Listener}
	srv.Start()
	t.Cleanup(srv.Close)
	t.Cleanup(func() { h.Close() })
	c := client(false)
	t.Cleanup(c.CloseIdleConnections)

	stuckResp := get(t, client(true), srv.URL+"/stuck", "") // never read until the end
	defer stuckResp.Body.Close()
	// Each healthy client counts the events it reads (every event ends
	// with one blank line) and reports each burst it has read in full;
	// ordering and content are the conformance suite's business.
	progress := make(chan int, clients*bursts)
	failed := make(chan error, clients)
	release := make(chan struct{}) // the healthy clients hang up
	var hangUp sync.Once
	t.Cleanup(func() { hangUp.Do(func() { close(release) }) })
	var wg sync.WaitGroup
	for range clients {
		resp := get(t, c, srv.URL+"/events", "")
		wg.Go(func() {
			defer func() {
				<-release
				resp.Body.Close()
			}()
			buf := make([]byte, 32<<10)
			events, reported, lastNL := 0, 0, false
			for events < burst*bursts {
				n, err := resp.Body.Read(buf)
				b := buf[:n]
				if lastNL && n > 0 && b[0] == '\n' {
					events++
				}
				events += bytes.Count(b, []byte("\n\n"))
				lastNL = n > 0 && b[n-1] == '\n'
				for ; events >= (reported+1)*burst; reported++ {
					progress <- events
				}
				if err != nil && events < burst*bursts {
					failed <- fmt.Errorf("after %d events: %w", events, err)
					return
				}
			}
		})
	}
	timeout := time.NewTimer(stuck)
	defer timeout.Stop()
	// ~330 KB a burst: far more than the non-reader's socket buffers can
	// absorb (a receive window negotiated before its buffer was shrunk
	// holds tens of KB), so the server's write to it blocks and times out.
	pad := strings.Repeat("p", 300)
	for b := range bursts {
		for i := b * burst; i < (b+1)*burst; i++ {
			if _, err := h.Publish(t.Context(), encoder.MessageEvent{Data: strconv.Itoa(i) + pad}); err != nil {
				t.Fatal(err)
			}
		}
		for c := range clients { // every healthy client has read the burst
			select {
			case <-progress:
			case err := <-failed:
				t.Fatalf("a healthy client failed: %v", err)
			case <-timeout.C:
				t.Fatalf("after %v, %d healthy clients of %d have read burst %d", stuck, c, clients, b+1)
			}
		}
	}
	obs.waitEnded(t, "", 1) // the non-reader, and only it
	if got := obs.endedCount(); got != 1 {
		t.Errorf("%d subscriptions ended before the test closed them, want 1 (the non-reader)", got)
	}
	// The non-reader's connection ends: what it buffered, then an error
	// or EOF, not more events than fit the buffers.
	n := 0
	dec := encoder.NewDecoder(stuckResp.Body)
	for _, err := range dec.Events() {
		if err != nil {
			break
		}
		n++
	}
	if n >= burst*bursts {
		t.Errorf("the non-reader got all %d events, want it cut off", n)
	}
	hangUp.Do(func() { close(release) })
	wg.Wait()
}

// A client whose connection is reset while the server writes a burst
// reconnects with the last id it decoded and loses nothing, duplicates
// nothing.
func TestAClientResetMidWriteResumesWithoutLoss(t *testing.T) {
	ssetest.NoLeaks(t)
	const n = 3000
	h := hub.New(hub.WithLogger(quiet), hub.WithReplayCount(n))
	srv := httptest.NewServer(route(h))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { h.Close() })
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	t.Cleanup(c.CloseIdleConnections)

	// Each connection decodes a few hundred events, then resets its TCP
	// connection (RST, not a clean close) in the middle of the burst.
	var conns []net.Conn
	var mu sync.Mutex
	c.Transport.(*http.Transport).DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil {
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
		}
		return conn, err
	}
	published := make(chan error, 1)
	resp := get(t, c, srv.URL, "")
	go func() {
		for i := range n {
			if _, err := h.Publish(context.Background(), encoder.MessageEvent{Data: strconv.Itoa(i)}); err != nil {
				published <- err
				return
			}
		}
		published <- nil
	}()
	next, last, resets := 0, "", 0
	for next < n {
		dec := encoder.NewDecoder(resp.Body)
		for ev, err := range dec.Events() {
			if err != nil {
				break
			}
			if ev.Data != strconv.Itoa(next) {
				t.Fatalf("after %d resets: got %q, want %d", resets, ev.Data, next)
			}
			next++
			last = ev.LastEventID
			if next%700 == 0 || next == n {
				break
			}
		}
		if next == n {
			resp.Body.Close()
			break
		}
		mu.Lock()
		conn := conns[len(conns)-1]
		mu.Unlock()
		conn.(*net.TCPConn).SetLinger(0)
		conn.Close() // RST
		resp.Body.Close()
		resets++
		resp = get(t, c, srv.URL, last)
	}
	if err := <-published; err != nil {
		t.Fatal(err)
	}
	if resets < 3 {
		t.Errorf("%d resets, want several", resets)
	}
}

// countingObserver is a hub.Observer for tests that wait on its counts.
type countingObserver struct {
	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every change
	ended   map[hub.EndReason]int
	subs    int
	gaps    int
	pub     int
	lastDel int
}

func newCountingObserver() *countingObserver {
	return &countingObserver{changed: make(chan struct{}), ended: map[hub.EndReason]int{}}
}

func (o *countingObserver) update(f func()) {
	o.mu.Lock()
	f()
	close(o.changed)
	o.changed = make(chan struct{})
	o.mu.Unlock()
}

func (o *countingObserver) Subscribed(_ int, gap bool) {
	o.update(func() {
		o.subs++
		if gap {
			o.gaps++
		}
	})
}

func (o *countingObserver) Unsubscribed(r hub.EndReason) { o.update(func() { o.ended[r]++ }) }

func (o *countingObserver) Published(delivered int, _ time.Duration) {
	// No wake-up: nothing waits on publishing, and a burst stays a burst.
	o.mu.Lock()
	o.pub++
	o.lastDel = delivered
	o.mu.Unlock()
}

func (o *countingObserver) endedCount() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, c := range o.ended {
		n += c
	}
	return n
}

// waitEnded waits until n subscriptions have ended for reason ("" for any).
func (o *countingObserver) waitEnded(t *testing.T, reason hub.EndReason, n int) {
	t.Helper()
	timeout := time.NewTimer(stuck)
	defer timeout.Stop()
	for {
		o.mu.Lock()
		got := o.ended[reason]
		if reason == "" {
			for _, c := range o.ended {
				got += c
			}
		}
		changed := o.changed
		o.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-changed:
		case <-timeout.C:
			t.Fatalf("%d subscriptions ended (%s), want %d", got, reason, n)
		}
	}
}

// A server that shuts down in the middle of a burst ends its streams at
// once; the client resumes on the next server of the same hub (a restarted
// listener, or another instance of a distributed broker) with the last id it
// decoded, and loses and duplicates nothing.
func TestShutdownDuringABurstLosesNothingForAClientThatResumes(t *testing.T) {
	ssetest.NoLeaks(t)
	// 20 MB of events: more than the connection's buffers hold, so the
	// server is still writing (or blocked writing) when it shuts down.
	const n = 20000
	pad := strings.Repeat("x", 1000)
	h := hub.New(hub.WithLogger(quiet), hub.WithReplayCount(n))
	t.Cleanup(func() { h.Close() })
	c := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(c.CloseIdleConnections)

	serve := func() (url string, shutdown func() error) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() { served <- transport.Serve(ctx, &http.Server{Handler: route(h)}, ln) }()
		return "http://" + ln.Addr().String(), func() error { cancel(); return <-served }
	}

	urlA, shutdownA := serve()
	resp := get(t, c, urlA, "")
	published := make(chan error, 1)
	go func() {
		for i := range n {
			if _, err := h.Publish(context.Background(), encoder.MessageEvent{Data: strconv.Itoa(i) + ":" + pad}); err != nil {
				published <- err
				return
			}
		}
		published <- nil
	}()

	next, last := 0, ""
	// One decoder per response: it buffers what it has read ahead. Like a
	// browser, the client resumes from the decoder's last event id, which
	// the stream's start block sets before any event: a client cut off
	// before its first event (the burst can overrun the lag bound before it
	// reads anything) resumes from where its subscription started.
	read := func(dec *encoder.Decoder, until int) (ended bool) {
		defer func() { last = dec.LastEventID() }()
		for ev, err := range dec.Events() {
			if err != nil {
				return true
			}
			if want := strconv.Itoa(next) + ":" + pad; ev.Data != want {
				t.Fatalf("got %.20q…, want %.20q…", ev.Data, want)
			}
			next++
			if next == until {
				return false
			}
		}
		return true
	}
	dec := encoder.NewDecoder(resp.Body)
	read(dec, 500)
	shutdownDone := make(chan error, 1)
	go func() { shutdownDone <- shutdownA() }()
	// The stream ends at once: what the client still decodes is what A
	// wrote before it stopped.
	if !read(dec, n) {
		t.Fatal("server A delivered the whole burst: the shutdown came too late to test anything")
	}
	resp.Body.Close()
	select {
	case err := <-shutdownDone:
		if err != nil {
			t.Fatalf("shutdown of A: %v", err)
		}
	case <-time.After(stuck):
		t.Fatal("server A did not shut down")
	}

	urlB, shutdownB := serve()
	t.Cleanup(func() { shutdownB() })
	// Like EventSource, reconnect whenever the stream ends quietly: a
	// client that resumes far behind a burst still in progress may be cut
	// for lagging more than WithBuffer events, and resumes again.
	for reconnects := 0; next < n; reconnects++ {
		if reconnects > n/hub.DefaultBuffer+2 {
			t.Fatalf("%d reconnects to B and only %d of %d events", reconnects, next, n)
		}
		resp = get(t, c, urlB, last)
		read(encoder.NewDecoder(resp.Body, encoder.WithLastEventID(last)), n)
		resp.Body.Close()
	}
	if err := <-published; err != nil {
		t.Fatal(err)
	}
}

// Before, a burst past the lag bound on the hub's defaults cut every
// client off, and one cut before its first event had no id to resume from:
// 50 clients, a burst of 5,000 events, every delivery lost without a gap
// event. Now the defaults' window covers the cut-off, the transport gives
// each client its start position before any event, and clients that
// reconnect as a browser does (here the Go client) get every event exactly
// once, in order, with no gap.
func TestABurstPastTheLagBoundLosesNothingOnTheDefaults(t *testing.T) {
	ssetest.NoLeaks(t)
	const clients, burst = 50, 5000
	obs := newCountingObserver()
	h := newHub(t, hub.WithObserver(obs))
	srv := ssetest.NewServer(route(h))
	t.Cleanup(srv.Close)

	// Every client is busy for a moment while the burst goes out (say, a
	// browser tab rendering): its first connection is not read until then,
	// so it is cut off before its first event.
	busy := make(chan struct{})
	tr := srv.Client().Transport.(*http.Transport).Clone()
	dial, dials := tr.DialContext, 0
	var dialMu sync.Mutex
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		dialMu.Lock()
		defer dialMu.Unlock()
		if dials++; err == nil && dials <= clients {
			c = gatedConn{c, busy}
		}
		return c, err
	}
	t.Cleanup(tr.CloseIdleConnections)
	httpClient := &http.Client{Transport: tr}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	results := make(chan error, clients)
	progress := make(chan struct{}, 1) // a client got events: the run is slow, not stuck
	for c := range clients {
		events := eventsource.Observe(ctx, srv.URL+"/events", eventsource.WithClient(httpClient), eventsource.WithRetry(0))
		ch := events.Observe(rxgo.WithContext(ctx))
		go func() {
			results <- func() error {
				next := 0
				for item := range ch {
					if item.E != nil {
						return fmt.Errorf("client %d: %v", c, item.E)
					}
					ev := item.V.(encoder.Event)
					if ev.Type == hub.GapEventType {
						return fmt.Errorf("client %d: a gap event after %d events", c, next)
					}
					if ev.Data != strconv.Itoa(next) {
						return fmt.Errorf("client %d: event %q, want %d (lost or repeated)", c, ev.Data, next)
					}
					if next++; next == burst {
						return nil
					}
					if next%500 == 0 {
						select {
						case progress <- struct{}{}:
						default:
						}
					}
				}
				return fmt.Errorf("client %d: stream ended after %d events", c, next)
			}()
			for range ch { // drain until the context ends
			}
		}()
	}
	obs.waitSubscribed(t, clients)
	for i := range burst {
		if _, err := h.Publish(t.Context(), encoder.MessageEvent{Data: strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	close(busy)
	timeout := time.NewTimer(stuck)
	defer timeout.Stop()
	for done := 0; done < clients; {
		select {
		case err := <-results:
			if err != nil {
				t.Error(err)
			}
			done++
		case <-progress:
			timeout.Reset(stuck)
		case <-timeout.C:
			t.Fatalf("no client got an event for %v, and %d of %d did not get every event", stuck, clients-done, clients)
		}
	}
	cancel()
	obs.mu.Lock()
	cut, gaps := obs.ended[hub.EndCutOff], obs.gaps
	obs.mu.Unlock()
	// Nearly every client is cut off before its first event; one whose
	// handler took a first batch before its write blocked may be ahead of
	// the lag bound and not cut.
	if cut < clients/2 {
		t.Errorf("%d clients were cut off, want most of the %d: the test did not test the cut-off", cut, clients)
	}
	if gaps != 0 {
		t.Errorf("%d resumes were gaps", gaps)
	}
	t.Logf("%d clients, %d events each: %d cut off, all resumed without loss", clients, burst, cut)
}

// gatedConn is a connection that reads nothing until gate closes.
type gatedConn struct {
	net.Conn
	gate <-chan struct{}
}

func (c gatedConn) Read(p []byte) (int, error) {
	<-c.gate
	return c.Conn.Read(p)
}

// waitSubscribed waits until n subscriptions have started.
func (o *countingObserver) waitSubscribed(t *testing.T, n int) {
	t.Helper()
	timeout := time.NewTimer(stuck)
	defer timeout.Stop()
	for {
		o.mu.Lock()
		got, changed := o.subs, o.changed
		o.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-changed:
		case <-timeout.C:
			t.Fatalf("%d subscriptions, want %d", got, n)
		}
	}
}

// Before, a retained event too large for a route's size cap turned every
// resume from before it into a 500, which a browser treats as final. Now
// the transport skips it with a block that carries its id, and the resume
// goes on.
func TestARetainedEventTooLargeForTheRouteNeverFailsAResume(t *testing.T) {
	ssetest.NoLeaks(t)
	h := newHub(t)
	srv := ssetest.NewServer(route(h, transport.WithMaxEventSize(1<<10)))
	t.Cleanup(srv.Close)
	ids := publishData(t, h, "before", strings.Repeat("x", 2<<10), "after")
	st := connect(t, srv, ids[0]) // the big one is the first to replay
	ssetest.ExpectEvents(t, st, msg(ids[2], "after"))
	more := publishData(t, h, "live")
	ssetest.ExpectEvents(t, st, msg(more[0], "live"))
	again := connect(t, srv, ids[1]) // resuming from the skipped one's id
	ssetest.ExpectEvents(t, again, msg(ids[2], "after"), msg(more[0], "live"))
}
