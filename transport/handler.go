package transport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/internal/drain"
)

// Handler serves the observable that source returns as a text/event-stream
// response. Per request it calls source once, subscribes once with a context
// derived from the request's (cancelled when the client goes away), and
// writes every item until the observable completes, fails, or the client
// leaves; then it disposes the subscription.
//
// Items of type encoder.MessageEvent (or a pointer to one) are written as
// they are; any other value becomes the Data of a MessageEvent. An error
// item ends the stream: as an HTTP error response if nothing was written
// yet, as an "event: error" frame otherwise (see HTTPError).
func Handler(source func(*http.Request) rxgo.Observable, opts ...Option) http.Handler {
	c := newConfig(opts)
	if c.logger == nil {
		c.logger = slog.Default()
	}
	return &handler{source: source, cfg: c}
}

type handler struct {
	source func(*http.Request) rxgo.Observable
	cfg    config
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	s := &stream{
		cfg:    &h.cfg,
		w:      w,
		r:      r,
		rc:     http.NewResponseController(w),
		enc:    encoder.NewEncoder(nil, h.cfg.encoderOpts...),
		log:    h.cfg.logger.With("method", r.Method, "path", r.URL.Path),
		nextID: 1,
	}
	if !canFlush(w) {
		s.fail(ErrCannotFlush)
		return
	}
	items, err := s.subscribe(ctx, h.source)
	if err != nil {
		s.fail(err)
		return
	}
	// Some sources never close and others block on a send once nobody
	// reads: after the stream stops, keep reading for a bounded time so
	// upstream goroutines can see the cancelled context and finish.
	defer func() {
		cancel()
		go drain.Items(items, h.cfg.drainTimeout)
	}()
	s.run(ctx, items)
}

// subscribe calls the user's source and observes it, turning a panic or a
// nil observable into an error.
func (s *stream) subscribe(ctx context.Context, source func(*http.Request) rxgo.Observable) (items <-chan rxgo.Item, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = recovered(v)
		}
	}()
	obs := source(s.r.WithContext(ctx))
	if obs == nil {
		return nil, errors.New("transport: the source returned a nil Observable")
	}
	return obs.Observe(rxgo.WithContext(ctx)), nil
}

// recovered turns a recovered panic value into a *PanicError, re-panicking
// with http.ErrAbortHandler, which asks net/http to abort the response.
func recovered(v any) error {
	if v == http.ErrAbortHandler {
		panic(v)
	}
	return &PanicError{Value: v, Stack: debug.Stack()}
}

// stream is the state of one response.
type stream struct {
	cfg       *config
	w         http.ResponseWriter
	r         *http.Request
	rc        *http.ResponseController
	enc       *encoder.Encoder
	log       *slog.Logger
	buf       []byte // encoded bytes not yet written to the connection
	nextID    uint64
	committed bool // status and headers are written
	events    int  // events written or pending
	pending   int  // events in buf
}

func (s *stream) run(ctx context.Context, items <-chan rxgo.Item) {
	defer func() {
		if v := recover(); v != nil {
			s.fail(recovered(v))
		}
		if s.committed && s.cfg.observer != nil {
			s.cfg.observer.StreamClosed(s.r)
		}
	}()
	s.log.Debug("sse: stream opened")

	if !s.start(ctx, items) {
		return
	}

	var beat <-chan time.Time
	var hb *time.Timer
	if s.cfg.heartbeat > 0 {
		hb = time.NewTimer(s.cfg.heartbeat)
		defer hb.Stop()
		beat = hb.C
	}
	for {
		select {
		case <-ctx.Done():
			s.log.Debug("sse: client left", "events", s.events)
			return
		case it, ok := <-items:
			if !ok {
				s.flush()
				s.log.Debug("sse: stream completed", "events", s.events)
				return
			}
			if it.E != nil {
				s.fail(it.E)
				return
			}
			if !s.appendItem(it.V) || !s.batch(items) || !s.flush() {
				return
			}
		case <-beat:
			s.buf = append(s.buf, ": heartbeat\n\n"...)
			if !s.flush() {
				return
			}
		}
		if hb != nil {
			hb.Reset(s.cfg.heartbeat)
		}
	}
}

// start waits briefly for the first item, so that an error the source knows
// at once (not found, forbidden) becomes a proper HTTP response, then
// commits the response and writes what is ready. It reports whether the
// stream goes on.
func (s *stream) start(ctx context.Context, items <-chan rxgo.Item) bool {
	first := time.NewTimer(s.cfg.firstItemWait)
	var (
		it       rxgo.Item
		ok, got  bool
		timedOut bool
	)
	select {
	case it, ok = <-items:
		got = true
	case <-first.C:
		// An item that became ready as the timer fired still counts as
		// first, whichever case select happened to pick.
		select {
		case it, ok = <-items:
			got = true
		default:
			timedOut = true
		}
	case <-ctx.Done():
	}
	first.Stop()
	switch {
	case got:
		if !ok {
			s.commit()
			s.flush()
			s.log.Debug("sse: stream completed", "events", 0)
			return false
		}
		if it.E != nil {
			s.fail(it.E)
			return false
		}
		// Encode before committing, so an item the encoder rejects is
		// still a plain HTTP error.
		if !s.appendItem(it.V) {
			return false
		}
		s.commit()
		if !s.batch(items) {
			return false
		}
	case timedOut:
		s.commit()
	default:
		s.log.Debug("sse: client left before the stream started")
		return false
	}
	return s.flush()
}

// batch appends the items that are ready at once, so a burst goes out in
// few large writes; it stops at the first item that is not ready, so no
// event waits for a later one. It reports whether the stream goes on.
func (s *stream) batch(items <-chan rxgo.Item) bool {
	for len(s.buf) < flushThreshold {
		select {
		case it, ok := <-items:
			if !ok {
				s.flush()
				return false
			}
			if it.E != nil {
				s.fail(it.E)
				return false
			}
			if !s.appendItem(it.V) {
				return false
			}
		default:
			return true
		}
	}
	return true
}

// appendItem encodes one item into the pending buffer. It reports whether
// the stream goes on.
func (s *stream) appendItem(v any) bool {
	var ev encoder.MessageEvent
	switch x := v.(type) {
	case encoder.MessageEvent:
		ev = x
	case *encoder.MessageEvent:
		if x != nil {
			ev = *x
		}
	default:
		ev.Data = x
	}
	// Only events that clients dispatch (those with data) take an id.
	autoID := s.cfg.autoID && ev.ID == "" && ev.Data != nil
	if autoID {
		ev.ID = strconv.FormatUint(s.nextID, 10)
	}
	start := len(s.buf)
	buf, err := s.enc.AppendEvent(s.buf, ev)
	if err != nil {
		s.fail(fmt.Errorf("encode event: %w", err))
		return false
	}
	if autoID {
		s.nextID++
	}
	s.buf = buf
	s.events++
	s.pending++
	if max := s.cfg.maxPending; max > 0 && len(s.buf) > max {
		size := len(s.buf) - start
		// Write out what was batched before this event, so only an
		// event that alone exceeds the cap cuts the connection.
		if size <= max {
			return s.flushPrefix(start)
		}
		s.buf = s.buf[:start]
		s.pending--
		err := fmt.Errorf("%w: an event of %d bytes, cap %d", ErrTooMuchPending, size, max)
		if !s.committed {
			s.fail(err)
			return false
		}
		s.flush()
		s.log.Error("sse: connection cut", "err", err)
		return false
	}
	return true
}

// flushPrefix writes the first n pending bytes and keeps the rest pending.
func (s *stream) flushPrefix(n int) bool {
	rest := append([]byte(nil), s.buf[n:]...)
	s.buf = s.buf[:n]
	s.pending-- // the kept event is not part of this write
	if !s.flush() {
		return false
	}
	s.buf = append(s.buf, rest...)
	s.pending = 1
	return true
}

// commit writes the status and headers and starts the body.
func (s *stream) commit() {
	h := s.w.Header()
	set := func(k, v string) {
		// Middleware may have set a header under a non-canonical key;
		// ours must win whatever the spelling.
		for existing := range h {
			if strings.EqualFold(existing, k) {
				delete(h, existing)
			}
		}
		h[k] = []string{v}
	}
	set("Content-Type", "text/event-stream")
	set("Cache-Control", "private, no-cache, no-store, must-revalidate, max-age=0, no-transform")
	set("Pragma", "no-cache")
	set("Expires", "0")
	set("X-Accel-Buffering", "no")
	if s.r.ProtoMajor == 1 {
		set("Connection", "keep-alive")
	}
	s.w.WriteHeader(s.cfg.status)
	s.committed = true
	if s.cfg.observer != nil {
		s.cfg.observer.StreamOpened(s.r)
	}
	// The body starts with a newline (as NestJS's does) and the retry hint,
	// ahead of any event already encoded.
	head := []byte{'\n'}
	if s.cfg.retry > 0 {
		head = strconv.AppendInt(append(head, "retry: "...), s.cfg.retry.Milliseconds(), 10)
		head = append(head, "\n\n"...)
	}
	s.buf = append(head, s.buf...)
}

// flush writes the pending buffer to the connection under a fresh write
// deadline and flushes it. It reports whether the connection is healthy.
func (s *stream) flush() bool {
	if err := s.write(); err != nil {
		s.log.Info("sse: write failed, closing stream", "err", err, "events", s.events)
		return false
	}
	return true
}

func (s *stream) write() error {
	if s.cfg.writeTimeout > 0 {
		// Not every ResponseWriter supports deadlines (httptest's
		// recorder does not); streaming still works without one.
		if err := s.rc.SetWriteDeadline(time.Now().Add(s.cfg.writeTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return err
		}
	}
	if len(s.buf) > 0 {
		n, err := s.w.Write(s.buf)
		events := s.pending
		s.buf, s.pending = s.buf[:0], 0
		if err != nil {
			return err
		}
		if s.cfg.observer != nil {
			s.cfg.observer.EventsWritten(s.r, events, n)
		}
	}
	return s.rc.Flush()
}

// fail ends the stream with err: an HTTP error response when nothing was
// committed yet, an error frame otherwise.
func (s *stream) fail(err error) {
	if s.cfg.mapError != nil {
		if mapped := s.cfg.mapError(err); mapped != nil {
			err = mapped
		}
	}
	var rc Reconnecter
	if errors.As(err, &rc) && rc.Reconnect() {
		s.log.Info("sse: stream ended for the client to reconnect", "err", err, "events", s.events)
		if !s.committed {
			s.buf, s.pending = s.buf[:0], 0
			s.commit()
		}
		s.flush()
		return
	}
	status, message, safe := classify(err)
	if !safe || status >= 500 {
		s.log.Error("sse: stream failed", "err", err, "status", status, "committed", s.committed)
	} else {
		s.log.Info("sse: stream ended with an HTTP error", "err", err, "status", status, "committed", s.committed)
	}
	if !s.committed {
		writeJSONError(s.w, status, message)
		return
	}
	frame := encoder.MessageEvent{Type: "error", Data: message}
	if s.cfg.autoID {
		frame.ID = strconv.FormatUint(s.nextID, 10)
		s.nextID++
	}
	if buf, err := s.enc.AppendEvent(s.buf, frame); err == nil {
		s.buf = buf
	}
	s.flush()
}

// writeJSONError answers like NestJS's exception filter.
func writeJSONError(w http.ResponseWriter, status int, message string) {
	body := struct {
		StatusCode int    `json:"statusCode"`
		Message    string `json:"message"`
		Error      string `json:"error,omitempty"`
	}{StatusCode: status, Message: message}
	if text := http.StatusText(status); !strings.EqualFold(text, message) {
		body.Error = text
	}
	b, _ := json.Marshal(body)
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// canFlush reports whether w, or a writer it wraps, can flush.
func canFlush(w http.ResponseWriter) bool {
	for {
		switch x := w.(type) {
		case http.Flusher, interface{ FlushError() error }:
			return true
		case interface{ Unwrap() http.ResponseWriter }:
			w = x.Unwrap()
		default:
			return false
		}
	}
}
