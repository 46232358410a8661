package observable_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/observable"
	"github.com/rxsse/rxsse/transport"
	"github.com/rxsse/rxsse/transport/ssetest"
)

// hubServer serves h at /events through the transport, the way an
// application route does, and closes it when the test ends.
func hubServer(t *testing.T, h *observable.Hub) *ssetest.Server {
	t.Helper()
	srv := ssetest.NewServer(transport.Handler(func(r *http.Request) rxgo.Observable {
		return h.Subscribe(transport.LastEventID(r))
	}, transport.WithAutoID(false), transport.WithHeartbeat(0), transport.WithLogger(quiet)))
	t.Cleanup(srv.Close)
	return srv
}

func connect(t *testing.T, srv *ssetest.Server, lastEventID string) *ssetest.Stream {
	t.Helper()
	var header http.Header
	if lastEventID != "" {
		header = http.Header{"Last-Event-ID": {lastEventID}}
	}
	// The transport subscribes before it answers, so once Get returns the
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

func numbered(i int) encoder.Event {
	return encoder.Event{Type: "message", Data: "event " + strconv.Itoa(i), LastEventID: strconv.Itoa(i)}
}

func publishNumbered(t *testing.T, h *observable.Hub, from, to int) {
	t.Helper()
	for i := from; i <= to; i++ {
		if _, err := h.Publish(t.Context(), encoder.MessageEvent{Data: "event " + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
}

// A client that disconnects and reconnects with Last-Event-ID, as
// EventSource does, gets exactly what it missed, then the live events.
func TestHubResumeOverHTTPLosesAndDuplicatesNothing(t *testing.T) {
	ssetest.NoLeaks(t)
	h := newHub(t)
	srv := hubServer(t, h)

	first := connect(t, srv, "")
	publishNumbered(t, h, 1, 5)
	ssetest.ExpectEvents(t, first, numbered(1), numbered(2), numbered(3), numbered(4), numbered(5))
	first.Close()

	publishNumbered(t, h, 6, 10) // while the client is away

	again := connect(t, srv, "5")
	ssetest.ExpectEvents(t, again, numbered(6), numbered(7), numbered(8), numbered(9), numbered(10))
	publishNumbered(t, h, 11, 11)
	ssetest.ExpectEvents(t, again, numbered(11))
}

// A client that stops reading is cut off once its buffer fills; when it
// reads again and reconnects from the last id it saw, replay fills the gap.
func TestHubSlowClientOverHTTPIsCutOffAndResumesWithoutLoss(t *testing.T) {
	ssetest.NoLeaks(t)
	const n = 2000 // all within the replay window
	obs := &countingObserver{}
	h := newHub(t, observable.WithSubscriberBuffer(8), observable.WithReplayCount(n+1), observable.WithHubObserver(obs))
	srv := hubServer(t, h)

	pad := strings.Repeat("x", 100)
	publishPadded := func(from, to int) {
		for i := from; i <= to; i++ {
			if _, err := h.Publish(t.Context(), encoder.MessageEvent{Data: fmt.Sprintf("%d %s", i, pad)}); err != nil {
				t.Fatal(err)
			}
		}
	}

	slow := connect(t, srv, "")
	// 200 KB against a connection that buffers a few KB and a transport
	// that batches 32 KB: the client is bound to fall behind.
	publishPadded(1, n)
	if s := obs.snapshot(); s.cutOff != 1 {
		t.Fatalf("observer saw %d cut-offs, want the slow client cut off once", s.cutOff)
	}

	seen := 0
	last := ""
	for ev, err := range slow.Events() {
		if err != nil {
			t.Fatal(err)
		}
		if ev.Type == "error" {
			t.Fatalf("the cut-off sent an error frame (%q); it must end the stream quietly", ev.Data)
		}
		seen++
		if want := fmt.Sprintf("%d %s", seen, pad); ev.Data != want || ev.LastEventID != strconv.Itoa(seen) {
			t.Fatalf("event %d: %q id %q", seen, ev.Data[:min(10, len(ev.Data))], ev.LastEventID)
		}
		last = ev.LastEventID
	}
	if seen == 0 || seen >= n {
		t.Fatalf("the slow client read %d events before the cut-off, want some but not all %d", seen, n)
	}

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
	publishPadded(n+1, n+1)
	if ev, err := resumed.Next(); err != nil || ev.LastEventID != strconv.Itoa(n+1) {
		t.Fatalf("live after the replay: %+v, %v", ev, err)
	}
	if err := resumed.Close(); err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
}
