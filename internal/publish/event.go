package publish

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/internal/fanout"
	"github.com/rxsse/rxsse/observable"
)

// Errors of Prepare and Topics, exported by package hub under the same
// names.
var (
	// ErrIDSet reports an event given to Publish with its ID set.
	ErrIDSet = errors.New("the broker assigns ids; leave ID empty")
	// ErrEmptyTopic reports an empty-string topic.
	ErrEmptyTopic = errors.New("hub: empty topic")
)

// Prepare validates an event given to Publish and returns it with its data
// encoded, with topics sorted and deduplicated (nil if none). It fails with
// an *encoder.FieldError when ev.ID is set (ErrIDSet), when ev.Type
// contains a line break, or when ev.Data cannot be encoded, and with
// ErrEmptyTopic for an empty topic; the checks run in that order, topics
// before data.
//
// The data is encoded once, here, for every subscriber to share: a string
// is kept as it is, a []byte is copied, a json.RawMessage is validated and
// copied, and anything else is marshalled to JSON (as the encoder does, no
// HTML escaping) into a json.RawMessage.
func Prepare(ev encoder.MessageEvent, topics []string) (encoder.MessageEvent, []string, error) {
	if ev.ID != "" {
		return ev, nil, &encoder.FieldError{Field: "id", Err: ErrIDSet}
	}
	if strings.ContainsAny(ev.Type, "\r\n") {
		return ev, nil, &encoder.FieldError{Field: "event", Err: encoder.ErrInvalidType}
	}
	topics, err := Topics(topics)
	if err != nil {
		return ev, nil, err
	}
	data, err := encodeData(ev.Data)
	if err != nil {
		return ev, nil, &encoder.FieldError{Field: "data", Err: err}
	}
	ev.Data = data
	return ev, topics, nil
}

// Topics returns topics sorted and deduplicated (nil if none), or an error
// wrapping ErrEmptyTopic that names the first empty one.
func Topics(topics []string) ([]string, error) {
	for i, t := range topics {
		if t == "" {
			return nil, fmt.Errorf("topic %d: %w", i, ErrEmptyTopic)
		}
	}
	return fanout.Normalize(topics), nil
}

// encodeData returns d in the form subscribers share: a string as it is,
// or bytes the caller cannot change any more.
func encodeData(d any) (out any, err error) {
	switch v := d.(type) {
	case nil, string:
		return v, nil
	case []byte:
		return bytes.Clone(v), nil
	case json.RawMessage:
		if !json.Valid(v) {
			return nil, errors.New("invalid JSON in json.RawMessage")
		}
		return json.RawMessage(bytes.Clone(v)), nil
	}
	// A MarshalJSON of the caller's that panics becomes an error here
	// rather than a crash of the publishing goroutine.
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, &observable.PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // as JSON.stringify, and the encoder
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	return json.RawMessage(bytes.TrimSuffix(buf.Bytes(), []byte{'\n'})), nil
}
