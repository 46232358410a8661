// Package encoder is rxsse's wire model and codec for text/event-stream, with
// no knowledge of HTTP or rxgo.
//
// A server describes what it sends with a MessageEvent (NestJS's interface:
// Data, ID, Type, Retry, plus Comment) and writes it with an Encoder; a client
// reads the events a browser would dispatch with a Decoder. The pair works
// like encoding/json's:
//
//	enc := encoder.NewEncoder(w)
//	err := enc.Encode(encoder.MessageEvent{Type: "tick", Data: map[string]int{"n": 1}})
//	// event: tick
//	// data: {"n":1}
//
//	dec := encoder.NewDecoder(r)
//	for ev, err := range dec.Events() { ... }
//
// # Writing
//
// Encode writes one block exactly as NestJS does: "event:", "id:", "retry:",
// comment lines, "data:" lines, then a blank line, with one space after each
// colon. Strings, []byte and json.RawMessage are written as they are, nil
// writes no data line, anything else is JSON as JSON.stringify writes it
// (encoding/json without HTML escaping; to marshal another way, pass
// json.RawMessage). Data and comments are split on CRLF, CR and LF, one
// prefixed line per piece, so no content can end a field early: an id with
// CR, LF or NUL and a type with CR or LF are rejected with a *FieldError
// (errors.Is ErrInvalidID / ErrInvalidType) and nothing is written. A fuzz
// test proves that no accepted event decodes as more than one event or with
// other fields than were sent. Encoding a string event allocates nothing.
//
// # Reading
//
// The Decoder follows the WHATWG HTML "Server-sent events" parsing rules to
// the letter (see the Decoder's doc), has no line-length limit, and bounds
// the size of one event (WithMaxEventSize, DefaultMaxEventSize, 4 MiB, by
// default) so a hostile stream cannot grow memory without bound: it reads
// long lines in 64 KiB pieces straight into the event being built, so a line
// far past the bound costs about 1.3 times the bound in allocations in all
// (21 MiB for a 40 MiB line against a 16 MiB bound), never the line plus
// copies of it. The conformance
// vectors in testdata/vectors.json are shared with the client and browser
// tests.
//
// A client that reads one stream over several connections starts each
// connection's Decoder where the last one ended, as a browser's parser does:
//
//	dec := encoder.NewDecoder(resp.Body,
//		encoder.WithLastEventID(lastID),          // events without an id carry it
//		encoder.WithReconnectionTime(reconnect))  // Retry reports it until a retry field
//	...
//	lastID = dec.LastEventID()
//	reconnect, _ = dec.Retry() // the bool says whether a retry field set it
//
// # Options
//
// The Decoder takes DecoderOptions (WithMaxEventSize, WithLastEventID,
// WithReconnectionTime); nil options are ignored. The Encoder has none.
package encoder
