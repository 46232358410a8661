package encoder

import (
	"bytes"
	"fmt"
	"io"
	"iter"
	"math"
	"time"
	"unicode/utf8"
	"unsafe"
)

const (
	decoderBufSize = 4096
	// decoderMaxBuf bounds the read buffer: a line longer than this is
	// handed to the field it belongs to in pieces, so a long line is held
	// once, in the event being built, and never also in the read buffer.
	decoderMaxBuf = 64 << 10
	// decoderKeepSize bounds the buffers a Decoder keeps between events, so
	// one huge event does not pin its memory for the life of the stream.
	decoderKeepSize = 1 << 20
	// maxRetryMillis is the largest retry time.Duration can hold.
	maxRetryMillis = math.MaxInt64 / int64(time.Millisecond)
)

var utf8BOM = []byte("\xEF\xBB\xBF")

// lineField says what the line being read is, once its first piece has
// been read.
type lineField uint8

const (
	lineStart  lineField = iota // no piece of the current line read yet
	lineIgnore                  // a comment or an unknown field
	lineData
	lineEvent
	lineID
	lineRetry
)

// Decoder reads server-sent events from a stream and yields the events a
// conforming client (a browser's EventSource) would dispatch. It follows
// the WHATWG HTML rules for interpreting an event stream (§9.2.6) to the
// letter:
//
//   - one leading UTF-8 byte order mark is dropped; bytes that are not
//     valid UTF-8 become U+FFFD the way a browser's UTF-8 decoder replaces
//     them (one U+FFFD per maximal invalid subsequence);
//   - lines end with CRLF, LF or CR, including a CRLF split across reads;
//     lines have no length limit, only events have (WithMaxEventSize);
//   - "event", "data", "id" and "retry" are the only fields, matched
//     case-sensitively; other fields and comment lines are ignored;
//   - an id containing NUL is ignored, a retry that is not all ASCII digits
//     is ignored, and a block without data lines dispatches nothing but
//     still sets the last event id;
//   - a final block not closed by a blank line is discarded.
//
// Like a browser's parser on a reconnection, a Decoder can start with a
// last event id and a reconnection time (WithLastEventID,
// WithReconnectionTime): a client reading a stream over several
// connections gives each connection's Decoder the state the previous one
// ended with.
//
// Decode returns an event as soon as the blank line closing its block has
// been read: it never waits for more input than that. A Decoder is not
// safe for concurrent use.
type Decoder struct {
	r       io.Reader
	maxSize int

	buf        []byte
	start, end int // unread bytes are buf[start:end]
	// buf[start:noLF] holds no LF and buf[start:noCR] no CR, so rescanning
	// after a read that did not complete the line costs nothing.
	noLF, noCR int
	skipLF     bool // the last line ended with a CR at the end of the buffer
	bomDone    bool
	readErr    error // the reader's error, returned once the buffer is used up
	err        error // sticky error returned by Decode

	// The line being read, when it comes in several pieces.
	field     lineField
	skipSpace bool  // the colon ended the last piece: a space may still follow
	idNUL     bool  // the id line being read holds a NUL
	retryMs   int64 // the retry line's value so far
	retryOK   bool  // the retry line so far is ASCII digits only
	retryAny  bool  // the retry line so far has a digit

	blockSize int // bytes of the lines read in the current block
	data      []byte
	typ       []byte
	typStr    string // the last type dispatched, reused to save allocations
	id        []byte // the last event ID buffer
	idNext    []byte // the id line being read
	lastID    string // the last event ID string
	retry     time.Duration
	retrySeen bool
}

// NewDecoder returns a Decoder that reads from r. It buffers r: it may read
// past the events it has returned.
func NewDecoder(r io.Reader, opts ...DecoderOption) *Decoder {
	c := newDecoderConfig(opts)
	return &Decoder{
		r:       r,
		maxSize: c.maxEventSize,
		id:      []byte(c.lastEventID),
		lastID:  c.lastEventID,
		retry:   c.reconnect,
	}
}

// Decode returns the next event a conforming client would dispatch.
//
// At the end of the stream it returns io.EOF, also when the stream ends in
// the middle of a block (the spec discards that block). An error from the
// reader is returned as it is. An event block larger than the maximum event
// size returns an error wrapping ErrEventTooLarge. After any error the
// Decoder is done: every later call returns the same error.
func (d *Decoder) Decode() (Event, error) {
	if d.err != nil {
		return Event{}, d.err
	}
	for {
		line, more, err := d.readLine()
		if err != nil {
			d.err = err
			return Event{}, err
		}
		if len(line) == 0 && !more && d.field == lineStart {
			if ev, ok := d.dispatch(); ok {
				return ev, nil
			}
			continue
		}
		d.processLine(line, more)
	}
}

// Events returns an iterator over the events Decode returns. It stops at
// the end of the stream; any other error is yielded once, last.
func (d *Decoder) Events() iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		for {
			ev, err := d.Decode()
			if err == io.EOF {
				return
			}
			if !yield(ev, err) || err != nil {
				return
			}
		}
	}
}

// Retry returns the reconnection time: the value of the last valid retry
// field read, else the one WithReconnectionTime gave (zero by default).
// seen reports whether a retry field set it, so that "retry: 0" can be told
// from no retry field at all. Like a browser, the Decoder applies a retry
// field as soon as it reads it, even inside a block that is never
// dispatched. A value too large for a time.Duration saturates.
func (d *Decoder) Retry() (reconnectionTime time.Duration, seen bool) { return d.retry, d.retrySeen }

// LastEventID returns the stream's last event id: what a client reconnecting
// now sends as Last-Event-ID. Like a browser's, it changes when a block ends
// (a blank line), even a block with no data; an id line in a block that has
// not ended yet does not count. Before that it is the id WithLastEventID
// gave, or "".
func (d *Decoder) LastEventID() string { return d.lastID }

// dispatch ends the current block and reports the event it makes, if any.
func (d *Decoder) dispatch() (Event, bool) {
	d.blockSize = 0
	if string(d.id) != d.lastID {
		d.lastID = string(d.id)
	}
	if cap(d.typ) > decoderKeepSize {
		d.typ = nil
	}
	if len(d.data) == 0 {
		d.typ = d.typ[:0]
		return Event{}, false
	}
	// Only data fields fill the data buffer and each ends with LF.
	ev := Event{Type: "message", Data: d.takeData(len(d.data) - 1), LastEventID: d.lastID}
	if len(d.typ) > 0 {
		if string(d.typ) != d.typStr {
			d.typStr = string(d.typ)
		}
		ev.Type = d.typStr
	}
	d.data, d.typ = d.data[:0], d.typ[:0]
	if cap(d.data) > decoderKeepSize {
		d.data = nil
	}
	return ev, true
}

// takeData returns d.data[:n] as a string. A large buffer that the string
// fills at least half of is handed over instead of copied, so that an event
// near the size bound is never held twice; the Decoder then lets go of it
// and never writes it again.
func (d *Decoder) takeData(n int) string {
	if cap(d.data) <= decoderKeepSize || 2*n < cap(d.data) {
		return string(d.data[:n])
	}
	s := unsafe.String(unsafe.SliceData(d.data), n)
	d.data = nil
	return s
}

// processLine applies one line, or one piece of a line when more is true
// (the rest follows in the next calls).
func (d *Decoder) processLine(piece []byte, more bool) {
	if !more && d.field == lineStart {
		d.processWholeLine(piece)
		return
	}
	value := piece
	if d.field == lineStart {
		value = nil
		name := piece
		if colon := bytes.IndexByte(piece, ':'); colon >= 0 {
			name, value = piece[:colon], piece[colon+1:]
			d.skipSpace = true
		} else if more {
			// A name longer than a piece names no field.
			name = nil
		}
		switch string(name) {
		case "data":
			d.field = lineData
		case "event":
			d.field = lineEvent
			d.typ = d.typ[:0]
		case "id":
			d.field = lineID
			d.idNext, d.idNUL = d.idNext[:0], false
		case "retry":
			d.field = lineRetry
			d.retryMs, d.retryOK, d.retryAny = 0, true, false
		default:
			d.field = lineIgnore // comments (empty name) included
		}
	}
	if d.skipSpace && len(value) > 0 {
		d.skipSpace = false
		if value[0] == ' ' {
			value = value[1:]
		}
	}
	switch d.field {
	case lineData:
		d.data = appendUTF8(d.grow(d.data, len(value)+1), value)
	case lineEvent:
		d.typ = appendUTF8(d.grow(d.typ, len(value)), value)
	case lineID:
		if !d.idNUL {
			if bytes.IndexByte(value, 0) >= 0 {
				d.idNUL = true
			} else {
				d.idNext = appendUTF8(d.grow(d.idNext, len(value)), value)
			}
		}
	case lineRetry:
		d.parseRetry(value)
	}
	if more {
		return
	}
	switch d.field {
	case lineData:
		d.data = append(d.data, '\n')
	case lineID:
		if !d.idNUL {
			d.id, d.idNext = d.idNext, d.id
		}
		if cap(d.idNext) > decoderKeepSize {
			d.idNext = nil
		}
	case lineRetry:
		d.endRetry()
	}
	d.field, d.skipSpace = lineStart, false
}

// processWholeLine applies a line read at once, the common case.
func (d *Decoder) processWholeLine(line []byte) {
	colon := bytes.IndexByte(line, ':')
	if colon == 0 {
		return // comment
	}
	name, value := line, []byte(nil)
	if colon > 0 {
		name, value = line[:colon], line[colon+1:]
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
	}
	switch string(name) {
	case "event":
		d.typ = appendUTF8(d.grow(d.typ[:0], len(value)), value)
	case "data":
		d.data = append(appendUTF8(d.grow(d.data, len(value)+1), value), '\n')
	case "id":
		if bytes.IndexByte(value, 0) < 0 {
			d.id = appendUTF8(d.grow(d.id[:0], len(value)), value)
		}
	case "retry":
		d.retryMs, d.retryOK, d.retryAny = 0, true, false
		d.parseRetry(value)
		d.endRetry()
	}
}

// endRetry applies the retry line just read, if its value is valid.
func (d *Decoder) endRetry() {
	if d.retryOK && d.retryAny {
		d.retry, d.retrySeen = math.MaxInt64, true
		if d.retryMs <= maxRetryMillis {
			d.retry = time.Duration(d.retryMs) * time.Millisecond
		}
	}
}

// parseRetry adds a piece of a retry value, which is valid when it is
// ASCII digits only, at least one. Values past maxRetryMillis stay at
// maxRetryMillis+1.
func (d *Decoder) parseRetry(b []byte) {
	if !d.retryOK {
		return
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			d.retryOK = false
			return
		}
		d.retryAny = true
		if d.retryMs <= maxRetryMillis {
			d.retryMs = d.retryMs*10 + int64(c-'0')
		}
	}
}

// grow returns b with room for n more bytes. Past the read buffer's size it
// grows fourfold, up to the event size bound: an event of the maximum size
// then costs about 4/3 of that size in allocations in all, and at most 5/4
// of it at once (the last two buffers during the last copy).
func (d *Decoder) grow(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	return d.realloc(b, n)
}

// realloc is grow's slow path, apart so that grow is inlined.
func (d *Decoder) realloc(b []byte, n int) []byte {
	need := len(b) + n
	if need <= decoderMaxBuf {
		return append(b, make([]byte, n)...)[:len(b)]
	}
	c := max(need, 4*cap(b))
	if d.maxSize > 0 {
		c = min(c, max(need, d.maxSize+1))
	}
	nb := make([]byte, len(b), c)
	copy(nb, b)
	return nb
}

// readLine returns the next line without its line ending, or, for a line
// longer than the read buffer, its next piece with more set. The bytes
// are valid until the next call. A piece never ends inside a UTF-8
// sequence that the next bytes could complete, so that pieces decode as
// the whole line would.
func (d *Decoder) readLine() (line []byte, more bool, err error) {
	for {
		if d.skipLF && d.start < d.end {
			d.skipLF = false
			if d.buf[d.start] == '\n' {
				d.advance(d.start + 1)
			}
		}
		if eol := d.indexEOL(); eol >= 0 {
			line := d.buf[d.start:eol]
			next := eol + 1
			if d.buf[eol] == '\r' {
				if next == d.end {
					d.skipLF = true
				} else if d.buf[next] == '\n' {
					next++
				}
			}
			d.advance(next)
			return d.take(line, false)
		}
		// No line ending: everything buffered belongs to the current line.
		if d.maxSize > 0 && d.blockSize+d.end-d.start > d.maxSize {
			return nil, false, d.tooLarge()
		}
		if d.end-d.start >= decoderMaxBuf {
			piece := d.buf[d.start:d.end]
			piece = piece[:completeUTF8(piece)]
			d.advance(d.start + len(piece))
			return d.take(piece, true)
		}
		if d.readErr != nil {
			return nil, false, d.readErr
		}
		d.fill()
	}
}

// take counts a line or piece just read against the event size bound, and
// drops the byte order mark from the start of the stream.
func (d *Decoder) take(line []byte, more bool) ([]byte, bool, error) {
	if !d.bomDone {
		d.bomDone = true
		line = bytes.TrimPrefix(line, utf8BOM)
	}
	d.blockSize += len(line)
	if d.maxSize > 0 && d.blockSize > d.maxSize {
		return nil, false, d.tooLarge()
	}
	return line, more, nil
}

// completeUTF8 returns the length of b without an incomplete UTF-8
// sequence at its end: one whose bytes so far could still be valid.
func completeUTF8(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax+1; i-- {
		switch c := b[i]; {
		case c < utf8.RuneSelf:
			return len(b)
		case c >= 0xC0: // a lead byte
			if utf8.FullRune(b[i:]) {
				return len(b)
			}
			return i
		}
	}
	return len(b)
}

func (d *Decoder) tooLarge() error {
	return fmt.Errorf("encoder: decode: %w (limit %d bytes)", ErrEventTooLarge, d.maxSize)
}

// advance consumes the buffer up to i.
func (d *Decoder) advance(i int) {
	d.start = i
	d.noLF = max(d.noLF, i)
	d.noCR = max(d.noCR, i)
}

// indexEOL returns the index in buf of the first CR or LF in the unread
// bytes, or -1.
func (d *Decoder) indexEOL() int {
	lf := d.end
	if i := bytes.IndexByte(d.buf[d.noLF:d.end], '\n'); i >= 0 {
		lf = d.noLF + i
	}
	d.noLF = lf
	eol := lf
	if i := bytes.IndexByte(d.buf[d.noCR:lf], '\r'); i >= 0 {
		eol = d.noCR + i
	}
	d.noCR = eol
	if eol == d.end {
		return -1
	}
	return eol
}

// fill reads once into the buffer, making room first: it keeps the unread
// bytes, moved to the front, and grows the buffer if they fill it, up to
// decoderMaxBuf (readLine hands out a full buffer as a piece of a line
// before that).
func (d *Decoder) fill() {
	if d.start > 0 {
		n := copy(d.buf, d.buf[d.start:d.end])
		d.noLF -= d.start
		d.noCR -= d.start
		d.start, d.end = 0, n
	}
	if d.buf == nil {
		d.buf = make([]byte, decoderBufSize)
		d.start, d.end, d.noLF, d.noCR = 0, 0, 0, 0
	}
	if d.end == len(d.buf) {
		buf := make([]byte, min(2*len(d.buf), decoderMaxBuf))
		copy(buf, d.buf[:d.end])
		d.buf = buf
	}
	// Like bufio, give up on a reader that keeps returning nothing.
	for range 100 {
		n, err := d.r.Read(d.buf[d.end:])
		if n < 0 || n > len(d.buf)-d.end {
			n, err = 0, fmt.Errorf("encoder: decode: reader returned invalid count %d", n)
		}
		d.end += n
		if err != nil {
			d.readErr = err
			return
		}
		if n > 0 {
			return
		}
	}
	d.readErr = io.ErrNoProgress
}

// appendUTF8 appends s to dst, replacing bytes that are not valid UTF-8
// as the WHATWG UTF-8 decoder does: one U+FFFD for each maximal subpart
// of an ill-formed sequence (Unicode §3.9, "U+FFFD Substitution of Maximal
// Subparts"), which is what browsers do and not what strings.ToValidUTF8
// does (one U+FFFD per run).
func appendUTF8(dst, s []byte) []byte {
	if utf8.Valid(s) {
		return append(dst, s...)
	}
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			dst = append(dst, s[i])
			i++
			continue
		}
		if r, n := utf8.DecodeRune(s[i:]); r != utf8.RuneError || n > 1 {
			dst = append(dst, s[i:i+n]...)
			i += n
			continue
		}
		dst = append(dst, "\uFFFD"...)
		i += maximalSubpart(s[i:])
	}
	return dst
}

// maximalSubpart returns the length of the ill-formed sequence at the start
// of s that one U+FFFD replaces: a lead byte and the continuation bytes that
// still form the prefix of a valid sequence, or 1.
func maximalSubpart(s []byte) int {
	lo, hi := byte(0x80), byte(0xBF)
	need := 0
	switch c := s[0]; {
	case 0xC2 <= c && c <= 0xDF:
		need = 1
	case 0xE0 <= c && c <= 0xEF:
		need = 2
		if c == 0xE0 {
			lo = 0xA0
		} else if c == 0xED {
			hi = 0x9F
		}
	case 0xF0 <= c && c <= 0xF4:
		need = 3
		if c == 0xF0 {
			lo = 0x90
		} else if c == 0xF4 {
			hi = 0x8F
		}
	default:
		return 1
	}
	n := 1
	// s does not start with a valid sequence, so this stops before need+1.
	for n <= need && n < len(s) && lo <= s[n] && s[n] <= hi {
		n++
		lo, hi = 0x80, 0xBF
	}
	return n
}
