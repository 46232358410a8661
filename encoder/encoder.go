package encoder

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"strings"
)

// Encoder writes MessageEvents to an io.Writer in the text/event-stream
// format. Each Encode call validates the whole event first and then issues
// exactly one Write, so a rejected event writes nothing and a writer sees
// whole event blocks only.
//
// An Encoder is not safe for concurrent use.
type Encoder struct {
	w       io.Writer
	buf     []byte       // the event block being built; reused across calls
	json    bytes.Buffer // scratch for the JSON marshaller
	jsonEnc *json.Encoder
}

// NewEncoder returns an Encoder that writes to w.
func NewEncoder(w io.Writer) *Encoder {
	return &Encoder{w: w}
}

// Encode writes one event block: "event:", "id:", "retry:", comment and
// "data:" lines in that order, then a blank line. It returns a *FieldError,
// and writes nothing, when the id or type could inject fields or the data
// cannot be marshalled.
func (e *Encoder) Encode(ev MessageEvent) error {
	b, err := e.AppendEvent(e.buf[:0], ev)
	e.buf = b[:0]
	if err != nil {
		return err
	}
	_, err = e.w.Write(b)
	return err
}

// AppendEvent appends the wire form of ev to dst and returns the extended
// slice, as Encode would write it: for an event Frame built, unchanged
// since, a copy of its frame. It writes nothing to the Encoder's writer and
// holds on to none of ev's strings once it returns. On error dst is
// returned unchanged in length.
func (e *Encoder) AppendEvent(dst []byte, ev MessageEvent) ([]byte, error) {
	if wire := ev.Framed(); wire != nil {
		return append(dst, wire...), nil
	}
	if strings.ContainsAny(ev.ID, "\r\n\x00") {
		return dst, &FieldError{Field: "id", Err: ErrInvalidID}
	}
	if strings.ContainsAny(ev.Type, "\r\n") {
		return dst, &FieldError{Field: "event", Err: ErrInvalidType}
	}
	start := len(dst)
	if ev.Type != "" {
		dst = append(dst, "event: "...)
		dst = append(dst, ev.Type...)
		dst = append(dst, '\n')
	}
	if ev.ID != "" {
		dst = append(dst, "id: "...)
		dst = append(dst, ev.ID...)
		dst = append(dst, '\n')
	}
	if ev.Retry > 0 {
		dst = append(dst, "retry: "...)
		dst = strconv.AppendInt(dst, ev.Retry.Milliseconds(), 10)
		dst = append(dst, '\n')
	}
	if ev.Comment != "" {
		dst = appendLines(dst, ": ", ev.Comment)
	}
	switch d := ev.Data.(type) {
	case nil:
	case string:
		dst = appendLines(dst, "data: ", d)
	case []byte:
		dst = appendLines(dst, "data: ", d)
	case json.RawMessage:
		dst = appendLines(dst, "data: ", []byte(d))
	default:
		j, err := e.marshalData(d)
		if err != nil {
			return dst[:start], &FieldError{Field: "data", Err: err}
		}
		dst = appendLines(dst, "data: ", j)
	}
	return append(dst, '\n'), nil
}

func (e *Encoder) marshalData(v any) ([]byte, error) {
	if e.jsonEnc == nil {
		// Built on first use: streams of strings and bytes never need it.
		e.jsonEnc = json.NewEncoder(&e.json)
		// JSON.stringify, which NestJS uses, leaves <, > and & alone.
		e.jsonEnc.SetEscapeHTML(false)
	}
	e.json.Reset()
	if err := e.jsonEnc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(e.json.Bytes(), []byte{'\n'}), nil
}

// appendLines appends s as one prefixed line per piece, splitting on CRLF,
// lone CR and lone LF, so no content can end the line early and start a new
// field. An empty s still appends one (empty) prefixed line.
func appendLines[T string | []byte](dst []byte, prefix string, s T) []byte {
	for {
		i := 0
		for i < len(s) && s[i] != '\n' && s[i] != '\r' {
			i++
		}
		dst = append(dst, prefix...)
		dst = append(dst, s[:i]...)
		dst = append(dst, '\n')
		if i == len(s) {
			return dst
		}
		if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			i++
		}
		s = s[i+1:]
	}
}
