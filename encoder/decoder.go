package encoder

import (
	"bytes"
	"fmt"
	"io"
	"iter"
	"math"
	"time"
	"unicode/utf8"
)

const (
	decoderBufSize = 4096
	// decoderKeepSize bounds the buffers a Decoder keeps between events, so
	// one huge event does not pin its memory for the life of the stream.
	decoderKeepSize = 1 << 20
	// maxRetryMillis is the largest retry time.Duration can hold.
	maxRetryMillis = math.MaxInt64 / int64(time.Millisecond)
)

var utf8BOM = []byte("\xEF\xBB\xBF")

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

	blockSize int // bytes of the lines read in the current block
	data      []byte
	typ       []byte
	typStr    string // the last type dispatched, reused to save allocations
	id        []byte // the last event ID buffer
	lastID    string // the last event ID string
	retry     time.Duration
}

// NewDecoder returns a Decoder that reads from r. It buffers r: it may read
// past the events it has returned. Only WithMaxEventSize applies to it.
func NewDecoder(r io.Reader, opts ...Option) *Decoder {
	c := newConfig(opts)
	return &Decoder{r: r, maxSize: c.maxEventSize}
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
		line, err := d.readLine()
		if err != nil {
			d.err = err
			return Event{}, err
		}
		if len(line) == 0 {
			if ev, ok := d.dispatch(); ok {
				return ev, nil
			}
			continue
		}
		d.processLine(line)
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

// Retry returns the reconnection time the stream last set with a valid
// retry field, or zero if it set none. Like a browser, the Decoder applies a
// retry field as soon as it reads it, even inside a block that is never
// dispatched. A value too large for a time.Duration saturates.
func (d *Decoder) Retry() time.Duration { return d.retry }

// LastEventID returns the stream's last event id: what a client reconnecting
// now sends as Last-Event-ID. Like a browser's, it changes when a block ends
// (a blank line), even a block with no data; an id line in a block that has
// not ended yet does not count.
func (d *Decoder) LastEventID() string { return d.lastID }

// dispatch ends the current block and reports the event it makes, if any.
func (d *Decoder) dispatch() (Event, bool) {
	d.blockSize = 0
	if string(d.id) != d.lastID {
		d.lastID = string(d.id)
	}
	if len(d.data) == 0 {
		d.typ = d.typ[:0]
		return Event{}, false
	}
	// Only data fields fill the data buffer and each ends with LF.
	ev := Event{Type: "message", Data: string(d.data[:len(d.data)-1]), LastEventID: d.lastID}
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

func (d *Decoder) processLine(line []byte) {
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
		d.typ = appendUTF8(d.typ[:0], value)
	case "data":
		d.data = append(appendUTF8(d.data, value), '\n')
	case "id":
		if bytes.IndexByte(value, 0) < 0 {
			d.id = appendUTF8(d.id[:0], value)
		}
	case "retry":
		if ms, ok := parseRetry(value); ok {
			d.retry = math.MaxInt64
			if ms <= maxRetryMillis {
				d.retry = time.Duration(ms) * time.Millisecond
			}
		}
	}
}

// parseRetry parses a retry value: ASCII digits only, at least one.
// Values past maxRetryMillis are reported as maxRetryMillis+1.
func parseRetry(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var ms int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		if ms <= maxRetryMillis {
			ms = ms*10 + int64(c-'0')
		}
	}
	return ms, true
}

// readLine returns the next line without its line ending. The line is
// valid until the next call.
func (d *Decoder) readLine() ([]byte, error) {
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
			if !d.bomDone {
				d.bomDone = true
				line = bytes.TrimPrefix(line, utf8BOM)
			}
			d.blockSize += len(line)
			if d.maxSize > 0 && d.blockSize > d.maxSize {
				return nil, d.tooLarge()
			}
			return line, nil
		}
		// No line ending: everything buffered belongs to the current line.
		if d.maxSize > 0 && d.blockSize+d.end-d.start > d.maxSize {
			return nil, d.tooLarge()
		}
		if d.readErr != nil {
			return nil, d.readErr
		}
		d.fill()
	}
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

// fill reads once into the buffer, making room first: it keeps the
// unread bytes, moved to the front, and grows the buffer if they fill it.
func (d *Decoder) fill() {
	switch {
	case d.start == d.end && len(d.buf) > decoderKeepSize:
		d.buf = nil
	case d.start > 0:
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
		buf := make([]byte, 2*len(d.buf))
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
