package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/internal/drain"
	"github.com/rxsse/rxsse/observable"
)

// Source is the function a route serves, called once per request: one
// that returns the request's stream, as a NestJS @Sse() method returns an
// Observable, or one that can fail before the stream starts, as a NestJS
// handler returning Promise<Observable> can.
type Source interface {
	func(*http.Request) rxgo.Observable | func(*http.Request) (rxgo.Observable, error)
}

// Handler serves the observable that source returns as a text/event-stream
// response. Per request it calls source once, subscribes once with a
// context that ends when the client goes away, the server shuts down (see
// CancelOnShutdown) or the stream ends, and writes every item until the
// observable completes, fails, or the client leaves. It panics if source is
// nil.
//
// Items of type encoder.MessageEvent (or a pointer to one) are written as
// they are; any other value becomes the Data of a MessageEvent. An error
// item ends the stream: as an HTTP error response if it is ready at once
// (rxgo.Thrown), as an "event: error" frame otherwise (see HTTPError).
//
// A source that must decide the status after some work (a lookup) returns
// an error as well, like a NestJS handler returning Promise<Observable>:
// it runs on the request's goroutine before anything is sent, and an error
// it returns is always the HTTP status of the response (through
// WithErrorFilter), however long it took and whatever the load.
//
//	transport.Handler(func(r *http.Request) (rxgo.Observable, error) {
//		room, err := rooms.Find(r.Context(), r.PathValue("room"))
//		if err != nil {
//			return nil, err // 404 if err is, or is filtered into, an HTTPError with 404
//		}
//		return room.Messages(), nil
//	})
//
// A HEAD request gets the headers a GET would get: the source is called
// (sources are cold, and a source's error is still the status) but never
// subscribed to. A ResponseWriter that cannot flush, because middleware
// wrapped it without implementing http.Flusher or an Unwrap method, gets a
// 500 and an error in the log that says so.
func Handler[F Source](source F, opts ...Option) http.Handler {
	var open func(*http.Request) (rxgo.Observable, error)
	switch f := any(source).(type) {
	case func(*http.Request) rxgo.Observable:
		if f != nil {
			open = func(r *http.Request) (rxgo.Observable, error) { return f(r), nil }
		}
	case func(*http.Request) (rxgo.Observable, error):
		open = f
	}
	if open == nil {
		panic("transport: Handler: nil source")
	}
	return newHandler(open, opts)
}

type handler struct {
	source   func(*http.Request) (rxgo.Observable, error)
	cfg      config
	encoders sync.Pool // of *streamEncoder
}

func newHandler(source func(*http.Request) (rxgo.Observable, error), opts []Option) *handler {
	h := &handler{source: source, cfg: newConfig(opts)}
	h.encoders.New = func() any { return &streamEncoder{Encoder: encoder.NewEncoder(nil)} }
	return h
}

// streamEncoder is what a stream borrows from its handler's pool: an
// encoder, and the scratch its auto ids are formatted into (see numbered),
// pooled with it so that a stream costs no more memory for it.
type streamEncoder struct {
	*encoder.Encoder
	digits [20]byte // 20 digits hold any uint64
}

// buffered is the Observe option that buffers every rxgo stage.
var buffered = rxgo.WithBufferedChannel(observeBuffer)

// bufPool holds write buffers: a stream takes one when it has something to
// write and gives it back after the write, so idle streams hold none.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// maxPooledBuffer is the largest buffer put back in bufPool; a larger one
// (a stream of huge events) is left to the garbage collector.
const maxPooledBuffer = 64 << 10

// maxBodyDiscard bounds the request body bytes a stream discards for a
// client while it runs (what the source left unread); a client that sends
// more has its stream ended.
const maxBodyDiscard = 256 << 10

var (
	errNilObservable = errors.New("transport: the source returned a nil Observable")
	errClientGone    = errors.New("transport: client gone")
	errBodyTooLarge  = errors.New("transport: request body exceeds what a stream discards")
)

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	enc := h.encoders.Get().(*streamEncoder)
	defer h.encoders.Put(enc)
	s := &stream{cfg: &h.cfg, w: w, r: r, rc: *http.NewResponseController(w), enc: enc, nextID: 1}
	s.serve(h.source)
}

// stream is the state of one response.
type stream struct {
	cfg    *config
	w      http.ResponseWriter
	r      *http.Request
	rc     http.ResponseController
	enc    *streamEncoder
	ctx    context.Context
	cancel context.CancelCauseFunc

	buf       []byte  // encoded bytes not yet written to the connection
	bufp      *[]byte // the pooled buffer buf came from
	shared    []byte  // a broker's frame pending as it is, buf then empty (see appendFrame)
	startID   string  // the pulled subscription's start position (Iterator.StartID)
	nextID    uint64
	autoLast  bool // the last id this stream wrote is the counter's
	committed bool // status and headers are written
	events    int  // events written or pending
	pending   int  // events in buf
	body      chan struct{}
	lastWrite time.Time // when the last write to the connection began
	// deadline is the write deadline armed on an HTTP/1.x connection,
	// which keeps it between writes (see write).
	deadline time.Time
	// park is set when the stream may park (see park.go).
	park *parking

	mu       sync.Mutex // guards the fields below, shared with shutdown
	writing  bool       // a write to the connection is under way
	shutting bool       // the server is shutting down
	exited   bool       // ServeHTTP is returning
}

func (s *stream) serve(source func(*http.Request) (rxgo.Observable, error)) {
	ctx, cancel := context.WithCancelCause(s.r.Context())
	s.ctx, s.cancel = ctx, cancel
	defer cancel(nil)
	defer s.end()
	defer func() {
		if v := recover(); v != nil {
			s.fail(recovered(v))
		}
	}()
	if sd := shutdownSignal(s.r); sd != nil {
		stop := context.AfterFunc(sd, s.shutdown)
		defer stop()
	}
	if !canFlush(s.w) {
		s.fail(errCannotFlush)
		return
	}
	obs, err := s.open(source)
	if err != nil {
		s.fail(err)
		return
	}
	if s.r.Method == http.MethodHead {
		// The headers a GET would get, and no subscription.
		s.commit()
		s.flush()
		return
	}
	s.guardBody()
	if s.logs(slog.LevelDebug) {
		s.log(slog.LevelDebug, "sse: stream opened", "last_event_id", clip(LastEventID(s.r)))
	}
	if src, ok := obs.(pulled); ok {
		it := src.Pull(s.parkContext(ctx)) // ctx, or one that outlives ServeHTTP if the stream may park
		defer s.closeUnlessParked(it)
		// Asked before the first Next: it is where the subscription started.
		s.startID = it.StartID()
		s.run(&pullFeed{it: it})
		return
	}
	f := &chanFeed{ch: obs.Observe(rxgo.WithContext(ctx), buffered)}
	defer func() {
		if !f.closed {
			// Some sources never close and others block on a send once
			// nobody reads: keep reading for a bounded time so upstream
			// goroutines can see the cancelled context and finish.
			cancel(nil)
			go drain.Items(f.ch, drainTimeout)
		}
	}()
	s.run(f)
}

// pulled is an Observable the transport pulls on the stream's goroutine
// instead of observing it: one made with observable.Pulled.
type pulled interface {
	Pull(ctx context.Context) observable.Iterator
}

// open calls the user's source and the interceptors, innermost first.
// Panics are recovered by serve.
func (s *stream) open(source func(*http.Request) (rxgo.Observable, error)) (rxgo.Observable, error) {
	obs, err := source(s.r)
	if err != nil {
		return nil, err
	}
	if obs == nil {
		return nil, errNilObservable
	}
	for i := len(s.cfg.interceptors) - 1; i >= 0; i-- {
		if obs = s.cfg.interceptors[i](s.r, obs); obs == nil {
			return nil, fmt.Errorf("transport: interceptor %d returned a nil Observable", i)
		}
	}
	return obs, nil
}

// recovered turns a recovered panic value into an *observable.PanicError,
// re-panicking with http.ErrAbortHandler, which asks net/http to abort the
// response.
func recovered(v any) error {
	if v == http.ErrAbortHandler {
		panic(v)
	}
	return &observable.PanicError{Value: v, Stack: debug.Stack()}
}

// guardBody keeps an unread request body from holding the response: on
// HTTP/1.x net/http reads what the handler left of the body before it
// sends the headers, and waits for ever for a client that declared a body
// and never sends it. Full duplex turns that off; the body is then
// discarded here (up to maxBodyDiscard) while the stream runs, which also
// notices the client hanging up, as net/http's own background read does
// once the body is consumed.
func (s *stream) guardBody() {
	r := s.r
	if r.ProtoMajor != 1 || r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
		return
	}
	if err := s.rc.EnableFullDuplex(); err != nil {
		return
	}
	done := make(chan struct{})
	s.body = done
	body, cancel := r.Body, s.cancel
	go func() {
		defer close(done)
		_, err := io.CopyN(io.Discard, body, maxBodyDiscard+1)
		switch {
		case errors.Is(err, io.EOF):
			// The whole body is read; net/http now watches the
			// connection.
		case err == nil:
			cancel(errBodyTooLarge)
		default:
			cancel(errClientGone)
		}
	}()
}

func (s *stream) run(f feed) {
	// Before the headers go out, look at the first item if it is ready at
	// once, so an error the source reports synchronously (rxgo.Thrown, an
	// iterator with its error ready) is still an HTTP status, and so is a
	// first event the encoder rejects.
	switch it, st := f.next(); st {
	case observable.Done:
		s.complete()
		return
	case observable.Value:
		if it.E != nil {
			s.fail(it.E)
			return
		}
		if !s.appendItem(it.V) {
			return
		}
	}
	s.commit()
	if !s.take(f) || !s.flush() {
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
		if !s.take(f) {
			return
		}
		if s.size() > 0 {
			if !s.flush() {
				return
			}
			continue
		}
		if s.park != nil && s.tryPark(f) {
			return // caught up and parked: the pool serves it now (park_linux.go)
		}
		switch f.wait(s.ctx.Done(), beat) {
		case waitDone:
			if s.logs(slog.LevelDebug) {
				s.log(slog.LevelDebug, "sse: stream stopped", "cause", context.Cause(s.ctx), "events", s.events)
			}
			return
		case waitBeat:
			// The timer is not reset on every write, which would cost a
			// timer operation per event: when it fires after a write, it
			// waits out the rest of the idle time instead.
			if idle := time.Since(s.lastWrite); idle < s.cfg.heartbeat {
				hb.Reset(s.cfg.heartbeat - idle)
				continue
			}
			s.unshare()
			s.grow()
			s.buf = append(s.buf, ": heartbeat\n\n"...)
			if !s.flush() {
				return
			}
			hb.Reset(s.cfg.heartbeat)
		}
	}
}

// take appends the items that are ready, so a burst goes out in few large
// writes; it stops at the first item that is not ready, so no event waits
// for a later one, or when a write's worth is buffered. It reports whether
// the stream goes on.
func (s *stream) take(f feed) bool {
	for s.size() < flushThreshold {
		it, st := f.next()
		switch st {
		case observable.Empty:
			return true
		case observable.Done:
			s.complete()
			return false
		}
		if it.E != nil {
			s.fail(it.E)
			return false
		}
		if !s.appendItem(it.V) {
			return false
		}
	}
	return true
}

// complete ends the response of a stream that completed.
func (s *stream) complete() {
	if !s.committed {
		s.commit()
	}
	s.flush()
	if s.logs(slog.LevelDebug) {
		s.log(slog.LevelDebug, "sse: stream completed", "events", s.events)
	}
}

// commentOnly reports whether ev carries nothing a client dispatches or
// keeps: no data, no type, no retry. Such a message takes no auto id.
func commentOnly(ev *encoder.MessageEvent) bool {
	return ev.Data == nil && ev.Type == "" && ev.Retry <= 0
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
	numbered := s.cfg.autoID && ev.ID == "" && !commentOnly(&ev)
	if frame := ev.Framed(); frame != nil && !numbered {
		return s.appendFrame(frame, ev.ID)
	}
	s.unshare()
	s.grow()
	start := len(s.buf)
	var (
		buf []byte
		err error
	)
	if numbered {
		buf, err = s.enc.AppendEvent(s.buf, s.numbered(ev))
	} else {
		buf, err = s.enc.AppendEvent(s.buf, ev)
	}
	if err != nil {
		s.fail(fmt.Errorf("encode event: %w", err))
		return false
	}
	if max := s.cfg.maxEventSize; max > 0 && len(buf)-start > max {
		s.buf = buf[:start]
		return s.oversized(ev.ID, len(buf)-start, max)
	}
	s.buf = buf
	if numbered {
		s.nextID++
		s.autoLast = true
	} else if ev.ID != "" {
		s.autoLast = false
	}
	s.events++
	s.pending++
	return true
}

// appendFrame adds a broker's frame of an event with this id (see
// encoder.Frame) to the pending bytes: as it is when nothing else is
// pending, so that writing it copies nothing per stream, and copied after
// what is pending otherwise. The size cap applies to it as to any event. It
// reports whether the stream goes on.
func (s *stream) appendFrame(frame []byte, id string) bool {
	if max := s.cfg.maxEventSize; max > 0 && len(frame) > max {
		s.unshare()
		s.grow()
		return s.oversized(id, len(frame), max)
	}
	if s.size() == 0 {
		s.shared = frame
	} else {
		s.unshare()
		s.grow()
		s.buf = append(s.buf, frame...)
	}
	if id != "" {
		s.autoLast = false
	}
	s.events++
	s.pending++
	return true
}

// oversized handles an event of size bytes over the cap max: an event with
// an id is skipped (see skip), one without ends the stream. It reports
// whether the stream goes on.
func (s *stream) oversized(id string, size, max int) bool {
	if id != "" {
		s.skip(id, size, max)
		return true
	}
	err := fmt.Errorf("transport: %w: an event of %d bytes, cap %d", encoder.ErrEventTooLarge, size, max)
	if !s.committed {
		s.fail(err)
		return false
	}
	s.flush()
	s.log(slog.LevelError, "sse: connection cut", "err", err)
	return false
}

// size returns how many bytes are pending.
func (s *stream) size() int { return len(s.buf) + len(s.shared) }

// unshare moves a pending shared frame into the write buffer, before
// something is appended after it.
func (s *stream) unshare() {
	if s.shared == nil {
		return
	}
	s.grow()
	s.buf = append(s.buf, s.shared...)
	s.shared = nil
}

// numbered returns ev with the next auto id, s.nextID in decimal, as its
// ID. The digits are formatted into s.enc.digits and the ID points at them
// rather than at a string of its own, so numbering an event allocates
// nothing: the ID is valid until the next call, and AppendEvent, which
// copies it into the write buffer and keeps nothing, is done with it by
// then.
func (s *stream) numbered(ev encoder.MessageEvent) encoder.MessageEvent {
	digits := strconv.AppendUint(s.enc.digits[:0], s.nextID, 10)
	ev.ID = unsafe.String(unsafe.SliceData(digits), len(digits))
	return ev
}

// skip appends, in place of an event with this id that is over the size
// cap, an id-only block with a comment saying why: the client records the
// id without dispatching anything, so its resume point moves past the
// event, and a retained event (a broker's) too large to send cannot turn
// every resume before it into an error. The comment leaves the id out:
// the block's id line carries it.
func (s *stream) skip(id string, size, max int) {
	note := encoder.MessageEvent{ID: id, Comment: fmt.Sprintf("event skipped: %d bytes, over the %d-byte cap", size, max)}
	// The id was valid for the event, so it is for this block.
	s.buf, _ = s.enc.AppendEvent(s.buf, note)
	s.autoLast = false
	s.log(slog.LevelWarn, "sse: event over the size cap skipped", "id", clip(id), "bytes", size, "cap", max)
}

// grow makes sure s.buf is a pooled buffer.
func (s *stream) grow() {
	if s.bufp == nil {
		s.bufp = bufPool.Get().(*[]byte)
		s.buf = (*s.bufp)[:0]
	}
}

// release gives the write buffer back to the pool and forgets a pending
// shared frame: what was pending is written or dropped.
func (s *stream) release() {
	s.shared = nil
	if s.bufp == nil {
		return
	}
	if cap(s.buf) <= maxPooledBuffer {
		*s.bufp = s.buf[:0]
		bufPool.Put(s.bufp)
	}
	s.buf, s.bufp = nil, nil
}

// commit writes the status and headers and starts the body.
func (s *stream) commit() {
	h := s.w.Header()
	values := make([]string, 0, 6) // one allocation for every header value
	set := func(k, v string) {
		// Middleware may have set a header under a non-canonical key;
		// ours must win whatever the spelling.
		for existing := range h {
			if existing != k && strings.EqualFold(existing, k) {
				delete(h, existing)
			}
		}
		values = append(values, v)
		h[k] = values[len(values)-1 : len(values) : len(values)]
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
	if s.cfg.observer != nil && s.r.Method != http.MethodHead {
		s.cfg.observer.StreamOpened(s.r)
	}
	// The body starts with a newline (as NestJS's does), the start block
	// and the retry hint, ahead of any event already encoded.
	s.unshare()
	old, oldp := s.buf, s.bufp
	s.bufp = nil
	s.grow()
	s.buf = append(s.buf, '\n')
	if s.startID != "" {
		s.appendStart()
	}
	if s.cfg.retry > 0 {
		s.buf = strconv.AppendInt(append(s.buf, "retry: "...), s.cfg.retry.Milliseconds(), 10)
		s.buf = append(s.buf, "\n\n"...)
	}
	s.buf = append(s.buf, old...)
	if oldp != nil {
		*oldp = old[:0]
		bufPool.Put(oldp)
	}
}

// appendStart appends the start block, the pulled subscription's start
// position as an id-only block ("id: <id>" and a blank line): a client
// records it as its last event id without dispatching anything, so one cut
// before its first event still resumes from where it started. It is part
// of the response's start, so it costs no write of its own, and it never
// turns an error ready at once into a 200: run commits only after it. An
// id the encoder refuses is left out and logged.
func (s *stream) appendStart() {
	buf, err := s.enc.AppendEvent(s.buf, encoder.MessageEvent{ID: s.startID})
	if err != nil {
		s.log(slog.LevelError, "sse: start id not written", "err", err, "start_id", clip(s.startID))
		return
	}
	s.buf = buf
}

// flush writes the pending buffer to the connection and flushes it. It
// reports whether the connection is healthy.
func (s *stream) flush() bool {
	if s.isParked() {
		return s.park.conn.flush()
	}
	if err := s.write(); err != nil {
		s.writeFailed(err)
		return false
	}
	return true
}

// write writes and flushes the pending buffer under a write deadline.
//
// On HTTP/2 the deadline is armed for each write and disarmed after it: a
// deadline that passes on an idle stream resets the stream. On HTTP/1.x a
// deadline that passes between writes does nothing, since every write, the
// end of the response included (see end), arms one first; so the deadline
// stays armed, and is pushed forward only once less than half the write
// timeout is left. That saves two timer operations per write, and a write
// that makes no progress is still cut within the write timeout (and after
// at least half of it).
func (s *stream) write() error {
	timeout := s.cfg.writeTimeout
	now := time.Now()
	s.lastWrite = now
	keep := s.r.ProtoMajor == 1
	s.mu.Lock()
	if s.shutting {
		s.mu.Unlock()
		return errShutdown
	}
	s.writing = true
	if timeout > 0 && (!keep || s.deadline.Sub(now) < timeout/2) {
		// Armed under the lock, so a shutdown sees either no write or
		// this deadline, which it may then bring forward.
		if err := s.rc.SetWriteDeadline(now.Add(timeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
			s.writing = false
			s.mu.Unlock()
			return err
		}
		if keep {
			s.deadline = now.Add(timeout)
		}
	}
	s.mu.Unlock()

	err := s.writeAndFlush()

	s.mu.Lock()
	s.writing = false
	if timeout > 0 && !keep && !s.shutting {
		_ = s.rc.SetWriteDeadline(time.Time{})
	}
	s.mu.Unlock()
	return err
}

func (s *stream) writeAndFlush() error {
	out := s.buf
	if s.shared != nil {
		out = s.shared // buf is empty: see shared
	}
	if len(out) > 0 {
		n, err := s.w.Write(out)
		events := s.pending
		s.pending = 0
		s.shared = nil
		s.release()
		if err != nil {
			return err
		}
		if s.cfg.observer != nil {
			s.cfg.observer.EventsWritten(s.r, events, n)
		}
	}
	return s.rc.Flush()
}

// writeFailed logs a failed write: at Info a client cut for stalling past
// the write timeout, at Debug an ordinary disconnect or a shutdown.
func (s *stream) writeFailed(err error) {
	if errors.Is(err, os.ErrDeadlineExceeded) && context.Cause(s.ctx) != errShutdown {
		s.log(slog.LevelInfo, "sse: client stalled past the write timeout, stream cut", "err", err, "events", s.events)
		return
	}
	if s.logs(slog.LevelDebug) {
		s.log(slog.LevelDebug, "sse: write failed, stream closed", "err", err, "events", s.events)
	}
}

// shutdown ends the stream for a server shutdown: it cancels the
// subscription and abandons a write blocked on a client that stopped
// reading.
func (s *stream) shutdown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.exited {
		return
	}
	s.shutting = true
	s.cancel(errShutdown)
	if s.writing {
		_ = s.rc.SetWriteDeadline(time.Now())
	}
}

// end runs as ServeHTTP returns.
func (s *stream) end() {
	if s.isParked() {
		return // the pool ends it
	}
	s.mu.Lock()
	s.exited = true
	shutting := s.shutting
	s.mu.Unlock()
	// net/http writes the end of the response after the handler returns:
	// bound that write too, briefly when the server is shutting down.
	if grace := s.cfg.writeTimeout; grace > 0 || shutting {
		if shutting {
			grace = finalWriteGrace
		}
		_ = s.rc.SetWriteDeadline(time.Now().Add(grace))
	}
	if s.body != nil {
		select {
		case <-s.body:
		default:
			_ = s.rc.SetReadDeadline(time.Now())
			<-s.body
		}
	}
	if s.committed && s.cfg.observer != nil && s.r.Method != http.MethodHead {
		s.cfg.observer.StreamClosed(s.r)
	}
	s.release()
}

// fail ends the stream with err: an HTTP error response when nothing was
// committed yet, an error frame otherwise.
func (s *stream) fail(err error) {
	var given error // the error the filter replaced, if it did
	if s.cfg.filter != nil && !reconnects(err) {
		if f := s.filter(err); f != nil {
			given, err = err, f
		}
	}
	if reconnects(err) {
		s.log(slog.LevelInfo, "sse: stream ended for the client to reconnect", "err", err, "events", s.events)
		if !s.committed {
			s.buf, s.shared, s.pending = s.buf[:0], nil, 0
			s.commit()
		}
		s.flush()
		return
	}
	status, message, body, safe := classify(err)
	if !safe || status >= 500 {
		s.logFailure(slog.LevelError, "sse: stream failed", err, given, status)
	} else if s.logs(slog.LevelInfo) {
		s.logFailure(slog.LevelInfo, "sse: stream ended with an HTTP error", err, given, status)
	}
	if !s.committed {
		if body == nil {
			body = nestBody(status, message)
		}
		s.buf, s.shared, s.pending = s.buf[:0], nil, 0
		writeJSON(s.w, s.r, status, body)
		return
	}
	if body == nil {
		body = message
	}
	s.errorFrame(body)
	s.flush()
}

// logFailure logs the error a stream ends with and, when the error filter
// replaced it, the error the filter was given.
func (s *stream) logFailure(level slog.Level, msg string, err, given error, status int) {
	args := []any{"err", err, "status", status, "committed", s.committed}
	if given != nil {
		args = append(args, "filtered", given)
	}
	s.log(level, msg, args...)
}

// reconnects reports whether err asks the client to reconnect (see
// Reconnecter).
func reconnects(err error) bool {
	var rc Reconnecter
	return errors.As(err, &rc) && rc.Reconnect()
}

// filter returns what the WithErrorFilter function answers for err, nil
// to keep err. A panic in the filter is recovered, logged with the error it
// was given, and becomes the *observable.PanicError that the client then
// sees as any unexpected error (a 500, or an error frame), as a panic in an
// interceptor does.
func (s *stream) filter(err error) (filtered error) {
	defer func() {
		if v := recover(); v != nil {
			filtered = recovered(v)
			s.log(slog.LevelError, "sse: error filter panicked", "panic", v, "err", err)
		}
	}()
	return s.cfg.filter(s.r, err)
}

// errorFrame appends the "event: error" frame. It takes the next auto id
// only when the last id the stream wrote is the counter's: after an event
// that carried its own id (a hub's), or before any id was written (the
// client's resume point is then the Last-Event-ID it sent), a counter id
// would move the client's resume point backwards, so the frame carries none.
func (s *stream) errorFrame(data any) {
	frame := encoder.MessageEvent{Type: "error", Data: data}
	s.unshare()
	s.grow()
	var (
		buf []byte
		err error
	)
	if s.cfg.autoID && s.autoLast {
		buf, err = s.enc.AppendEvent(s.buf, s.numbered(frame))
		s.nextID++
	} else {
		buf, err = s.enc.AppendEvent(s.buf, frame)
	}
	if err != nil {
		buf, _ = s.enc.AppendEvent(s.buf, encoder.MessageEvent{Type: "error", Data: internalMessage})
	}
	s.buf = buf
}

// maxLoggedInput caps what the transport logs of client input (path,
// Last-Event-ID), so a hostile client cannot flood the log.
const maxLoggedInput = 128

func clip(s string) string {
	if len(s) > maxLoggedInput {
		return s[:maxLoggedInput] + "...(" + strconv.Itoa(len(s)) + " bytes)"
	}
	return s
}

func (s *stream) logs(level slog.Level) bool {
	return s.cfg.logger.Enabled(s.r.Context(), level)
}

func (s *stream) log(level slog.Level, msg string, args ...any) {
	args = append(args, "method", s.r.Method, "path", clip(s.r.URL.Path))
	s.cfg.logger.Log(s.r.Context(), level, msg, args...)
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
