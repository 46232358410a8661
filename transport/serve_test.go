package transport_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rxsse/rxsse/transport"
)

// pipeListener is a net.Listener of in-memory net.Pipe connections: a
// goroutine blocked on one is durably blocked, so synctest's virtual clock
// drives the server's deadlines.
type pipeListener struct {
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), closed: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

// dial connects a client connection to the listener.
func (l *pipeListener) dial(t *testing.T) net.Conn {
	t.Helper()
	client, server := net.Pipe()
	l.conns <- server
	t.Cleanup(func() { client.Close() })
	return client
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

// closedAfter waits for the server to close c, reading and discarding
// whatever it sends, and returns how long that took. It fails the test if
// c is still open after an hour (of virtual time).
func closedAfter(t *testing.T, c net.Conn, r io.Reader) time.Duration {
	t.Helper()
	start := time.Now()
	if err := c.SetReadDeadline(start.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	_, err := io.Copy(io.Discard, r)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("the server still holds the connection after an hour")
	}
	if err != nil {
		t.Fatalf("reading until the server closes: %v", err)
	}
	return time.Since(start)
}

func TestServeClosesConnectionsThatTrickleHeadersOrIdle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ln := newPipeListener()
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "ok")
		})}
		ctx, stop := context.WithCancel(t.Context())
		served := make(chan error, 1)
		go func() { served <- transport.Serve(ctx, srv, ln) }()

		// A client that sends part of a request header, then nothing.
		slow := ln.dial(t)
		if _, err := io.WriteString(slow, "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: "); err != nil {
			t.Fatal(err)
		}
		if d := closedAfter(t, slow, slow); d != 10*time.Second {
			t.Errorf("a trickled header was closed after %v, want 10s", d)
		}

		// A keep-alive client that sends one request, then nothing.
		idle := ln.dial(t)
		if _, err := io.WriteString(idle, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(idle)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		if b, err := io.ReadAll(resp.Body); err != nil || string(b) != "ok" {
			t.Fatalf("response %q, %v", b, err)
		}
		if d := closedAfter(t, idle, br); d != 2*time.Minute {
			t.Errorf("an idle keep-alive connection was closed after %v, want 2m", d)
		}

		stop()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
		if srv.ReadHeaderTimeout != 10*time.Second || srv.IdleTimeout != 2*time.Minute {
			t.Errorf("ReadHeaderTimeout %v, IdleTimeout %v; want Serve's defaults, 10s and 2m",
				srv.ReadHeaderTimeout, srv.IdleTimeout)
		}
	})
}

func TestServeKeepsTimeoutsThatAreSet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ln := newPipeListener()
		srv := &http.Server{
			Handler:           http.NotFoundHandler(),
			ReadHeaderTimeout: 50 * time.Millisecond,
			IdleTimeout:       -1, // no idle timeout
		}
		ctx, stop := context.WithCancel(t.Context())
		served := make(chan error, 1)
		go func() { served <- transport.Serve(ctx, srv, ln) }()

		slow := ln.dial(t)
		if _, err := io.WriteString(slow, "GET / HTTP/1.1\r\n"); err != nil {
			t.Fatal(err)
		}
		if d := closedAfter(t, slow, slow); d != 50*time.Millisecond {
			t.Errorf("a trickled header was closed after %v, want the 50ms set", d)
		}
		stop()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
		if srv.ReadHeaderTimeout != 50*time.Millisecond || srv.IdleTimeout != -1 {
			t.Errorf("ReadHeaderTimeout %v, IdleTimeout %v; want those set, 50ms and -1",
				srv.ReadHeaderTimeout, srv.IdleTimeout)
		}
	})
}

func TestServeLeavesTheTimeoutsToReadTimeoutWhenItIsSet(t *testing.T) {
	ln := newPipeListener()
	ln.Close() // Serve returns at once
	srv := &http.Server{ReadTimeout: time.Second}
	if err := transport.Serve(t.Context(), srv, ln); err == nil {
		t.Fatal("Serve on a closed listener returned nil")
	}
	if srv.ReadHeaderTimeout != 0 || srv.IdleTimeout != 0 {
		t.Errorf("ReadHeaderTimeout %v, IdleTimeout %v; want 0, so net/http uses ReadTimeout for both",
			srv.ReadHeaderTimeout, srv.IdleTimeout)
	}
}
