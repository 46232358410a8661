package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
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
	"github.com/rxsse/rxsse/observable/hub"
)

// streamKiller wraps the app so the test can cut one page's stream as a
// network failure would: each stream's context can be cancelled by the
// "tab" query parameter of the page that opened it (its Referer).
type streamKiller struct {
	next http.Handler
	hub  *hub.Hub
	// away is the number of messages kill publishes to the lobby while A is
	// away (3 if 0); flood, the number it then publishes to another room,
	// enough to push what A missed out of a small replay window.
	away, flood int

	mu      sync.Mutex
	streams map[string][]stream
	opened  map[string][]streamRequest // by tab
}

// stream is one stream request being served.
type stream struct {
	cancel context.CancelFunc
	done   chan struct{} // closed when its handler has returned
}

// streamRequest is what a page asked for when it opened a stream.
type streamRequest struct {
	lastEventID string // the Last-Event-ID header
	query       string
}

func newStreamKiller(a *app) *streamKiller {
	return &streamKiller{next: a.handler, hub: a.hub, streams: map[string][]stream{}, opened: map[string][]streamRequest{}}
}

func (k *streamKiller) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/test/kill" {
		k.kill(w, r)
		return
	}
	ref, _ := url.Parse(r.Referer())
	tab := ""
	if ref != nil {
		tab = ref.Query().Get("tab")
	}
	if r.Header.Get("Accept") != "text/event-stream" || tab == "" {
		k.next.ServeHTTP(w, r)
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	done := make(chan struct{})
	defer close(done)
	k.mu.Lock()
	k.streams[tab] = append(k.streams[tab], stream{cancel, done})
	k.opened[tab] = append(k.opened[tab], streamRequest{r.Header.Get("Last-Event-ID"), r.URL.RawQuery})
	k.mu.Unlock()
	if tab == "a" {
		w = onItsGoroutine{w}
	}
	k.next.ServeHTTP(w, r.WithContext(ctx))
}

// onItsGoroutine wraps the ResponseWriter of tab a's streams so that they
// stay on their goroutine: a parked stream (the route's WithParking) no
// longer watches its request's context, which is how the test cuts A, and
// the transport never parks a stream behind a wrapper. Tab b's streams
// park.
type onItsGoroutine struct{ http.ResponseWriter }

// Unwrap lets the transport flush through the wrapper.
func (w onItsGoroutine) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// kill cuts tab a's streams and waits until they have ended, so that A
// receives nothing more; then it publishes while A is away.
func (k *streamKiller) kill(w http.ResponseWriter, r *http.Request) {
	k.mu.Lock()
	cut := k.streams["a"]
	k.streams["a"] = nil
	k.mu.Unlock()
	for _, s := range cut {
		s.cancel()
		select {
		case <-s.done:
		case <-r.Context().Done():
			return
		}
	}
	publish := func(n int, room, text string) error {
		for i := 1; i <= n; i++ {
			data := rooms.Message{Name: "server", Text: fmt.Sprintf("%s %d", text, i)}
			if _, err := k.hub.Publish(r.Context(), encoder.MessageEvent{Data: data}, room); err != nil {
				return err
			}
		}
		return nil
	}
	away := cmp.Or(k.away, 3)
	if err := errors.Join(publish(away, "lobby", "while A was away"), publish(k.flood, "elsewhere", "flood")); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	json.NewEncoder(w).Encode(map[string]int{"published": away})
}

func (k *streamKiller) requests(tab string) []streamRequest {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.opened[tab])
}

// texts are the items' texts.
func texts(items []e2e.ChatMessage) []string {
	var out []string
	for _, m := range items {
		out = append(out, m.Text)
	}
	return out
}

// metric returns the line of /metrics that starts with name.
func metric(t *testing.T, h http.Handler, name string) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for line := range strings.Lines(rec.Body.String()) {
		if strings.HasPrefix(line, name+" ") {
			return strings.TrimSpace(line)
		}
	}
	t.Fatalf("/metrics has no %s", name)
	return ""
}

// Two browser pages join a room that already has messages and show them;
// they chat; page A's stream is cut and A resumes with every message it
// missed, none twice; reloaded, A shows the room's messages again, once
// each, and no page ever says messages were missed.
func TestTwoBrowserPagesJoinWithHistoryChatResumeWithoutLossAndReload(t *testing.T) {
	a := newTestApp(t, config{retry: 100 * time.Millisecond})
	k := newStreamKiller(a)
	srv := httptest.NewServer(k)
	// Cleanups run last first: the hub closes, ending every stream, before
	// the server waits for its handlers.
	t.Cleanup(srv.Close)
	t.Cleanup(func() { a.hub.Close() })

	post(t, a.handler, "lobby", `{"name":"carol","text":"before A and B joined"}`)
	post(t, a.handler, "lobby", `{"name":"dave","text":"me too"}`)
	res := e2e.ChatPages(t, srv.URL+"/?room=lobby&tab=a", srv.URL+"/?room=lobby&tab=b", srv.URL+"/test/kill",
		e2e.ChatOptions{History: 2, Reload: true, Timeout: 20 * time.Second})
	if res.TimedOut || res.Step != "done" {
		t.Errorf("timed out at step %q; A showed %q, B showed %q", res.Step, texts(res.A), texts(res.B))
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
		if got := texts(page.items); !slices.Equal(got, page.want) {
			t.Errorf("page %s showed %q\nwant %q", page.name, got, page.want)
		}
		for i, m := range page.items {
			if !strings.HasSuffix(m.ID, "-"+strconv.Itoa(i+1)) || m.Gap {
				t.Errorf("page %s item %d is %+v, want a message with id <epoch>-%d", page.name, i, m, i+1)
			}
		}
	}
	// A joined with ?history=1, resumed with its Last-Event-ID (the header
	// wins over ?history=1), then joined with ?history=1 again on reload.
	got := k.requests("a")
	wantReqs := []streamRequest{{"", "history=1"}, {"-4", "history=1"}, {"", "history=1"}}
	if len(got) != len(wantReqs) {
		t.Fatalf("page A's stream requests %+v, want %+v (the ids' epoch left out)", got, wantReqs)
	}
	for i, w := range wantReqs {
		if got[i].query != w.query || got[i].lastEventID == "" != (w.lastEventID == "") || !strings.HasSuffix(got[i].lastEventID, w.lastEventID) {
			t.Errorf("page A's stream request %d was %+v, want %+v (the id's epoch left out)", i, got[i], w)
		}
	}
	if gaps := metric(t, a.handler, "rxsse_hub_resume_gaps_total"); gaps != "rxsse_hub_resume_gaps_total 0" {
		t.Errorf("%s, want 0: joining with history is no gap", gaps)
	}
	if len(res.ConsoleErrors) > 0 || len(res.PageErrors) > 0 {
		t.Errorf("console errors %q, page errors %q", res.ConsoleErrors, res.PageErrors)
	}
}

// Messages are really lost when page A is away longer than the hub keeps
// them (here 4 events, all pushed out by traffic to another room): A's
// resume gets the gap event, and only then does A say that messages were
// missed; B, which missed nothing, never does.
func TestABrowserPageSaysMessagesWereMissedOnlyOnAGapEvent(t *testing.T) {
	a := newTestApp(t, config{retry: 100 * time.Millisecond, hub: []hub.Option{hub.WithReplayCount(4), hub.WithBuffer(4)}})
	k := newStreamKiller(a)
	k.away, k.flood = 1, 8
	srv := httptest.NewServer(k)
	t.Cleanup(srv.Close)
	t.Cleanup(func() { a.hub.Close() })

	res := e2e.ChatPages(t, srv.URL+"/?room=lobby&tab=a", srv.URL+"/?room=lobby&tab=b", srv.URL+"/test/kill",
		e2e.ChatOptions{Timeout: 20 * time.Second})
	if res.TimedOut || res.Step != "done" {
		t.Errorf("timed out at step %q; A showed %q, B showed %q", res.Step, texts(res.A), texts(res.B))
	}
	const missed = "Some messages were missed."
	wantA := []string{"alice: hello from A", "bob: hello from B", missed, "bob: after the resume"}
	wantB := []string{"alice: hello from A", "bob: hello from B", "server: while A was away 1", "bob: after the resume"}
	if got := texts(res.A); !slices.Equal(got, wantA) || !res.A[2].Gap {
		t.Errorf("page A showed %+v\nwant %q, the third a gap notice", res.A, wantA)
	}
	if got := texts(res.B); !slices.Equal(got, wantB) {
		t.Errorf("page B showed %q\nwant %q", got, wantB)
	}
	if gaps := metric(t, a.handler, "rxsse_hub_resume_gaps_total"); gaps != "rxsse_hub_resume_gaps_total 1" {
		t.Errorf("%s, want 1: A's resume", gaps)
	}
	if len(res.ConsoleErrors) > 0 || len(res.PageErrors) > 0 {
		t.Errorf("console errors %q, page errors %q", res.ConsoleErrors, res.PageErrors)
	}
}
