package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/examples/chat/rooms"
	"github.com/rxsse/rxsse/transport/ssetest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func newTestApp(t *testing.T, cfg config) *app {
	t.Helper()
	if cfg.logger == nil {
		cfg.logger = quiet
	}
	a, err := newApp(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.hub.Close() })
	return a
}

// post sends a message and returns the status and the id answered.
func post(t *testing.T, h http.Handler, room, body string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/rooms/"+room+"/messages", strings.NewReader(body)))
	var resp struct{ ID string }
	if rec.Code == http.StatusCreated {
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
			t.Fatalf("POST answer %q: %v", rec.Body, err)
		}
	}
	return rec.Code, resp.ID
}

func chat(id, name, text string) encoder.Event {
	data, _ := json.Marshal(rooms.Message{Name: name, Text: text})
	return encoder.Event{Type: "message", Data: string(data), LastEventID: id}
}

func TestMessagesReachTheirRoomOnlyAndResumeAfterLastEventID(t *testing.T) {
	ssetest.NoLeaks(t)
	a := newTestApp(t, config{})
	srv := ssetest.NewServer(a.handler)
	t.Cleanup(srv.Close)

	lobby, err := srv.Get(t.Context(), "/rooms/lobby/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer lobby.Close()
	if !lobby.IsEventStream() {
		t.Fatalf("GET events: %s", lobby.Response.Status)
	}
	if code, id := post(t, a.handler, "kitchen", `{"name":"cook","text":"soup"}`); code != http.StatusCreated || !strings.HasSuffix(id, "-1") {
		t.Fatalf("POST kitchen: %d id %q, want 201 id <epoch>-1", code, id)
	}
	_, ann := post(t, a.handler, "lobby", `{"name":"ann","text":"hi"}`)
	_, bob := post(t, a.handler, "lobby", `{"name":"bob","text":"héllo\nthere"}`)
	ssetest.ExpectEvents(t, lobby, chat(ann, "ann", "hi"), chat(bob, "bob", "héllo\nthere"))

	again, err := srv.Get(t.Context(), "/rooms/lobby/events", http.Header{"Last-Event-ID": {ann}})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	ssetest.ExpectEvents(t, again, chat(bob, "bob", "héllo\nthere"))
}

// A page joins with ?history=1: with no Last-Event-ID it gets the room's
// retained messages, with no gap event and no resume gap in the metrics;
// once it has an id (a reconnecting EventSource sends it), it resumes.
func TestJoiningWithHistoryGetsTheRoomsRetainedMessagesWithoutAGap(t *testing.T) {
	ssetest.NoLeaks(t)
	a := newTestApp(t, config{})
	srv := ssetest.NewServer(a.handler)
	t.Cleanup(srv.Close)
	_, ann := post(t, a.handler, "lobby", `{"name":"ann","text":"hi"}`)
	post(t, a.handler, "kitchen", `{"name":"cook","text":"soup"}`)
	_, bob := post(t, a.handler, "lobby", `{"name":"bob","text":"there"}`)

	for _, tc := range []struct {
		name   string
		query  string
		header http.Header
		want   []encoder.Event
	}{
		{"?history=1 without a Last-Event-ID gets every retained message of the room", "?history=1", nil,
			[]encoder.Event{chat(ann, "ann", "hi"), chat(bob, "bob", "there")}},
		{"a Last-Event-ID header wins over ?history=1: a reconnecting page resumes", "?history=1", http.Header{"Last-Event-ID": {ann}},
			[]encoder.Event{chat(bob, "bob", "there")}},
		{"so does a lastEventId query parameter", "?history=1&lastEventId=" + ann, nil,
			[]encoder.Event{chat(bob, "bob", "there")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second) // a missing event fails the test
			defer cancel()
			st, err := srv.Get(ctx, "/rooms/lobby/events"+tc.query, tc.header)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if !st.IsEventStream() {
				t.Fatalf("GET events: %s", st.Response.Status)
			}
			ssetest.ExpectEvents(t, st, tc.want...) // a gap event would come first
		})
	}

	// Without ?history=1 a join is live only.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	live, err := srv.Get(ctx, "/rooms/lobby/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	_, cat := post(t, a.handler, "lobby", `{"name":"cat","text":"live"}`)
	ssetest.ExpectEvents(t, live, chat(cat, "cat", "live"))

	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, want := range []string{
		"\nrxsse_hub_resume_gaps_total 0\n",     // the hub's Observer saw no gap
		"\nrxsse_hub_replays_total 3\n",         // the history join and the two resumes
		"\nrxsse_hub_replayed_events_total 4\n", // 2 + 1 + 1
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("/metrics lacks %q", strings.TrimSpace(want))
		}
	}
}

func TestPostRejectsBadInput(t *testing.T) {
	a := newTestApp(t, config{})
	for _, tc := range []struct {
		name, room, body string
		want             int
	}{
		{"a bad room name", "no%20spaces", `{"name":"a","text":"b"}`, http.StatusNotFound},
		{"a body that is not JSON", "lobby", `name=a`, http.StatusBadRequest},
		{"an empty name", "lobby", `{"name":"","text":"b"}`, http.StatusBadRequest},
		{"an empty text", "lobby", `{"name":"a","text":""}`, http.StatusBadRequest},
		{"a name too long", "lobby", `{"name":"` + strings.Repeat("n", 41) + `","text":"b"}`, http.StatusBadRequest},
		{"a text too long", "lobby", `{"name":"a","text":"` + strings.Repeat("t", 501) + `"}`, http.StatusBadRequest},
		{"a huge body", "lobby", `{"name":"a","text":"` + strings.Repeat("t", 1<<20) + `"}`, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, _ := post(t, a.handler, tc.room, tc.body); code != tc.want {
				t.Errorf("POST: %d, want %d", code, tc.want)
			}
		})
	}
}

func TestMetricsCountPublishedEvents(t *testing.T) {
	a := newTestApp(t, config{})
	post(t, a.handler, "lobby", `{"name":"a","text":"b"}`)
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, want := range []string{"rxsse_hub_events_published_total 1", "rxsse_streams_open 0", "rxsse_hub_subscribers 0"} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestTheIndexPageJoinsARoomAndPosts(t *testing.T) {
	a := newTestApp(t, config{})
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET /: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	for _, want := range []string{"new EventSource(`/rooms/", "/events?history=1`", "method: 'POST'", `addEventListener('gap'`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("the page lacks %s", want)
		}
	}
}
