package eventsource

import "testing"

func TestIsEventStream(t *testing.T) {
	for ct, want := range map[string]bool{
		"text/event-stream":                  true,
		"Text/Event-Stream":                  true,
		"text/event-stream;":                 true,
		"text/event-stream; charset=utf-8":   true,
		"text/event-stream; charset=UTF-8":   true,
		`text/event-stream; charset="utf-8"`: true,
		"text/event-stream ; foo":            true,
		"text/event-stream; charset=latin1":  false,
		"text/event-stream; charset=utf8":    false,
		"text/event-streams":                 false,
		"text/plain":                         false,
		"":                                   false,
		"event-stream":                       false,
	} {
		if got := isEventStream(ct); got != want {
			t.Errorf("isEventStream(%q) = %v, want %v", ct, got, want)
		}
	}
}
