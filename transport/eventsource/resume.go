package eventsource

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"time"
)

// A browser keeps two things of a stream across connections: the last
// event id and the reconnection time. Chromium hands them to the parser of
// each new connection, so an event without an id on a later connection
// still carries the last id, and an empty "id" field resets it. An
// encoder.Decoder cannot be told where to start, so each connection's
// decoder first reads a synthetic block that sets both, and dispatches
// nothing:
//
//	retry: <reconnection time in ms>
//	id: <last event id>
//	<blank line>
//
// Seeding the retry also tells "retry: 0" apart from no retry field, which
// Decoder.Retry reports alike. Since the block comes first, the stream's
// own byte order mark would no longer be at the start, so it is stripped
// here, before the block.

// seed returns the synthetic block that starts a connection's decoding.
func seed(retry time.Duration, lastID string) string {
	var b strings.Builder
	b.WriteString("retry: ")
	b.WriteString(strconv.FormatInt(retry.Milliseconds(), 10))
	b.WriteByte('\n')
	if lastID != "" {
		b.WriteString("id: ")
		b.WriteString(lastID)
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	return b.String()
}

// validID reports whether an id can be written in an id field: it must not
// contain CR, LF (which end the line) or NUL (which makes it ignored).
func validID(id string) bool { return !strings.ContainsAny(id, "\r\n\x00") }

var utf8BOM = []byte("\xEF\xBB\xBF")

// bomStripper reads r without one leading UTF-8 byte order mark.
type bomStripper struct {
	r       io.Reader
	head    []byte // bytes read while looking for the mark, not yet returned
	err     error  // the error that ended the look
	checked bool
}

func (b *bomStripper) Read(p []byte) (int, error) {
	if !b.checked {
		b.checked = true
		buf := make([]byte, 0, len(utf8BOM))
		// Like bufio, give up on a reader that keeps returning nothing.
		for i := 0; i < 100 && len(buf) < len(utf8BOM) && bytes.HasPrefix(utf8BOM, buf) && b.err == nil; i++ {
			var n int
			n, b.err = b.r.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
		}
		if !bytes.Equal(buf, utf8BOM) {
			b.head = buf
		}
	}
	if len(b.head) > 0 {
		n := copy(p, b.head)
		b.head = b.head[n:]
		return n, nil
	}
	if b.err != nil {
		return 0, b.err
	}
	return b.r.Read(p)
}
