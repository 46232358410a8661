package main

import (
	"context"
	"encoding/json"
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

	mu       sync.Mutex
	streams  map[string][]context.CancelFunc
	resumeAt map[string][]string // Last-Event-ID of each stream request, by tab
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
	k.mu.Lock()
	k.streams[tab] = append(k.streams[tab], cancel)
	k.resumeAt[tab] = append(k.resumeAt[tab], r.Header.Get("Last-Event-ID"))
	k.mu.Unlock()
	k.next.ServeHTTP(w, r.WithContext(ctx))
}

// kill cuts tab a's streams, then publishes while it is away.
func (k *streamKiller) kill(w http.ResponseWriter, r *http.Request) {
	k.mu.Lock()
	for _, cancel := range k.streams["a"] {
		cancel()
	}
	k.streams["a"] = nil
	k.mu.Unlock()
	const n = 3
	for i := 1; i <= n; i++ {
		data := rooms.Message{Name: "server", Text: fmt.Sprintf("while A was away %d", i)}
		if _, err := k.hub.Publish(r.Context(), encoder.MessageEvent{Data: data}, "lobby"); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	}
	json.NewEncoder(w).Encode(map[string]int{"published": n})
}

func (k *streamKiller) resumes(tab string) []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.resumeAt[tab])
}

// Two browser pages chat; page A's stream is cut and A resumes with every
// message it missed, none twice.
func TestTwoBrowserPagesChatAndOneResumesWithoutLoss(t *testing.T) {
	a := newTestApp(t, config{retry: 100 * time.Millisecond})
	k := &streamKiller{next: a.handler, hub: a.hub, streams: map[string][]context.CancelFunc{}, resumeAt: map[string][]string{}}
	srv := httptest.NewServer(k)
	// Cleanups run last first: the hub closes, ending every stream, before
	// the server waits for its handlers.
	t.Cleanup(srv.Close)
	t.Cleanup(func() { a.hub.Close() })

	res := e2e.ChatPages(t, srv.URL+"/?room=lobby&tab=a", srv.URL+"/?room=lobby&tab=b", srv.URL+"/test/kill", 20*time.Second)
	if res.TimedOut || res.Step != "done" {
		t.Errorf("timed out at step %q; A showed %v, B showed %v", res.Step, res.A, res.B)
	}
	want := []string{
		"alice: hello from A",
		"bob: hello from B",
		"server: while A was away 1",
		"server: while A was away 2",
		"server: while A was away 3",
		"bob: after the resume",
	}
	for _, page := range []struct {
		name string
		msgs []e2e.ChatMessage
	}{{"A", res.A}, {"B", res.B}} {
		var texts []string
		for i, m := range page.msgs {
			texts = append(texts, m.Text)
			if !strings.HasSuffix(m.ID, "-"+strconv.Itoa(i+1)) {
				t.Errorf("page %s message %d has id %q, want <epoch>-%d", page.name, i, m.ID, i+1)
			}
		}
		if !slices.Equal(texts, want) {
			t.Errorf("page %s showed %q, want %q", page.name, texts, want)
		}
	}
	if got := k.resumes("a"); len(got) != 2 || got[0] != "" || !strings.HasSuffix(got[1], "-2") {
		t.Errorf("page A's stream requests had Last-Event-ID %q, want a fresh one then a resume from 2", got)
	}
	if len(res.ConsoleErrors) > 0 || len(res.PageErrors) > 0 {
		t.Errorf("console errors %q, page errors %q", res.ConsoleErrors, res.PageErrors)
	}
}
