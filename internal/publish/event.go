package publish

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/internal/fanout"
)

// Errors are the sentinel errors Prepare and Topics report: package hub
// declares them (hub.ErrIDSet, hub.ErrEmptyTopic), where users read them,
// and every broker passes them in.
type Errors struct {
	IDSet      error // an event given to Publish with its ID set
	EmptyTopic error // an empty-string topic
}

// Prepare validates an event given to Publish and returns it with its data
// encoded, with topics sorted and deduplicated (nil if none). It fails with
// an *encoder.FieldError when ev.ID is set (errs.IDSet), when ev.Type
// contains a line break, when ev.Data cannot be encoded, or when the event
// would encode to more than encoder.DefaultMaxEventSize bytes on the wire
// (encoder.ErrEventTooLarge: no subscriber's stream could carry it), and with
// errs.EmptyTopic for an empty topic; the checks run in that order, topics
// before data.
//
// The data is encoded once, here, for every subscriber to share: a string
// is kept as it is, a []byte is copied, a json.RawMessage is validated and
// copied, and anything else is marshalled to JSON (as the encoder does, no
// HTML escaping) into a json.RawMessage.
func Prepare(ev encoder.MessageEvent, topics []string, errs Errors) (encoder.MessageEvent, []string, error) {
	if ev.ID != "" {
		return ev, nil, &encoder.FieldError{Field: "id", Err: errs.IDSet}
	}
	if strings.ContainsAny(ev.Type, "\r\n") {
		return ev, nil, &encoder.FieldError{Field: "event", Err: encoder.ErrInvalidType}
	}
	topics, err := Topics(topics, errs.EmptyTopic)
	if err != nil {
		return ev, nil, err
	}
	data, err := encodeData(ev.Data)
	if err != nil {
		return ev, nil, &encoder.FieldError{Field: "data", Err: err}
	}
	ev.Data = data
	if n := encodedSize(ev); n > encoder.DefaultMaxEventSize {
		return ev, nil, &encoder.FieldError{Field: "data", Err: fmt.Errorf("%w: it encodes to %d bytes, over the %d-byte limit every subscriber's stream has", encoder.ErrEventTooLarge, n, encoder.DefaultMaxEventSize)}
	}
	return ev, topics, nil
}

var lf = []byte{'\n'}

// maxIDLine is the size of the longest id line a broker writes:
// "id: <epoch of up to 27 bytes>-<up to 20 digits>\n".
const maxIDLine = len("id: ") + 27 + 1 + 20 + 1

// encodedSize returns how many bytes ev, with its data already encoded by
// encodeData and the longest id a broker assigns, takes on the wire, as
// the encoder writes it.
func encodedSize(ev encoder.MessageEvent) int {
	n := maxIDLine + 1 // and the blank line that ends the event
	if ev.Type != "" {
		n += len("event: ") + len(ev.Type) + 1
	}
	if ev.Retry > 0 {
		n += len("retry: ") + len(strconv.FormatInt(ev.Retry.Milliseconds(), 10)) + 1
	}
	if ev.Comment != "" {
		n += linesSize(": ", ev.Comment)
	}
	switch d := ev.Data.(type) {
	case string:
		n += linesSize("data: ", d)
	case []byte:
		n += linesSizeBytes("data: ", d)
	case json.RawMessage:
		n += linesSizeBytes("data: ", d)
	}
	return n
}

// linesSize returns the size of s written as prefixed lines, one per piece
// between line breaks (CRLF, lone CR, lone LF), as the encoder writes it.
func linesSize(prefix, s string) int {
	if !strings.Contains(s, "\r") { // the common case, counted by vectorised code
		breaks := strings.Count(s, "\n")
		return len(s) - breaks + (breaks+1)*(len(prefix)+1)
	}
	return linesSizeSlow(prefix, s)
}

// linesSizeBytes is linesSize for bytes.
func linesSizeBytes(prefix string, b []byte) int {
	if bytes.IndexByte(b, '\r') < 0 {
		breaks := bytes.Count(b, lf)
		return len(b) - breaks + (breaks+1)*(len(prefix)+1)
	}
	return linesSizeSlow(prefix, b)
}

// linesSizeSlow counts pieces one byte at a time, for data with a CR.
func linesSizeSlow[T string | []byte](prefix string, s T) int {
	pieces, breaks := 1, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
				breaks++
			}
			pieces++
			breaks++
		case '\n':
			pieces++
			breaks++
		}
	}
	return len(s) - breaks + pieces*(len(prefix)+1)
}

// Topics returns topics sorted and deduplicated (nil if none), or an error
// wrapping errEmptyTopic that names the first empty one.
func Topics(topics []string, errEmptyTopic error) ([]string, error) {
	for i, t := range topics {
		if t == "" {
			return nil, fmt.Errorf("topic %d: %w", i, errEmptyTopic)
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
	// rather than a crash of the publishing goroutine, whose caller gets
	// it from Publish.
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, marshalPanic(r)
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

// marshalPanic is the error of a marshaller that panicked with v: it names
// v, and wraps it when it is an error.
func marshalPanic(v any) error {
	if e, ok := v.(error); ok {
		return fmt.Errorf("marshal panicked: %w", e)
	}
	return fmt.Errorf("marshal panicked: %v", v)
}
