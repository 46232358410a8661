package encoder

import (
	"encoding/json"
	"unsafe"
)

// frame is an event's wire form and the field values it was built from.
// It never changes once built.
type frame struct {
	id, typ, comment string
	retry            int64 // milliseconds, as written
	data             any
	wire             []byte
}

// Frame validates and encodes ev once and returns it with its wire form
// attached, for an event written to many streams (a broker's broadcast).
// An Encoder given the returned event, or any copy of it whose fields all
// still hold the same values, appends the attached bytes instead of
// encoding it again; Framed returns them. A copy with a field set anew (a
// Map that changes the type, an id numbered by the transport) is encoded as
// any event is. It fails as AppendEvent does.
//
// Values are compared by identity, not content: the same string, the same
// Data value (for a pointer, a slice or a map: the same one). Data that
// Frame had to marshal to JSON is sent as it was at Frame, whatever
// happens to it later, and the bytes of a []byte or json.RawMessage Data
// must not change afterwards (the brokers copy them before they frame).
func Frame(ev MessageEvent) (MessageEvent, error) {
	ev.frame = nil
	// Room for every line of an event whose data needs no marshalling, so
	// that the frame is one allocation.
	size := len("event: \nid: \nretry: 20\n: \n\n") + len(ev.Type) + len(ev.ID) + len(ev.Comment)
	// An Encoder only to marshal Data: AppendEvent uses its receiver for
	// nothing else, and a broker's data is already encoded.
	var e *Encoder
	switch d := ev.Data.(type) {
	case nil:
	case string:
		size += len(d) + len("data: \n")
	case []byte:
		size += len(d) + len("data: \n")
	case json.RawMessage:
		size += len(d) + len("data: \n")
	default:
		e = &Encoder{}
	}
	wire, err := e.AppendEvent(make([]byte, 0, size), ev)
	if err != nil {
		return ev, err
	}
	ev.frame = &frame{id: ev.ID, typ: ev.Type, comment: ev.Comment, retry: ev.Retry.Milliseconds(), data: ev.Data, wire: wire}
	return ev, nil
}

// Framed returns the wire form Frame attached to ev, the same bytes for
// every copy: nil when ev has none, or when one of its fields no longer
// holds the value Frame encoded. The bytes must not be modified.
func (ev *MessageEvent) Framed() []byte {
	f := ev.frame
	if f == nil || !sameString(ev.ID, f.id) || !sameString(ev.Type, f.typ) || !sameString(ev.Comment, f.comment) ||
		!sameRetry(ev, f.retry) || !sameValue(ev.Data, f.data) {
		return nil
	}
	return f.wire
}

// sameRetry reports whether ev's Retry writes the line f was built with
// (none for zero or less).
func sameRetry(ev *MessageEvent, ms int64) bool {
	if ev.Retry <= 0 {
		return ms <= 0
	}
	return ev.Retry.Milliseconds() == ms
}

// sameString reports whether a and b are the same string: the same bytes
// at the same address, so comparing costs nothing whatever their length.
func sameString(a, b string) bool {
	return len(a) == len(b) && (len(a) == 0 || unsafe.StringData(a) == unsafe.StringData(b))
}

// sameValue reports whether a and b hold the same dynamic type and the same
// value word: for a value boxed once, the same box, so one copied from the
// other; for a pointer, slice or map, the same one. Unlike ==, it never
// panics on uncomparable values and costs the same whatever the value.
func sameValue(a, b any) bool {
	type eface struct{ typ, word unsafe.Pointer }
	return *(*eface)(unsafe.Pointer(&a)) == *(*eface)(unsafe.Pointer(&b))
}
