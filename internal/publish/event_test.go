package publish_test

import (
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/internal/publish"
)

// panicky's MarshalJSON panics with err, or with "marshal exploded".
// The errors a broker passes in, as package hub does.
var (
	errIDSet      = errors.New("hub: the broker assigns ids; leave ID empty")
	errEmptyTopic = errors.New("hub: empty topic")
	errs          = publish.Errors{IDSet: errIDSet, EmptyTopic: errEmptyTopic}
)

type panicky struct{ err error }

func (p panicky) MarshalJSON() ([]byte, error) {
	if p.err != nil {
		panic(p.err)
	}
	panic("marshal exploded")
}

func TestPrepareEncodesDataOnce(t *testing.T) {
	tests := []struct {
		name string
		data any
		want any
	}{
		{"nil stays nil", nil, nil},
		{"a string is kept as it is", "<b>", "<b>"},
		{"a []byte is copied", []byte("raw"), []byte("raw")},
		{"a json.RawMessage is copied", json.RawMessage(`{"a":1}`), json.RawMessage(`{"a":1}`)},
		{"anything else is JSON without HTML escaping", map[string]string{"h": "<b>&"}, json.RawMessage(`{"h":"<b>&"}`)},
		{"a number is JSON", 42, json.RawMessage(`42`)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev, _, err := publish.Prepare(encoder.MessageEvent{Type: "t", Data: tc.data}, nil, errs)
			if err != nil {
				t.Fatal(err)
			}
			if ev.Type != "t" {
				t.Errorf("type %q, want t", ev.Type)
			}
			switch want := tc.want.(type) {
			case []byte:
				got, ok := ev.Data.([]byte)
				if !ok || string(got) != string(want) {
					t.Errorf("data %#v, want %#v", ev.Data, want)
				}
			case json.RawMessage:
				got, ok := ev.Data.(json.RawMessage)
				if !ok || string(got) != string(want) {
					t.Errorf("data %#v, want %#v", ev.Data, want)
				}
			default:
				if ev.Data != tc.want {
					t.Errorf("data %#v, want %#v", ev.Data, tc.want)
				}
			}
		})
	}
}

// Changing the caller's bytes after Prepare changes nothing a subscriber sees.
func TestPrepareCopiesBytes(t *testing.T) {
	b := []byte("abc")
	raw := json.RawMessage(`"abc"`)
	evB, _, _ := publish.Prepare(encoder.MessageEvent{Data: b}, nil, errs)
	evR, _, _ := publish.Prepare(encoder.MessageEvent{Data: raw}, nil, errs)
	b[0], raw[1] = 'X', 'X'
	if got := string(evB.Data.([]byte)); got != "abc" {
		t.Errorf("[]byte data %q after the caller changed it, want abc", got)
	}
	if got := string(evR.Data.(json.RawMessage)); got != `"abc"` {
		t.Errorf("json.RawMessage data %s after the caller changed it, want \"abc\"", got)
	}
}

func TestPrepareRejects(t *testing.T) {
	tests := []struct {
		name    string
		ev      encoder.MessageEvent
		topics  []string
		field   string // of the *encoder.FieldError; "" for none
		wantErr error  // matched with errors.Is; nil: only the field is checked
		msg     string // the exact error text; "" to skip
	}{
		{"an id set by the caller", encoder.MessageEvent{ID: "mine"}, nil, "id", errIDSet, ""},
		{"a type with a line break", encoder.MessageEvent{Type: "a\nb"}, nil, "event", encoder.ErrInvalidType, ""},
		{"a type with a carriage return", encoder.MessageEvent{Type: "a\rb"}, nil, "event", encoder.ErrInvalidType, ""},
		{"an empty topic, named by its index", encoder.MessageEvent{}, []string{"a", ""}, "", errEmptyTopic, "topic 1: hub: empty topic"},
		{"invalid JSON in a json.RawMessage", encoder.MessageEvent{Data: json.RawMessage(`{"a":`)}, nil, "data", nil, ""},
		{"data JSON cannot encode", encoder.MessageEvent{Data: make(chan int)}, nil, "data", nil, ""},
		{"the id before the topics", encoder.MessageEvent{ID: "x"}, []string{""}, "id", errIDSet, ""},
		{"the topics before the data", encoder.MessageEvent{Data: make(chan int)}, []string{""}, "", errEmptyTopic, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := publish.Prepare(tc.ev, tc.topics, errs)
			if err == nil {
				t.Fatal("no error")
			}
			var fe *encoder.FieldError
			if tc.field != "" && (!errors.As(err, &fe) || fe.Field != tc.field) {
				t.Errorf("error %v, want an *encoder.FieldError for field %q", err, tc.field)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("error %v, want %v", err, tc.wantErr)
			}
			if tc.msg != "" && err.Error() != tc.msg {
				t.Errorf("error %q, want %q", err, tc.msg)
			}
		})
	}
}

// A MarshalJSON that panics is an error, not a crash of the publisher.
func TestPrepareRecoversMarshalPanic(t *testing.T) {
	_, _, err := publish.Prepare(encoder.MessageEvent{Data: panicky{}}, nil, errs)
	var fe *encoder.FieldError
	if !errors.As(err, &fe) || fe.Field != "data" || !strings.Contains(err.Error(), "marshal panicked: marshal exploded") {
		t.Fatalf("error %v, want the panic in the data field", err)
	}
	_, _, err = publish.Prepare(encoder.MessageEvent{Data: panicky{io.ErrUnexpectedEOF}}, nil, errs)
	if !errors.As(err, &fe) || fe.Field != "data" || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("error %v, want the panic's error in the data field", err)
	}
}

func TestTopicsSortsAndDeduplicates(t *testing.T) {
	tests := []struct {
		name   string
		topics []string
		want   []string
	}{
		{"none is nil: every subscriber", nil, nil},
		{"one stays", []string{"a"}, []string{"a"}},
		{"several are sorted and deduplicated", []string{"b", "a", "b"}, []string{"a", "b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := publish.Topics(tc.topics, errEmptyTopic)
			if err != nil || !slices.Equal(got, tc.want) || (tc.want == nil) != (got == nil) {
				t.Errorf("Topics(%q) = %q, %v; want %q", tc.topics, got, err, tc.want)
			}
		})
	}
	if _, err := publish.Topics([]string{""}, errEmptyTopic); !errors.Is(err, errEmptyTopic) || err.Error() != "topic 0: hub: empty topic" {
		t.Errorf("an empty topic: %v", err)
	}
}

// Publish refuses what no subscriber's stream could carry, measured as the
// encoder writes it with the longest id a broker assigns: line breaks make
// data grow ("\n" becomes "data: \n"), so the raw size is not the measure.
func TestPrepareRefusesAnEventThatEncodesOverTheLimit(t *testing.T) {
	const longestID = "abcdefghijklmnopqrstuvwxyz0-18446744073709551615"
	wire := func(ev encoder.MessageEvent) int {
		ev.ID = longestID
		b, err := encoder.NewEncoder(nil).AppendEvent(nil, ev)
		if err != nil {
			t.Fatal(err)
		}
		return len(b)
	}
	limit := encoder.DefaultMaxEventSize
	newlines := strings.Repeat("\n", limit/6) // raw far below the limit, encoded above it
	crlf := strings.Repeat("a\r\nb\rc", limit/20)
	base := encoder.MessageEvent{Type: "chat", Comment: "c\nc", Retry: time.Second}
	fits := base
	fits.Data = ""
	fits.Data = strings.Repeat("x", limit-wire(fits)) // exactly at the limit
	over := base
	over.Data = fits.Data.(string) + "x"
	for _, tc := range []struct {
		name    string
		data    any
		tooLong bool
	}{
		{"newlines", newlines, true},
		{"mixed line breaks as bytes", []byte(crlf), wire(encoder.MessageEvent{Type: "chat", Comment: "c\nc", Retry: time.Second, Data: crlf}) > limit},
		{"exactly at the limit", fits.Data, false},
		{"one byte over", over.Data, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := base
			ev.Data = tc.data
			_, _, err := publish.Prepare(ev, nil, errs)
			if got := errors.Is(err, encoder.ErrEventTooLarge); got != tc.tooLong {
				t.Errorf("Prepare: %v; want too large: %v (encodes to %d, limit %d)", err, tc.tooLong, wire(ev), limit)
			}
			var fe *encoder.FieldError
			if tc.tooLong && (!errors.As(err, &fe) || fe.Field != "data") {
				t.Errorf("Prepare: %v, want an *encoder.FieldError for data", err)
			}
		})
	}
}
