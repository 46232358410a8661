package transport

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unsafe"

	"github.com/rxsse/rxsse/encoder"
)

// framed returns ev with its wire form attached, as a broker publishes it.
func framed(t testing.TB, ev encoder.MessageEvent) encoder.MessageEvent {
	t.Helper()
	f, err := encoder.Frame(ev)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestABrokersFrameIsWrittenAsItIs(t *testing.T) {
	ev := framed(t, encoder.MessageEvent{ID: "e-1", Type: "tick", Data: json.RawMessage(`{"n":1}`)})
	s := newTestStream(1)
	s.release() // nothing pending, as between events
	if !s.appendItem(ev) {
		t.Fatal("appendItem failed")
	}
	if s.bufp != nil || len(s.buf) != 0 {
		t.Errorf("the frame was copied into a buffer of the stream's (%q)", s.buf)
	}
	frame := ev.Framed()
	if len(s.shared) != len(frame) || unsafe.SliceData(s.shared) != unsafe.SliceData(frame) {
		t.Errorf("pending %q is not the shared frame %q", s.shared, frame)
	}
	if s.pending != 1 || s.events != 1 {
		t.Errorf("pending %d, events %d, want 1, 1", s.pending, s.events)
	}
}

func TestFramesAndEventsKeepTheirOrder(t *testing.T) {
	a := framed(t, encoder.MessageEvent{ID: "e-1", Data: "a"})
	b := framed(t, encoder.MessageEvent{ID: "e-2", Data: "b"})
	tests := []struct {
		name  string
		items []any
		want  string
	}{
		{"two frames", []any{a, b}, "id: e-1\ndata: a\n\nid: e-2\ndata: b\n\n"},
		{"an event, then a frame", []any{"x", a}, "id: 1\ndata: x\n\nid: e-1\ndata: a\n\n"},
		{"a frame, then an event", []any{a, "x"}, "id: e-1\ndata: a\n\nid: 1\ndata: x\n\n"},
		{"a frame through a pointer", []any{&a}, "id: e-1\ndata: a\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStream(1)
			defer s.release()
			s.release()
			for _, it := range tt.items {
				if !s.appendItem(it) {
					t.Fatal("appendItem failed")
				}
			}
			got := string(s.buf) + string(s.shared)
			if len(s.buf) > 0 && len(s.shared) > 0 {
				t.Fatalf("both a buffer (%q) and a shared frame (%q) are pending", s.buf, s.shared)
			}
			if got != tt.want {
				t.Errorf("pending %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAFrameWhoseEventChangedIsEncodedAnew(t *testing.T) {
	ev := framed(t, encoder.MessageEvent{ID: "e-1", Data: "a"})
	changed := ev
	changed.Type = "chat" // what a Map may do
	noID := framed(t, encoder.MessageEvent{Data: "a"})
	tests := []struct {
		name string
		item any
		want string
	}{
		{"a field set by a Map", changed, "event: chat\nid: e-1\ndata: a\n\n"},
		{"an event without an id takes the counter's", noID, "id: 7\ndata: a\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStream(7)
			defer s.release()
			if !s.appendItem(tt.item) {
				t.Fatal("appendItem failed")
			}
			if got := string(s.buf) + string(s.shared); got != tt.want {
				t.Errorf("pending %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAFrameOverTheSizeCapIsSkippedByItsID(t *testing.T) {
	big := framed(t, encoder.MessageEvent{ID: "e-9", Data: strings.Repeat("x", 100)})
	s := newTestStream(1)
	defer s.release()
	s.cfg.maxEventSize = 64
	s.cfg.logger = slog.New(slog.DiscardHandler)
	s.r = httptest.NewRequest(http.MethodGet, "/", nil) // for the log's attributes
	s.committed = true
	if !s.appendItem(big) {
		t.Fatal("the stream ended on an event with an id")
	}
	want := "id: e-9\n: event skipped: 116 bytes, over the 64-byte cap\n\n"
	if got := string(s.buf) + string(s.shared); got != want {
		t.Errorf("pending %q, want %q", got, want)
	}
}

func TestAppendingAFrameAllocatesNothing(t *testing.T) {
	var item any = framed(t, encoder.MessageEvent{ID: "abcdefgh-123456", Data: json.RawMessage(`{"t":1,"seq":2}`)})
	s := newTestStream(1)
	defer s.release()
	s.release()
	allocs := testing.AllocsPerRun(1000, func() {
		if !s.appendItem(item) {
			t.Fatal("appendItem failed")
		}
		s.shared, s.pending = nil, 0
	})
	if allocs != 0 {
		t.Errorf("a broker's frame costs %v allocations, want 0", allocs)
	}
}
