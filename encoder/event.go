package encoder

import "time"

// MessageEvent is one event a server sends, NestJS's MessageEvent in Go.
// An event returned by Frame (as a broker's are) also carries its wire
// form, so two such events compare equal with == only when they come from
// the same Frame call: compare their fields instead.
//
// The zero value of every field means "not set": an empty Type sends no
// event line (clients dispatch it as "message"), an empty ID sends no id
// line, a Retry of zero or less sends no retry line, an empty Comment sends
// no comment line and a nil Data sends no data line.
type MessageEvent struct {
	// Data is the payload. Strings, []byte and json.RawMessage are written
	// as they are; nil writes no data line; anything else is marshalled to
	// JSON. Line breaks (CRLF, CR, LF) split the payload over several data
	// lines, which clients join back with LF.
	Data any
	// ID is the event id, which clients echo back in Last-Event-ID when they
	// reconnect. It must not contain CR, LF or NUL.
	ID string
	// Type is the event type (the "event:" field). It must not contain CR
	// or LF.
	Type string
	// Retry asks the client to wait this long before reconnecting. It is
	// sent in whole milliseconds.
	Retry time.Duration
	// Comment is sent as comment lines, which clients ignore; it is useful
	// for heartbeats and debugging. Line breaks split it over several lines.
	Comment string

	// frame is the wire form Frame built, shared by every copy of the
	// event; nil if none.
	frame *frame
}

// Event is one event as a conforming client (a browser's EventSource)
// dispatches it.
type Event struct {
	// Type is the event type; "message" when the stream named none.
	Type string
	// Data is the event's data lines joined with LF.
	Data string
	// LastEventID is the last event id the stream had set when this event
	// was dispatched (ids persist across events until changed or reset).
	LastEventID string
}
