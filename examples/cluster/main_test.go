package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/rxsse/rxsse/controller"
	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/examples/chat/rooms"
	"github.com/rxsse/rxsse/observable/hub"
	"github.com/rxsse/rxsse/openapi"
	"github.com/rxsse/rxsse/openapi/openapitest"
	"github.com/rxsse/rxsse/transport"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var quiet = slog.New(slog.DiscardHandler)

// newTestCluster starts an embedded NATS server and n instances on random
// ports of 127.0.0.1.
func newTestCluster(t *testing.T, n int, opts ...func(*clusterConfig)) *cluster {
	t.Helper()
	ns, err := startNATS(t.TempDir(), -1, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	addrs := make([]string, n)
	for i := range addrs {
		addrs[i] = "127.0.0.1:0"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg := clusterConfig{natsURL: ns.ClientURL(), addrs: addrs, retry: 100 * time.Millisecond, logger: quiet}
	for _, o := range opts {
		o(&cfg)
	}
	c, err := newCluster(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.close() })
	return c
}

func (in *instance) url() string { return "http://" + in.addr }

// post sends a message to room on in and returns the id answered.
func post(t *testing.T, in *instance, room, name, text string) string {
	t.Helper()
	body, _ := json.Marshal(rooms.Message{Name: name, Text: text})
	resp, err := http.Post(in.url()+"/rooms/"+room+"/messages", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ ID string }
	if resp.StatusCode != http.StatusCreated || json.NewDecoder(resp.Body).Decode(&out) != nil {
		t.Fatalf("POST: %d", resp.StatusCode)
	}
	return out.ID
}

// stream is an open event stream of one room on one instance.
type stream struct {
	t      *testing.T
	cancel context.CancelFunc
	body   io.Closer
	dec    *encoder.Decoder
	check  func(encoder.Event, transport.EventType) error
}

// roomsCheck validates an event of the rooms' stream against the stream's
// itemSchema in the OpenAPI document the instances serve.
func roomsCheck(t *testing.T) func(encoder.Event, transport.EventType) error {
	t.Helper()
	doc, err := openapi.New(apiInfo, controller.Describe(rooms.Controller{})...)
	if err != nil {
		t.Fatal(err)
	}
	return openapitest.Check(t, doc.JSON(), http.MethodGet, "/rooms/{room}/events")
}

func open(t *testing.T, in *instance, room, lastEventID string) *stream {
	t.Helper()
	return openURL(t, in.url()+"/rooms/"+room+"/events", lastEventID)
}

// openURL opens the event stream at url, with a Last-Event-ID header unless
// lastEventID is empty.
func openURL(t *testing.T, url, lastEventID string) *stream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		cancel()
		t.Fatalf("GET events: %d", resp.StatusCode)
	}
	s := &stream{t: t, cancel: cancel, body: resp.Body, dec: encoder.NewDecoder(resp.Body), check: roomsCheck(t)}
	t.Cleanup(s.close)
	return s
}

func (s *stream) close() { s.cancel(); s.body.Close() }

// texts reads n events and returns "name: text" of each, or the gap's type.
// Each event must match the stream's schema in the OpenAPI document.
func (s *stream) texts(n int) (out []string, lastID string) {
	s.t.Helper()
	for range n {
		ev, err := s.dec.Decode()
		if err != nil {
			s.t.Fatalf("after %q: %v", out, err)
		}
		lastID = ev.LastEventID
		if err := s.check(ev, transport.EventType{}); err != nil {
			s.t.Errorf("event %+v: %v", ev, err)
		}
		if ev.Type == hub.GapEventType {
			out = append(out, "gap")
			continue
		}
		var m rooms.Message
		json.Unmarshal([]byte(ev.Data), &m)
		out = append(out, m.Name+": "+m.Text)
	}
	return out, lastID
}

func TestAMessagePostedOnOneInstanceReachesAll(t *testing.T) {
	c := newTestCluster(t, 3)
	a, b, cc := c.instances[0], c.instances[1], c.instances[2]
	first := post(t, a, "lobby", "alice", "before anyone joined")
	sb, sc := open(t, b, "lobby", first), open(t, cc, "lobby", first)
	post(t, a, "lobby", "alice", "on A")
	post(t, cc, "lobby", "carol", "on C")
	post(t, a, "other", "alice", "elsewhere")
	want := "alice: on A|carol: on C"
	for name, s := range map[string]*stream{"B": sb, "C": sc} {
		if got, _ := s.texts(2); strings.Join(got, "|") != want {
			t.Errorf("instance %s streamed %q", name, got)
		}
	}
	// Joining with ?history=1 shows the room's recent messages, with no gap
	// event first.
	join := openURL(t, b.url()+"/rooms/lobby/events?history=1", "")
	if got, _ := join.texts(3); strings.Join(got, "|") != "alice: before anyone joined|"+want {
		t.Errorf("joining shows %q", got)
	}
	// B serves the OpenAPI document of its routes.
	doc, err := http.Get(b.url() + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer doc.Body.Close()
	if d, _ := io.ReadAll(doc.Body); doc.StatusCode != http.StatusOK || !bytes.Contains(d, []byte(`"openapi": "3.2.0"`)) ||
		!bytes.Contains(d, []byte(`"/instances/{name}/stop"`)) {
		t.Errorf("GET /openapi.json: %d %.200s", doc.StatusCode, d)
	}
	// B's metrics count what its consumer delivered, whoever published, and
	// no resume gap.
	resp, err := http.Get(b.url() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	// The event to another room may not have reached B yet.
	if !strings.Contains(string(body), "\nrxsse_hub_events_published_total 3\n") && !strings.Contains(string(body), "\nrxsse_hub_events_published_total 4\n") {
		t.Errorf("B's /metrics does not count 3 or 4 events delivered:\n%s", body)
	}
	if !strings.Contains(string(body), "\nrxsse_hub_resume_gaps_total 0\n") {
		t.Errorf("B's /metrics counts a resume gap:\n%s", body)
	}
}

func TestAStoppedInstancesClientsResumeOnAnotherWithoutLoss(t *testing.T) {
	c := newTestCluster(t, 3)
	a, b := c.instances[0], c.instances[1]
	start := post(t, a, "lobby", "alice", "hello")
	s := open(t, b, "lobby", start)
	post(t, a, "lobby", "alice", "1")
	got, last := s.texts(1)
	// Stop B through A's control endpoint.
	resp, err := http.Post(a.url()+"/instances/B/stop", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if _, err := s.dec.Decode(); err != io.EOF {
		t.Fatalf("B's stream ended with %v, want a clean end (EOF) so the browser reconnects", err)
	}
	post(t, a, "lobby", "alice", "2 (B is down)")
	post(t, c.instances[2], "lobby", "carol", "3 (B is down)")
	more, _ := open(t, c.instances[2], "lobby", last).texts(2)
	got = append(got, more...)
	if strings.Join(got, "|") != "alice: 1|alice: 2 (B is down)|carol: 3 (B is down)" {
		t.Errorf("got %q", got)
	}
	// B comes back and serves the same ids.
	if resp, err := http.Post(a.url()+"/instances/B/start", "", nil); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("start B: %v %v", resp, err)
	}
	again, _ := open(t, b, "lobby", last).texts(2)
	if strings.Join(again, "|") != "alice: 2 (B is down)|carol: 3 (B is down)" {
		t.Errorf("B again: %q", again)
	}
}

func TestNATSPortIsNATSsDefaultUnlessNATS_PORTSaysOtherwise(t *testing.T) {
	for _, tc := range []struct {
		env        string
		port       int
		anyIfTaken bool
		err        bool
	}{
		{"", 4222, true, false},      // unset: the default, or any port if it is taken
		{"4333", 4333, false, false}, // a port asked for is a port meant
		{"0", -1, false, false},      // any free port (NATS itself reads 0 as 4222)
		{"nats", 0, false, true},
		{"-1", 0, false, true},
		{"65536", 0, false, true},
	} {
		port, anyIfTaken, err := natsPort(tc.env)
		if port != tc.port || anyIfTaken != tc.anyIfTaken || (err != nil) != tc.err {
			t.Errorf("NATS_PORT=%q: %d %v %v, want %d %v, error %v", tc.env, port, anyIfTaken, err, tc.port, tc.anyIfTaken, tc.err)
		}
	}
}
