package encoder_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/rxsse/rxsse/encoder"
)

// wire returns ev as an Encoder writes it.
func wire(t *testing.T, ev encoder.MessageEvent) string {
	t.Helper()
	b, err := encoder.NewEncoder(nil).AppendEvent(nil, ev)
	if err != nil {
		t.Fatalf("AppendEvent: %v", err)
	}
	return string(b)
}

func TestAFramedEventIsWrittenAsTheSameBytes(t *testing.T) {
	for _, ev := range []encoder.MessageEvent{
		{Data: "hello"},
		{Data: []byte("raw"), ID: "e-1"},
		{Data: json.RawMessage(`{"a":1}`), ID: "e-2", Type: "tick"},
		{Data: map[string]int{"x": 1}},
		{Data: "a\r\nb\rc\n", ID: "7", Type: "t", Retry: 1500 * time.Millisecond, Comment: "c\nd"},
		{Comment: "only a comment"},
		{ID: "only-an-id"},
	} {
		framed, err := encoder.Frame(ev)
		if err != nil {
			t.Fatalf("Frame(%+v): %v", ev, err)
		}
		want := wire(t, ev)
		if got := string(framed.Framed()); got != want {
			t.Errorf("Framed() = %q, want %q", got, want)
		}
		if got := wire(t, framed); got != want {
			t.Errorf("AppendEvent(framed) = %q, want %q", got, want)
		}
	}
}

func TestACopyWithAFieldChangedIsEncodedAnew(t *testing.T) {
	framed, err := encoder.Frame(encoder.MessageEvent{Data: json.RawMessage(`{"n":1}`), ID: "e-1", Type: "tick", Retry: time.Second, Comment: "c"})
	if err != nil {
		t.Fatal(err)
	}
	copied := framed
	if copied.Framed() == nil {
		t.Fatal("a plain copy lost its frame")
	}
	tests := []struct {
		name   string
		change func(*encoder.MessageEvent)
		want   string
	}{
		{"another id", func(ev *encoder.MessageEvent) { ev.ID = "e-2" }, "event: tick\nid: e-2\nretry: 1000\n: c\ndata: {\"n\":1}\n\n"},
		{"no id", func(ev *encoder.MessageEvent) { ev.ID = "" }, "event: tick\nretry: 1000\n: c\ndata: {\"n\":1}\n\n"},
		{"another type", func(ev *encoder.MessageEvent) { ev.Type = "chat" }, "event: chat\nid: e-1\nretry: 1000\n: c\ndata: {\"n\":1}\n\n"},
		{"another retry", func(ev *encoder.MessageEvent) { ev.Retry = 2 * time.Second }, "event: tick\nid: e-1\nretry: 2000\n: c\ndata: {\"n\":1}\n\n"},
		{"another comment", func(ev *encoder.MessageEvent) { ev.Comment = "" }, "event: tick\nid: e-1\nretry: 1000\ndata: {\"n\":1}\n\n"},
		{"other data", func(ev *encoder.MessageEvent) { ev.Data = json.RawMessage(`{"n":2}`) }, "event: tick\nid: e-1\nretry: 1000\n: c\ndata: {\"n\":2}\n\n"},
		{"data of another type", func(ev *encoder.MessageEvent) { ev.Data = `{"n":1}` }, "event: tick\nid: e-1\nretry: 1000\n: c\ndata: {\"n\":1}\n\n"},
		// The same characters in another string: not the same value, so
		// encoded again, to the same bytes.
		{"an equal id built anew", func(ev *encoder.MessageEvent) { ev.ID = string([]byte("e-1")) }, "event: tick\nid: e-1\nretry: 1000\n: c\ndata: {\"n\":1}\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := framed
			tt.change(&ev)
			if ev.Framed() != nil {
				t.Errorf("Framed() is not nil after the change")
			}
			if got := wire(t, ev); got != tt.want {
				t.Errorf("wire = %q, want %q", got, tt.want)
			}
		})
	}
	if framed.Framed() == nil {
		t.Error("changing copies changed the original")
	}
}

func TestFrameRejectsWhatTheEncoderRejects(t *testing.T) {
	for _, ev := range []encoder.MessageEvent{{ID: "a\nb", Data: "x"}, {Type: "a\rb"}, {Data: func() {}}} {
		if _, err := encoder.Frame(ev); !errors.As(err, new(*encoder.FieldError)) {
			t.Errorf("Frame(%+v) = %v, want a *FieldError", ev, err)
		}
	}
}

func TestAnUnframedEventHasNoFrame(t *testing.T) {
	ev := encoder.MessageEvent{Data: "x", ID: "1"}
	if ev.Framed() != nil {
		t.Error("Framed() of a plain event is not nil")
	}
}

func TestAppendingAFramedEventAllocatesNothing(t *testing.T) {
	framed, err := encoder.Frame(encoder.MessageEvent{Data: json.RawMessage(`{"t":1,"seq":2}`), ID: "abcdefgh-2"})
	if err != nil {
		t.Fatal(err)
	}
	enc := encoder.NewEncoder(nil)
	buf := make([]byte, 0, 256)
	var item any = framed // as a broker boxes it once for every subscriber
	if n := testing.AllocsPerRun(1000, func() {
		buf, _ = enc.AppendEvent(buf[:0], item.(encoder.MessageEvent))
	}); n != 0 {
		t.Errorf("AppendEvent of a framed event: %v allocations, want 0", n)
	}
	if !bytes.Equal(buf, framed.Framed()) {
		t.Errorf("appended %q, want %q", buf, framed.Framed())
	}
}

// BenchmarkAppendFramed is AppendEvent of a framed event: a copy of its
// frame, what the transport pays per subscriber for a broker's event.
func BenchmarkAppendFramed(b *testing.B) {
	framed, err := encoder.Frame(encoder.MessageEvent{Data: json.RawMessage(`{"t":1733480000000000,"seq":123}`), ID: "abcdefgh-123"})
	if err != nil {
		b.Fatal(err)
	}
	enc := encoder.NewEncoder(nil)
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = enc.AppendEvent(buf[:0], framed)
	}
}

// BenchmarkAppendUnframed is the same event encoded field by field, as
// every subscriber framed it before Frame.
func BenchmarkAppendUnframed(b *testing.B) {
	ev := encoder.MessageEvent{Data: json.RawMessage(`{"t":1733480000000000,"seq":123}`), ID: "abcdefgh-123"}
	enc := encoder.NewEncoder(nil)
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = enc.AppendEvent(buf[:0], ev)
	}
}

// BenchmarkFrame is what a broker pays once per published event.
func BenchmarkFrame(b *testing.B) {
	ev := encoder.MessageEvent{Data: json.RawMessage(`{"t":1733480000000000,"seq":123}`), ID: "abcdefgh-123"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := encoder.Frame(ev); err != nil {
			b.Fatal(err)
		}
	}
}
