package encoder_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/rxsse/rxsse/encoder"
)

func TestEncoderWritesNestWireFormat(t *testing.T) {
	type point struct {
		X int `json:"x"`
		Y int `json:"y"`
	}
	tests := []struct {
		name string
		ev   encoder.MessageEvent
		want string
	}{
		{"a string is written as it is", encoder.MessageEvent{Data: "hello"}, "data: hello\n\n"},
		{"bytes are written as they are", encoder.MessageEvent{Data: []byte("raw")}, "data: raw\n\n"},
		{"raw JSON is written as it is", encoder.MessageEvent{Data: json.RawMessage(`{"a":1}`)}, "data: {\"a\":1}\n\n"},
		{"a map is JSON", encoder.MessageEvent{Data: map[string]string{"hello": "world"}}, "data: {\"hello\":\"world\"}\n\n"},
		{"a struct is JSON", encoder.MessageEvent{Data: point{1, 2}}, "data: {\"x\":1,\"y\":2}\n\n"},
		{"a number is JSON", encoder.MessageEvent{Data: 42}, "data: 42\n\n"},
		{"a boolean is JSON", encoder.MessageEvent{Data: true}, "data: true\n\n"},
		{"a slice is JSON", encoder.MessageEvent{Data: []int{1, 2}}, "data: [1,2]\n\n"},
		{"JSON leaves HTML characters alone like JSON.stringify", encoder.MessageEvent{Data: map[string]string{"h": "<b>&</b>"}}, "data: {\"h\":\"<b>&</b>\"}\n\n"},
		{"an empty string still writes a data line", encoder.MessageEvent{Data: ""}, "data: \n\n"},
		{"nil data writes no data line", encoder.MessageEvent{ID: "7"}, "id: 7\n\n"},
		{"fields come in Nest's order", encoder.MessageEvent{Data: "d", ID: "1", Type: "tick", Retry: 1500 * time.Millisecond, Comment: "c"},
			"event: tick\nid: 1\nretry: 1500\n: c\ndata: d\n\n"},
		{"LF splits data over lines", encoder.MessageEvent{Data: "a\nb"}, "data: a\ndata: b\n\n"},
		{"CRLF splits data over lines", encoder.MessageEvent{Data: "a\r\nb"}, "data: a\ndata: b\n\n"},
		{"a lone CR splits data over lines", encoder.MessageEvent{Data: "a\rb"}, "data: a\ndata: b\n\n"},
		{"a trailing line break gives an empty last line", encoder.MessageEvent{Data: "a\n"}, "data: a\ndata: \n\n"},
		{"LF then CR are two breaks, not one CRLF", encoder.MessageEvent{Data: "\n\r"}, "data: \ndata: \ndata: \n\n"},
		{"a comment-only message writes comment lines", encoder.MessageEvent{Comment: "ping"}, ": ping\n\n"},
		{"line breaks split comments", encoder.MessageEvent{Comment: "a\r\nb\rc"}, ": a\n: b\n: c\n\n"},
		{"zero and negative retry write nothing", encoder.MessageEvent{Data: "x", Retry: -time.Second}, "data: x\n\n"},
		{"a type with NUL is allowed", encoder.MessageEvent{Type: "a\x00b", Data: "x"}, "event: a\x00b\ndata: x\n\n"},
		{"leading spaces in values survive", encoder.MessageEvent{Type: " t", Data: " d"}, "event:  t\ndata:  d\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := encoder.NewEncoder(&buf).Encode(tt.ev); err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if got := buf.String(); got != tt.want {
				t.Errorf("wire = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEncoderRejectsInjectionAndWritesNothing(t *testing.T) {
	tests := []struct {
		name  string
		ev    encoder.MessageEvent
		field string
		is    error
	}{
		{"an id with LF", encoder.MessageEvent{ID: "1\ndata: x", Data: "d"}, "id", encoder.ErrInvalidID},
		{"an id with CR", encoder.MessageEvent{ID: "1\r", Data: "d"}, "id", encoder.ErrInvalidID},
		{"an id with NUL", encoder.MessageEvent{ID: "1\x00", Data: "d"}, "id", encoder.ErrInvalidID},
		{"a type with LF", encoder.MessageEvent{Type: "a\nid: 9", Data: "d"}, "event", encoder.ErrInvalidType},
		{"a type with CR", encoder.MessageEvent{Type: "a\r", Data: "d"}, "event", encoder.ErrInvalidType},
		{"data JSON cannot encode", encoder.MessageEvent{Data: math.Inf(1)}, "data", nil},
		{"data of a channel", encoder.MessageEvent{Data: make(chan int)}, "data", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			enc := encoder.NewEncoder(&buf)
			err := enc.Encode(tt.ev)
			var fe *encoder.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Encode error = %v, want a *FieldError", err)
			}
			if fe.Field != tt.field {
				t.Errorf("FieldError.Field = %q, want %q", fe.Field, tt.field)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.field) {
				t.Errorf("message %q does not name the field %q", err, tt.field)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %q for a rejected event", buf.String())
			}
			// The encoder stays usable after a rejection.
			if err := enc.Encode(encoder.MessageEvent{Data: "ok"}); err != nil || buf.String() != "data: ok\n\n" {
				t.Errorf("after rejection: err %v, wire %q", err, buf.String())
			}
		})
	}
}

// Data that is not a string, []byte or json.RawMessage is JSON as
// JSON.stringify writes it (no HTML escaping), and a marshalling error is
// the Encoder's, with nothing written.
func TestEncoderMarshalsOtherDataAsJSON(t *testing.T) {
	var buf bytes.Buffer
	enc := encoder.NewEncoder(&buf)
	if err := enc.Encode(encoder.MessageEvent{Data: map[string]string{"h": "<b>&"}}); err != nil {
		t.Fatal(err)
	}
	if want := "data: {\"h\":\"<b>&\"}\n\n"; buf.String() != want {
		t.Errorf("wire = %q, want %q", buf.String(), want)
	}
	buf.Reset()
	boom := errors.New("boom")
	if err := enc.Encode(encoder.MessageEvent{Data: failingMarshaler{boom}}); !errors.Is(err, boom) || buf.Len() != 0 {
		t.Errorf("Encode error = %v, wire %q; want the marshaller's error and nothing written", err, buf.String())
	}
}

type failingMarshaler struct{ err error }

func (f failingMarshaler) MarshalJSON() ([]byte, error) { return nil, f.err }

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func TestEncoderReturnsWriteErrors(t *testing.T) {
	gone := errors.New("connection reset")
	err := encoder.NewEncoder(failingWriter{gone}).Encode(encoder.MessageEvent{Data: "x"})
	if !errors.Is(err, gone) {
		t.Errorf("Encode error = %v, want %v", err, gone)
	}
}

func TestEncoderIssuesOneWritePerEvent(t *testing.T) {
	var w countingWriter
	enc := encoder.NewEncoder(&w)
	for range 3 {
		if err := enc.Encode(encoder.MessageEvent{Data: "a\nb\nc", ID: "1", Type: "t", Comment: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	if w.writes != 3 {
		t.Errorf("writes = %d, want 3", w.writes)
	}
}

type countingWriter struct{ writes int }

func (w *countingWriter) Write(p []byte) (int, error) { w.writes++; return len(p), nil }

func TestEncodingAStringEventDoesNotAllocate(t *testing.T) {
	enc := encoder.NewEncoder(&countingWriter{})
	ev := encoder.MessageEvent{Data: "hello\nworld", ID: "42", Type: "greeting", Comment: "c"}
	allocs := testing.AllocsPerRun(100, func() {
		if err := enc.Encode(ev); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Encode allocates %v times per string event, want 0", allocs)
	}
}

func BenchmarkEncodeString(b *testing.B) {
	enc := encoder.NewEncoder(&countingWriter{})
	ev := encoder.MessageEvent{Data: "hello world, this is a small event", ID: "12345", Type: "message"}
	b.ReportAllocs()
	for b.Loop() {
		if err := enc.Encode(ev); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeMultiline(b *testing.B) {
	enc := encoder.NewEncoder(&countingWriter{})
	ev := encoder.MessageEvent{Data: strings.Repeat("line of text\n", 16)}
	b.ReportAllocs()
	for b.Loop() {
		if err := enc.Encode(ev); err != nil {
			b.Fatal(err)
		}
	}
}

type sample struct {
	Hello string `json:"hello"`
	N     int    `json:"n"`
}

func BenchmarkEncodeJSON(b *testing.B) {
	enc := encoder.NewEncoder(&countingWriter{})
	ev := encoder.MessageEvent{Data: sample{"world", 7}}
	b.ReportAllocs()
	for b.Loop() {
		if err := enc.Encode(ev); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJSONMarshalerAlone is the baseline for BenchmarkEncodeJSON: the
// marshaller by itself, on the same value.
func BenchmarkJSONMarshalerAlone(b *testing.B) {
	var buf bytes.Buffer
	je := json.NewEncoder(&buf)
	v := any(sample{"world", 7})
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := je.Encode(v); err != nil {
			b.Fatal(err)
		}
	}
}
