package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/examples/chat/rooms"
	"github.com/rxsse/rxsse/internal/e2e"
)

// switchProxy is the load balancer in front of the instances: it forwards
// to one upstream, which the test switches, and watches the event streams
// it forwards.
type switchProxy struct {
	mu       sync.Mutex
	upstream *url.URL
	streams  []streamRequest // every event stream request, in order
	sent     bytes.Buffer    // every byte of every event stream forwarded
	changed  chan struct{}   // closed and replaced when sent grows
}

// streamRequest is an event stream request as the proxy forwarded it.
type streamRequest struct {
	upstream    string
	lastEventID string // the header the browser sent on reconnecting
	query       string
}

func newSwitchProxy(to string) *switchProxy {
	p := &switchProxy{changed: make(chan struct{})}
	p.switchTo(to)
	return p
}

func (p *switchProxy) switchTo(to string) {
	u, _ := url.Parse(to)
	p.mu.Lock()
	p.upstream = u
	p.mu.Unlock()
}

func (p *switchProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	up := p.upstream
	if r.Header.Get("Accept") == "text/event-stream" {
		p.streams = append(p.streams, streamRequest{upstream: up.Host, lastEventID: r.Header.Get("Last-Event-ID"), query: r.URL.RawQuery})
	}
	p.mu.Unlock()
	rp := &httputil.ReverseProxy{
		Rewrite:       func(pr *httputil.ProxyRequest) { pr.SetURL(up) },
		FlushInterval: -1,
		ModifyResponse: func(resp *http.Response) error {
			if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
				resp.Body = &watchedBody{ReadCloser: resp.Body, p: p}
			}
			return nil
		},
	}
	rp.ServeHTTP(w, r)
}

// watchedBody copies what it reads into the proxy's record.
type watchedBody struct {
	io.ReadCloser
	p *switchProxy
}

func (b *watchedBody) Read(buf []byte) (int, error) {
	n, err := b.ReadCloser.Read(buf)
	if n > 0 {
		b.p.mu.Lock()
		b.p.sent.Write(buf[:n])
		close(b.p.changed)
		b.p.changed = make(chan struct{})
		b.p.mu.Unlock()
	}
	return n, err
}

// waitForwarded waits until the proxy has forwarded the event with id.
func (p *switchProxy) waitForwarded(t *testing.T, id string) {
	t.Helper()
	timeout := time.NewTimer(20 * time.Second)
	defer timeout.Stop()
	for {
		p.mu.Lock()
		done := bytes.Contains(p.sent.Bytes(), []byte("id: "+id+"\n"))
		changed := p.changed
		p.mu.Unlock()
		if done {
			return
		}
		select {
		case <-changed:
		case <-timeout.C:
			t.Fatalf("the proxy never forwarded event %s", id)
		}
	}
}

func (p *switchProxy) requests() []streamRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.streams)
}

// A page streams through a load balancer from instance A; A is stopped and
// the balancer now leads to B: the page's EventSource reconnects by itself,
// resumes on B with Last-Event-ID, and shows every message once, in order.
func TestABrowserResumesOnAnotherInstanceWhenItsInstanceStops(t *testing.T) {
	c := newTestCluster(t, 2)
	a, b := c.instances[0], c.instances[1]
	proxy := newSwitchProxy(a.url())
	srv := httptest.NewServer(proxy)
	// Cleanups run last first: the instances stop, ending the streams,
	// before the proxy waits for its requests.
	t.Cleanup(srv.Close)
	t.Cleanup(func() { c.close() })

	var want []string
	say := func(in *instance, name, text string) string {
		want = append(want, name+": "+text)
		return post(t, in, "lobby", name, text)
	}
	say(a, "alice", "history 1")
	say(a, "bob", "history 2")
	run := e2e.StartBrowserPage(t, srv.URL+"/?room=lobby", "#messages li", 6, 30*time.Second)
	proxy.waitForwarded(t, say(a, "alice", "live on A"))
	last := say(a, "bob", "live on A, then A stops")
	proxy.waitForwarded(t, last)

	proxy.switchTo(b.url())
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}
	proxy.waitForwarded(t, say(b, "carol", "while the page reconnects")) // on its new stream, from B
	say(b, "carol", "after the resume")
	res := run.Wait()
	if res.TimedOut || !slices.Equal(res.Texts, want) {
		t.Errorf("the page showed %q\nwant %q", res.Texts, want)
	}
	reqs := proxy.requests()
	if len(reqs) < 2 || reqs[0].query != "history=1" || reqs[0].lastEventID != "" || reqs[0].upstream != strings.TrimPrefix(a.url(), "http://") {
		t.Fatalf("stream requests %+v: want the join on A with ?history=1 first", reqs)
	}
	resumed := reqs[len(reqs)-1]
	if resumed.upstream != strings.TrimPrefix(b.url(), "http://") || resumed.lastEventID != last {
		t.Errorf("the page resumed with %+v, want on B after %s", resumed, last)
	}
	if errs := unhandled(res.ConsoleErrors); len(errs) > 0 || len(res.PageErrors) > 0 {
		t.Errorf("console errors %q, page errors %q", errs, res.PageErrors)
	}
}

// unhandled drops from a page's console errors Chromium's own line for an
// /instances request the balancer failed (a 502 while the stopping instance
// closes the balancer's connections to it): the page handles it by asking
// the next instance.
func unhandled(consoleErrors []string) []string {
	var out []string
	for _, e := range consoleErrors {
		if !strings.HasPrefix(e, "Failed to load resource:") || !strings.HasSuffix(e, "/instances") {
			out = append(out, e)
		}
	}
	return out
}

// streamWatcher records what each instance writes on its event streams.
type streamWatcher struct {
	mu       sync.Mutex
	sent     map[string]*bytes.Buffer // by instance
	requests map[string][]string      // the query of each stream request, by instance
	changed  chan struct{}
}

func newStreamWatcher() *streamWatcher {
	return &streamWatcher{sent: map[string]*bytes.Buffer{}, requests: map[string][]string{}, changed: make(chan struct{})}
}

func (sw *streamWatcher) wrap(name string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept") != "text/event-stream" {
			h.ServeHTTP(w, r)
			return
		}
		sw.mu.Lock()
		sw.requests[name] = append(sw.requests[name], r.URL.RawQuery)
		sw.mu.Unlock()
		h.ServeHTTP(&teeWriter{ResponseWriter: w, sw: sw, name: name}, r)
	})
}

// teeWriter copies what the instance writes to the watcher.
type teeWriter struct {
	http.ResponseWriter
	sw   *streamWatcher
	name string
}

func (t *teeWriter) Write(p []byte) (int, error) {
	n, err := t.ResponseWriter.Write(p)
	t.sw.mu.Lock()
	if t.sw.sent[t.name] == nil {
		t.sw.sent[t.name] = new(bytes.Buffer)
	}
	t.sw.sent[t.name].Write(p[:n])
	close(t.sw.changed)
	t.sw.changed = make(chan struct{})
	t.sw.mu.Unlock()
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (flushes,
// deadlines).
func (t *teeWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }

// waitSent waits until instance has written the event with id.
func (sw *streamWatcher) waitSent(t *testing.T, instance, id string) {
	t.Helper()
	timeout := time.NewTimer(20 * time.Second)
	defer timeout.Stop()
	for {
		sw.mu.Lock()
		done := sw.sent[instance] != nil && bytes.Contains(sw.sent[instance].Bytes(), []byte("id: "+id+"\n"))
		changed := sw.changed
		sw.mu.Unlock()
		if done {
			return
		}
		select {
		case <-changed:
		case <-timeout.C:
			t.Fatalf("instance %s never sent event %s", instance, id)
		}
	}
}

// Without a load balancer, the page fails over by itself: streaming from
// A, which stops, it finds B alive, streams from B resuming after the last
// message it showed, and posts there.
func TestThePageFailsOverToAnotherInstanceWhenItsInstanceStops(t *testing.T) {
	sw := newStreamWatcher()
	c := newTestCluster(t, 2, func(cfg *clusterConfig) { cfg.wrap = sw.wrap })
	a, b := c.instances[0], c.instances[1]

	var want []string
	say := func(in *instance, name, text string) string {
		want = append(want, name+": "+text)
		return post(t, in, "lobby", name, text)
	}
	say(a, "alice", "history")
	run := e2e.StartBrowserPage(t, a.url()+"/?room=lobby", "#messages li", 5, 30*time.Second)
	sw.waitSent(t, "A", say(a, "alice", "live on A"))
	last := say(a, "bob", "live on A, then A stops")
	sw.waitSent(t, "A", last)
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}
	sw.waitSent(t, "B", say(b, "carol", "while the page fails over"))
	say(b, "carol", "after the failover")
	res := run.Wait()
	if res.TimedOut || !slices.Equal(res.Texts, want) {
		t.Errorf("the page showed %q\nwant %q", res.Texts, want)
	}
	sw.mu.Lock()
	onB := slices.Clone(sw.requests["B"])
	sw.mu.Unlock()
	if len(onB) == 0 || onB[0] != "lastEventId="+url.QueryEscape(last) {
		t.Errorf("stream requests on B: %q, want the first to resume after %s", onB, last)
	}
	// Loads that fail while A is down are expected console errors; the
	// page's own code must not throw.
	if len(res.PageErrors) > 0 {
		t.Errorf("page errors %q", res.PageErrors)
	}
}

// pageCutter wraps the instances so the test can cut one page's stream as a
// network failure would: each stream's context can be cancelled by the
// "tab" query parameter of the page that opened it (its Referer). POST
// /test/kill, on any instance, cuts tab a's streams and publishes on
// instance B while A is away.
type pageCutter struct {
	c *cluster // set once the cluster runs

	mu      sync.Mutex
	streams map[string][]cutStream
	opened  map[string][]streamRequest // by tab
}

// cutStream is one stream request being served.
type cutStream struct {
	cancel context.CancelFunc
	done   chan struct{} // closed when its handler has returned
}

func (pc *pageCutter) wrap(name string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/test/kill" {
			pc.kill(w, r)
			return
		}
		ref, _ := url.Parse(r.Referer())
		tab := ""
		if ref != nil {
			tab = ref.Query().Get("tab")
		}
		if r.Header.Get("Accept") != "text/event-stream" || tab == "" {
			h.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		done := make(chan struct{})
		defer close(done)
		pc.mu.Lock()
		pc.streams[tab] = append(pc.streams[tab], cutStream{cancel, done})
		pc.opened[tab] = append(pc.opened[tab], streamRequest{upstream: name, lastEventID: r.Header.Get("Last-Event-ID"), query: r.URL.RawQuery})
		pc.mu.Unlock()
		if tab == "a" {
			// Tab a's streams stay on their goroutine, where cancelling
			// their context cuts them: the transport never parks a stream
			// behind a wrapper, and a parked one no longer watches its
			// request's context. Tab b's streams park.
			w = onItsGoroutine{w}
		}
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// onItsGoroutine wraps a ResponseWriter so that the stream it serves is not
// parked.
type onItsGoroutine struct{ http.ResponseWriter }

// Unwrap lets the transport flush through the wrapper.
func (w onItsGoroutine) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// kill cuts tab a's streams and waits until they have ended, so that A
// receives nothing more; then it publishes three messages on instance B.
func (pc *pageCutter) kill(w http.ResponseWriter, r *http.Request) {
	pc.mu.Lock()
	cut := pc.streams["a"]
	pc.streams["a"] = nil
	pc.mu.Unlock()
	for _, s := range cut {
		s.cancel()
		select {
		case <-s.done:
		case <-r.Context().Done():
			return
		}
	}
	b := pc.c.instance("B")
	b.mu.Lock()
	broker := b.broker
	b.mu.Unlock()
	const n = 3
	for i := 1; i <= n; i++ {
		data := rooms.Message{Name: "server", Text: fmt.Sprintf("while A was away %d", i)}
		if _, err := broker.Publish(r.Context(), encoder.MessageEvent{Data: data}, "lobby"); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	}
	json.NewEncoder(w).Encode(map[string]int{"published": n})
}

func (pc *pageCutter) requests(tab string) []streamRequest {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	return slices.Clone(pc.opened[tab])
}

// Two pages, on instances A and B, join a room that already has messages
// and show them; they chat across the instances; page A's stream is cut
// and A resumes with every message it missed, none twice; reloaded, A
// shows the room's messages again, once each, and no page ever says
// messages were missed.
func TestPagesOnTwoInstancesJoinWithHistoryResumeAndReload(t *testing.T) {
	pc := &pageCutter{streams: map[string][]cutStream{}, opened: map[string][]streamRequest{}}
	c := newTestCluster(t, 2, func(cfg *clusterConfig) { cfg.wrap = pc.wrap })
	pc.c = c
	a, b := c.instances[0], c.instances[1]

	post(t, a, "lobby", "carol", "before A and B joined")
	post(t, b, "lobby", "dave", "me too")
	res := e2e.ChatPages(t, a.url()+"/?room=lobby&tab=a", b.url()+"/?room=lobby&tab=b", a.url()+"/test/kill",
		e2e.ChatOptions{History: 2, Reload: true, Timeout: 30 * time.Second})
	if res.TimedOut || res.Step != "done" {
		t.Errorf("timed out at step %q; A showed %+v, B showed %+v", res.Step, res.A, res.B)
	}
	want := []string{
		"carol: before A and B joined",
		"dave: me too",
		"alice: hello from A",
		"bob: hello from B",
		"server: while A was away 1",
		"server: while A was away 2",
		"server: while A was away 3",
		"bob: after the resume",
		"bob: after the reload",
	}
	for _, page := range []struct {
		name  string
		items []e2e.ChatMessage
		want  []string
	}{
		{"A before the reload", res.ABeforeReload, want[:len(want)-1]},
		{"A after the reload", res.A, want},
		{"B", res.B, want},
	} {
		var texts []string
		for i, m := range page.items {
			texts = append(texts, m.Text)
			if !strings.HasSuffix(m.ID, "-"+strconv.Itoa(i+1)) || m.Gap {
				t.Errorf("page %s item %d is %+v, want a message with id <epoch>-%d", page.name, i, m, i+1)
			}
		}
		if !slices.Equal(texts, page.want) {
			t.Errorf("page %s showed %q\nwant %q", page.name, texts, page.want)
		}
	}
	// A joined with ?history=1, resumed with its Last-Event-ID (the header
	// wins over ?history=1), then joined with ?history=1 again on reload.
	got := pc.requests("a")
	if len(got) != 3 || got[0] != (streamRequest{"A", "", "history=1"}) || got[2] != (streamRequest{"A", "", "history=1"}) ||
		got[1].query != "history=1" || !strings.HasSuffix(got[1].lastEventID, "-4") {
		t.Errorf("page A's stream requests %+v, want ?history=1, then a resume from <epoch>-4, then ?history=1, all on A", got)
	}
	resp, err := http.Get(a.url() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), "\nrxsse_hub_resume_gaps_total 0\n") {
		t.Errorf("A's /metrics counts a resume gap: joining with history is none")
	}
	if len(res.ConsoleErrors) > 0 || len(res.PageErrors) > 0 {
		t.Errorf("console errors %q, page errors %q", res.ConsoleErrors, res.PageErrors)
	}
}
