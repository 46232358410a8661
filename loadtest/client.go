package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http/httputil"
	"time"
)

// stream is one Server-Sent Events response read over a raw TCP connection.
type stream struct {
	conn net.Conn
	br   *bufio.Reader // the connection
	body *bufio.Reader // the de-chunked body
	data []byte        // the current event's data, reused
	id   []byte        // the current event's id, reused
}

// errNotStream is the error of a response that is not a 200 text/event-stream.
var errNotStream = errors.New("loadtest: not a 200 text/event-stream response")

// openTimeout bounds connecting and reading the response's headers.
const openTimeout = 10 * time.Second

// dial opens a stream on GET path at addr: it connects, sends the request
// and reads the headers, all within openTimeout. bufSize sizes both read
// buffers. deadline, if not zero, bounds the whole connection.
func dial(ctx context.Context, addr, path string, bufSize int, deadline time.Time) (*stream, error) {
	open := time.Now().Add(openTimeout)
	if !deadline.IsZero() && deadline.Before(open) {
		open = deadline
	}
	d := net.Dialer{Deadline: open}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(open)
	req := "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		c.Close()
		return nil, err
	}
	s := &stream{conn: c, br: bufio.NewReaderSize(c, bufSize)}
	if err := s.readHeader(bufSize); err != nil {
		c.Close()
		return nil, err
	}
	c.SetDeadline(deadline) // the zero time: none
	return s, nil
}

// readHeader reads the status line and the headers and sets up the body.
func (s *stream) readHeader(bufSize int) error {
	status, err := s.br.ReadSlice('\n')
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(status, []byte("HTTP/1.1 200")) && !bytes.HasPrefix(status, []byte("HTTP/1.0 200")) {
		return fmt.Errorf("%w: %q", errNotStream, bytes.TrimSpace(status))
	}
	chunked, sse := false, false
	for {
		line, err := s.br.ReadSlice('\n')
		if err != nil {
			return err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Content-Type")):
			sse = bytes.HasPrefix(bytes.ToLower(value), []byte("text/event-stream"))
		}
	}
	if !sse {
		return fmt.Errorf("%w: content type", errNotStream)
	}
	if chunked {
		s.body = bufio.NewReaderSize(httputil.NewChunkedReader(s.br), bufSize)
	} else {
		s.body = s.br
	}
	return nil
}

// next reads up to the end of the next event with data and returns its id
// and data, valid until the next call. Comments, event types and retry
// hints are skipped. The stream's end is io.EOF.
func (s *stream) next() (id, data []byte, err error) {
	s.id, s.data = s.id[:0], s.data[:0]
	hasData := false
	for {
		line, err := s.body.ReadSlice('\n')
		if err == bufio.ErrBufferFull { // a line longer than the buffer
			long := append([]byte(nil), line...)
			for err == bufio.ErrBufferFull {
				line, err = s.body.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if err != nil {
			if err == io.ErrUnexpectedEOF {
				err = io.EOF
			}
			return nil, nil, err
		}
		line = line[:len(line)-1]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if len(line) == 0 {
			if hasData {
				return s.id, s.data, nil
			}
			continue
		}
		switch {
		case bytes.HasPrefix(line, []byte("data:")):
			if hasData {
				s.data = append(s.data, '\n')
			}
			s.data = append(s.data, trimSpace1(line[5:])...)
			hasData = true
		case bytes.HasPrefix(line, []byte("id:")):
			s.id = append(s.id[:0], trimSpace1(line[3:])...)
		}
	}
}

// trimSpace1 drops the one space a field value may start with.
func trimSpace1(b []byte) []byte {
	if len(b) > 0 && b[0] == ' ' {
		return b[1:]
	}
	return b
}

// close closes the connection.
func (s *stream) close() { s.conn.Close() }

// parseUint parses a decimal unsigned integer without allocating.
func parseUint(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}
