package ssetest

import (
	"context"
	"errors"
	"io"
	"iter"
	"net/http"
	"strings"
	"time"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/transport"
)

// Server serves an http.Handler over in-memory connections with a real
// http.Server, like httptest.Server but usable inside a testing/synctest
// bubble: create it inside the bubble and close it before the bubble ends.
type Server struct {
	// URL is the base URL of the server, for requests made with Client.
	URL string

	srv    *http.Server
	ln     *pipeListener
	tr     *http.Transport
	client *http.Client
	served chan struct{}
}

// NewServer starts serving h. The server cancels open streams on Close
// (see transport.CancelOnShutdown).
func NewServer(h http.Handler) *Server {
	ln := newPipeListener()
	s := &Server{
		URL:    "http://ssetest",
		srv:    &http.Server{Handler: h, ReadHeaderTimeout: time.Minute},
		ln:     ln,
		tr:     &http.Transport{DialContext: ln.DialContext},
		served: make(chan struct{}),
	}
	s.client = &http.Client{Transport: s.tr}
	transport.CancelOnShutdown(s.srv)
	go func() {
		defer close(s.served)
		_ = s.srv.Serve(s.ln)
	}()
	return s
}

// Client returns an http.Client whose requests, whatever their host, reach
// this server.
func (s *Server) Client() *http.Client { return s.client }

// Close ends every open stream, shuts the server down and waits until it
// has stopped, so no goroutine of the server or its client is left.
//
// Connections are synchronous in-memory pipes with no socket buffer, so a
// response ends cleanly only while its client reads it. A transport stream
// nobody reads is cut at once (the transport abandons a write blocked at
// shutdown); any other response nobody reads is closed abruptly after ten
// (virtual) seconds.
func (s *Server) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		s.srv.Close()
	}
	<-s.served
	s.tr.CloseIdleConnections()
}

// Get opens a GET stream at path (relative to URL). See Do.
func (s *Server) Get(ctx context.Context, path string, header http.Header) (*Stream, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+path, nil)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	return s.Do(req)
}

// Do sends req (which may carry a body and any method) and returns the
// response as a Stream, whatever its status. The request asks for
// text/event-stream, as EventSource does.
func (s *Server) Do(req *http.Request) (*Stream, error) {
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "text/event-stream")
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	return newStream(resp), nil
}

// Stream is one response being read as an event stream.
type Stream struct {
	// Response is the response, with its status and headers. Its Body is
	// read by the Stream.
	Response *http.Response

	dec *encoder.Decoder
}

func newStream(resp *http.Response) *Stream {
	return &Stream{Response: resp, dec: encoder.NewDecoder(resp.Body)}
}

// IsEventStream reports whether the response is a 200 text/event-stream,
// the only kind a browser's EventSource accepts.
func (st *Stream) IsEventStream() bool {
	ct := st.Response.Header.Get("Content-Type")
	return st.Response.StatusCode == http.StatusOK && strings.HasPrefix(ct, "text/event-stream")
}

// Next returns the next event a browser would dispatch, io.EOF when the
// response ends.
func (st *Stream) Next() (encoder.Event, error) { return st.dec.Decode() }

// Events returns an iterator over the remaining events. It stops at the
// end of the stream; any other error is yielded once, last.
func (st *Stream) Events() iter.Seq2[encoder.Event, error] { return st.dec.Events() }

// Retry returns the reconnection time the stream last set, zero if none.
func (st *Stream) Retry() time.Duration {
	r, _ := st.dec.Retry()
	return r
}

// Body reads the rest of the response body, for error responses.
func (st *Stream) Body() (string, error) {
	b, err := io.ReadAll(st.Response.Body)
	return string(b), err
}

// Close closes the response body, which tells the server the client left.
func (st *Stream) Close() error {
	err := st.Response.Body.Close()
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}
