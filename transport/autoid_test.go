package transport

import (
	"testing"

	"github.com/rxsse/rxsse/encoder"
)

// newTestStream returns a stream that encodes into its buffer only, for
// tests of appendItem; nothing may make it write or fail.
func newTestStream(nextID uint64) *stream {
	cfg := newConfig(nil)
	s := &stream{cfg: &cfg, enc: &streamEncoder{Encoder: encoder.NewEncoder(nil)}, nextID: nextID}
	s.grow()
	return s
}

func TestAutoIDsAreTheCounterInDecimal(t *testing.T) {
	tests := []struct {
		name   string
		nextID uint64
		item   any
		want   string
	}{
		{"the first", 1, "x", "id: 1\ndata: x\n\n"},
		{"after the type, before the data", 12345, encoder.MessageEvent{Type: "t", Data: "x"}, "event: t\nid: 12345\ndata: x\n\n"},
		{"the largest", 18446744073709551615, "x", "id: 18446744073709551615\ndata: x\n\n"},
		{"never over an event's own id", 7, encoder.MessageEvent{ID: "own", Data: "x"}, "id: own\ndata: x\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStream(tt.nextID)
			defer s.release()
			if !s.appendItem(tt.item) {
				t.Fatal("appendItem failed")
			}
			if got := string(s.buf); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNumberingAStringEventAllocatesNothing(t *testing.T) {
	// Ids of many digits: a one-digit string costs no allocation anyway,
	// and AllocsPerRun rounds the average down.
	const first = 1 << 40
	s := newTestStream(first)
	defer s.release()
	var item any = "hello" // boxed once, as an item arrives boxed
	allocs := testing.AllocsPerRun(1000, func() {
		s.buf = s.buf[:0]
		if !s.appendItem(item) {
			t.Fatal("appendItem failed")
		}
	})
	if allocs != 0 {
		t.Errorf("an auto-numbered event costs %v allocations, want 0", allocs)
	}
	if s.nextID < first+1000 {
		t.Errorf("next id %d: the events were not numbered", s.nextID)
	}
}
