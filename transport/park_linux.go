//go:build linux

package transport

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/observable"
)

// parkSupported: Linux has epoll.
const parkSupported = true

// Hang-up events: the client closed its side or the connection broke.
const hangUp = syscall.EPOLLRDHUP | syscall.EPOLLHUP | syscall.EPOLLERR

// terminator ends a chunked body.
const terminator = "0\r\n\r\n"

// tryPark hands a caught-up stream (nothing buffered, its feed Empty) to
// the pool. It reports whether it did; the stream's goroutine then returns
// at once and owns nothing of it any more. It is tried once per stream.
func (s *stream) tryPark(f feed) bool {
	p := s.park
	pf, ok := f.(*pullFeed)
	if !ok || s.size() > 0 || !s.committed || pf.has {
		return false
	}
	s.park = nil // one try: put back only once parked
	chunked, ok := s.chunkedResponse()
	hj, isHijacker := s.w.(http.Hijacker)
	if !ok || !isHijacker {
		return false
	}
	s.mu.Lock()
	if s.shutting || !p.unlink() {
		// Ending already: let the goroutine end it.
		s.mu.Unlock()
		return false
	}
	conn, rw, err := hj.Hijack()
	if err == nil && rw.Writer.Buffered() > 0 {
		err = rw.Writer.Flush()
	}
	fd := -1
	if err == nil {
		if fd, err = dupConn(conn); err != nil {
			// A connection that hides its socket (a listener's wrapper
			// without SyscallConn, as netutil.LimitListener's) would be
			// lost again on every stream: the route parks no more, from
			// before this one's client sees it end and reconnects.
			s.cfg.parkRefused.Store(true)
		}
	}
	if conn != nil {
		_ = conn.Close() // the dup, if any, holds the socket; Go's poller lets go of it
	}
	if err != nil {
		s.mu.Unlock()
		if conn == nil {
			// Not taken over: serve it on its goroutine, still cancelled
			// with the request.
			ctx := s.ctx
			p.unlink = context.AfterFunc(ctx, func() { p.cancel(context.Cause(ctx)) })
			s.log(slog.LevelWarn, "sse: stream not parked", "err", err)
			return false
		}
		// Taken over and lost: the client reconnects.
		s.log(slog.LevelError, "sse: stream lost while parking", "err", err, "parking_off", s.cfg.parkRefused.Load())
		p.cancel(err)
		return true // the goroutine ends it; nothing more to write
	}
	c := &parkedConn{s: s, f: pf, fd: fd, chunked: chunked}
	p.conn = c
	s.park = p
	s.ctx, s.cancel = p.ctx, p.cancel
	s.w, s.rc, s.enc = nil, http.ResponseController{}, nil // net/http's, and dead now
	s.mu.Unlock()

	c.mu.Lock()
	defer c.mu.Unlock()
	// Nothing but the pool and a shutdown cancels the stream's context now
	// (the goroutine's shutdown watch, until it stops, cancels it for the
	// same shutdown): only the shutdown is watched.
	if sd := shutdownSignal(s.r); sd != nil {
		c.unwatchShutdown = context.AfterFunc(sd, func() {
			p.cancel(errShutdown)
			c.cancelled()
		})
		if c.under = parkedUnder(sd); c.under != nil {
			c.under.add()
		}
	}
	if hb := s.cfg.heartbeat; hb > 0 {
		c.beat = time.AfterFunc(max(hb-time.Since(s.lastWrite), 0), c.heartbeat)
	}
	if err := parkPool.add(c); err != nil {
		s.log(slog.LevelError, "sse: stream lost while parking", "err", err)
		c.broken = true
		c.end()
		return true
	}
	if o, ok := s.cfg.observer.(parkObserver); ok {
		o.StreamParked(s.r)
	}
	if s.logs(slog.LevelDebug) {
		s.log(slog.LevelDebug, "sse: stream parked", "events", s.events)
	}
	if parkTestHook != nil {
		parkTestHook(s.r)
	}
	c.pump()
	return true
}

// parkObserver is the optional method of an Observer told of parking.
type parkObserver interface {
	StreamParked(r *http.Request)
}

// chunkedResponse reports whether net/http framed the response as chunked
// (HTTP/1.1 and no length: what a stream's response is) rather than
// delimited by the connection's close (HTTP/1.0). It is false, with ok
// false, for a response whose framing cannot be told: the stream then
// does not park.
func (s *stream) chunkedResponse() (chunked, ok bool) {
	h := s.w.Header()
	if h.Get("Content-Length") != "" || h.Get("Transfer-Encoding") != "" {
		return false, false
	}
	return s.r.ProtoAtLeast(1, 1), true
}

// dupConn returns a duplicate of conn's socket, close-on-exec and, as the
// original, non-blocking.
func dupConn(conn any) (int, error) {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return -1, fmt.Errorf("transport: park: %T has no socket", conn)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	var derr error
	err = raw.Control(func(u uintptr) {
		r, _, e := syscall.Syscall(syscall.SYS_FCNTL, u, syscall.F_DUPFD_CLOEXEC, 0)
		if e != 0 {
			derr = e
			return
		}
		fd = int(r)
	})
	if err == nil {
		err = derr
	}
	if err != nil {
		return -1, fmt.Errorf("transport: park: dup: %w", err)
	}
	return fd, nil
}

// parkedConn is a parked stream: its socket, its stream's state (ids,
// counts, the subscription) and what a slow client has not read yet.
// Everything is done under mu, by whichever goroutine of the pool has
// something for it: a waiter (events), the epoll loop (the socket drains,
// the client hangs up), its timers, its context's end.
type parkedConn struct {
	s       *stream
	f       *pullFeed
	fd      int
	gen     int32 // tells a reused fd number's events apart in the pool
	chunked bool

	mu              sync.Mutex
	out             []byte // accepted for the client, not written yet: the socket is full
	outEvents       int    // events in out, for the observer
	outBytes        int    // their bytes, as net/http would count them
	closing         bool   // the response has ended: close once out is written
	broken          bool   // a write failed: nothing more is written
	ended           bool
	beat            *time.Timer
	stalled         *time.Timer     // the write timeout, armed while out is not empty
	stalling        bool            // stalled is armed
	unwatchShutdown func() bool     // or nil
	ready           <-chan struct{} // what it waits on in the pool; guarded by parkPool.mu
	under           *parkedSet      // its server's parked streams, or nil
}

func (p *parkedSet) add() {
	p.mu.Lock()
	p.n++
	p.mu.Unlock()
}

func (p *parkedSet) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n--; p.n == 0 && p.zero != nil {
		close(p.zero)
		p.zero = nil
	}
}

// parkEncoders lend parked streams an encoder while they encode: the
// handler's was given back when its goroutine returned.
var parkEncoders = sync.Pool{New: func() any { return &streamEncoder{Encoder: encoder.NewEncoder(nil)} }}

// pump writes what the subscription has ready until it is caught up, then
// waits in the pool for more; it stops while the socket is full. The
// caller holds c.mu.
func (c *parkedConn) pump() {
	if ready := c.drain(); ready != nil {
		parkPool.watch(c, ready)
	}
}

// drain writes what the subscription has ready until it is caught up, and
// returns the channel to wait on then; nil when it stopped for another
// reason (the socket is full, the stream ended). The caller holds c.mu.
func (c *parkedConn) drain() <-chan struct{} {
	s, f := c.s, c.f
	s.enc = parkEncoders.Get().(*streamEncoder)
	defer func() { parkEncoders.Put(s.enc); s.enc = nil }()
	for !c.ended && len(c.out) == 0 && !c.closing {
		if !s.take(f) {
			c.finish()
			return nil
		}
		if s.size() > 0 {
			if !s.flush() {
				c.end()
				return nil
			}
			continue
		}
		ready := f.it.Ready()
		// An item that arrived between the Next that found nothing and
		// Ready may not signal the channel just taken: look once more.
		if it, st := f.it.Next(); st != observable.Empty {
			f.held, f.state, f.has = it, st, true
			continue
		}
		return ready
	}
	return nil
}

// flush writes the stream's buffer as one chunk, without blocking: what the
// socket does not take is kept in out, and written when it drains. It
// reports whether the connection is healthy. The caller holds c.mu.
func (c *parkedConn) flush() bool {
	s := c.s
	body := s.buf
	if s.shared != nil {
		body = s.shared // a broker's frame, written where it is (buf is empty)
	}
	if len(body) == 0 || c.broken {
		s.release()
		return !c.broken
	}
	s.lastWrite = time.Now()
	events, n := s.pending, len(body)
	s.pending = 0
	var head [20]byte
	h := head[:0]
	var tail string
	if c.chunked {
		h = append(strconv.AppendUint(h, uint64(n), 16), '\r', '\n')
		tail = "\r\n"
	}
	if len(c.out) > 0 || c.closing {
		c.out = append(append(append(c.out, h...), body...), tail...)
		c.outEvents += events
		c.outBytes += n
		s.release()
		return true
	}
	w, err := writev(c.fd, h, body, tail)
	if err != nil {
		s.release()
		c.broken = true
		s.writeFailed(err)
		return false
	}
	if w == len(h)+n+len(tail) {
		s.release()
		if s.cfg.observer != nil {
			s.cfg.observer.EventsWritten(s.r, events, n)
		}
		return true
	}
	// The socket is full: keep the rest, in memory of its own (the
	// stream's buffer goes back to the pool), until it drains.
	rest := make([]byte, 0, len(h)+n+len(tail)-w)
	for _, b := range [][]byte{h, body, []byte(tail)} {
		if w >= len(b) {
			w -= len(b)
			continue
		}
		rest = append(rest, b[w:]...)
		w = 0
	}
	c.out, c.outEvents, c.outBytes = rest, events, n
	s.release()
	return c.waitWritable()
}

// finish ends the response of a stream that ended on its own (completed,
// failed with a frame, cut): the end of the chunked body, then the close,
// once out is written. The caller holds c.mu.
func (c *parkedConn) finish() {
	if c.broken || c.ended {
		c.end()
		return
	}
	if c.chunked {
		c.out = append(c.out, terminator...)
	}
	c.closing = true
	if len(c.out) == 0 {
		c.end()
		return
	}
	c.writable()
}

// writable writes what is left of out; the epoll loop calls it when the
// socket has room. The caller holds c.mu.
func (c *parkedConn) writable() {
	if c.ended || len(c.out) == 0 {
		return
	}
	w, err := write(c.fd, c.out)
	if err != nil {
		c.broken = true
		c.s.writeFailed(err)
		c.end()
		return
	}
	c.out = c.out[w:]
	if len(c.out) > 0 {
		if !c.waitWritable() {
			c.end()
		}
		return
	}
	c.out = nil
	if c.stalling {
		c.stalled.Stop()
		c.stalling = false
	}
	if c.outBytes > 0 && c.s.cfg.observer != nil {
		c.s.cfg.observer.EventsWritten(c.s.r, c.outEvents, c.outBytes)
	}
	c.outEvents, c.outBytes = 0, 0
	if c.closing {
		c.end()
		return
	}
	if err := parkPool.interest(c, false); err != nil {
		c.broken = true
		c.end()
		return
	}
	c.pump()
}

// waitWritable asks the pool to call writable when the socket has room,
// and arms the write timeout unless it runs: what was accepted must be
// written within it from when the socket first refused it, however slowly
// it then progresses, as a write on the goroutine path must finish before
// its deadline. The caller holds c.mu.
func (c *parkedConn) waitWritable() bool {
	if err := parkPool.interest(c, true); err != nil {
		c.broken = true
		c.s.writeFailed(err)
		return false
	}
	if wt := c.s.cfg.writeTimeout; wt > 0 && !c.stalling {
		c.stalling = true
		if c.stalled == nil {
			c.stalled = time.AfterFunc(wt, c.timedOut)
		} else {
			c.stalled.Reset(wt)
		}
	}
	return true
}

// timedOut cuts a client whose socket did not take a write within the
// write timeout, as a blocked write is cut on a goroutine.
func (c *parkedConn) timedOut() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended || len(c.out) == 0 {
		return
	}
	c.broken = true
	c.s.writeFailed(fmt.Errorf("transport: parked write: %w", os.ErrDeadlineExceeded))
	c.end()
}

// heartbeat writes a heartbeat when the stream has been idle for the
// heartbeat interval, as the goroutine's timer does.
func (c *parkedConn) heartbeat() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return
	}
	hb := c.s.cfg.heartbeat
	if idle := time.Since(c.s.lastWrite); idle < hb || len(c.out) > 0 {
		// Written to lately, or still writing (a write under way holds
		// the goroutine's timer too): wait out the rest.
		c.beat.Reset(max(hb-idle, hb/2))
		return
	}
	s := c.s
	s.unshare()
	s.grow()
	s.buf = append(s.buf, ": heartbeat\n\n"...)
	if !c.flush() {
		c.end()
		return
	}
	c.beat.Reset(hb)
}

// hangUp ends the stream of a client that left.
func (c *parkedConn) hangUp() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.broken = true
	c.s.cancel(errClientGone)
	c.end()
}

// cancelled ends the stream for a shutdown: the end of the body is written
// if the socket takes it at once, as the goroutine path gives it a short
// grace.
func (c *parkedConn) cancelled() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return
	}
	s := c.s
	if errors.Is(context.Cause(s.ctx), errShutdown) && s.logs(slog.LevelDebug) {
		s.log(slog.LevelDebug, "sse: stream stopped", "cause", context.Cause(s.ctx), "events", s.events)
	}
	if c.chunked && !c.broken && len(c.out) == 0 && !c.closing {
		_, _ = write(c.fd, []byte(terminator))
	}
	c.end()
}

// end releases everything the stream holds: its socket, its subscription,
// its place in the pool, its timers. The caller holds c.mu.
func (c *parkedConn) end() {
	if c.ended {
		return
	}
	c.ended = true
	s := c.s
	if c.unwatchShutdown != nil {
		c.unwatchShutdown()
	}
	s.cancel(nil)
	if c.beat != nil {
		c.beat.Stop()
	}
	if c.stalled != nil {
		c.stalled.Stop()
	}
	parkPool.remove(c)
	c.f.it.Close()
	c.f.held = rxgo.Item{}
	s.release()
	c.out = nil
	if s.cfg.observer != nil {
		s.cfg.observer.StreamClosed(s.r)
	}
	if c.under != nil {
		c.under.done() // last: Serve returns once its parked streams are closed and told
	}
	if s.logs(slog.LevelDebug) {
		s.log(slog.LevelDebug, "sse: parked stream closed", "cause", context.Cause(s.ctx), "events", s.events)
	}
}

// pool is the process's parked streams: one epoll instance that watches
// their sockets for hang-ups (and for room, while a write is pending), and
// one waiter goroutine per distinct Ready channel they wait on. Fan-out
// subscriptions of one topic set share their Ready channel, so thousands
// of parked streams of a broadcast route are woken by one goroutine, and
// an idle pool has a goroutine for the epoll loop and one per channel. Its
// goroutines end when it has no stream.
type pool struct {
	mu      sync.Mutex
	epfd    int    // -1 until first used
	wake    [2]int // a pipe: a byte wakes the epoll loop
	conns   map[int32]*parkedConn
	gen     int32
	waits   map[<-chan struct{}]*waiter
	n       int  // parked streams
	looping bool // the epoll loop runs
}

// waiter is the streams that wait on one channel.
type waiter struct {
	conns map[*parkedConn]struct{}
	stop  chan struct{} // closed when no stream waits any more
}

var parkPool = pool{epfd: -1}

// spread is how many streams one goroutine writes to on a wake-up before
// the rest are shared among more, up to GOMAXPROCS.
const spread = 256

func (p *pool) add(c *parkedConn) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.epfd < 0 {
		epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if err != nil {
			return fmt.Errorf("transport: park: epoll: %w", err)
		}
		if err := syscall.Pipe2(p.wake[:], syscall.O_NONBLOCK|syscall.O_CLOEXEC); err != nil {
			syscall.Close(epfd)
			return fmt.Errorf("transport: park: pipe: %w", err)
		}
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(p.wake[0])}
		if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, p.wake[0], &ev); err != nil {
			syscall.Close(epfd)
			syscall.Close(p.wake[0])
			syscall.Close(p.wake[1])
			return fmt.Errorf("transport: park: epoll: %w", err)
		}
		p.epfd = epfd
		p.conns = make(map[int32]*parkedConn)
		p.waits = make(map[<-chan struct{}]*waiter)
	}
	p.gen++
	if p.gen <= 0 {
		p.gen = 1
	}
	c.gen = p.gen
	ev := syscall.EpollEvent{Events: hangUp, Fd: int32(c.fd), Pad: c.gen}
	if err := syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, c.fd, &ev); err != nil {
		syscall.Close(c.fd)
		c.fd = -1
		return fmt.Errorf("transport: park: epoll: %w", err)
	}
	p.conns[int32(c.fd)] = c
	p.n++
	if !p.looping {
		p.looping = true
		go p.loop()
	}
	return nil
}

// interest turns the wait for room on the socket on or off. The caller
// holds c.mu.
func (p *pool) interest(c *parkedConn, out bool) error {
	events := uint32(hangUp)
	if out {
		events |= syscall.EPOLLOUT
	}
	ev := syscall.EpollEvent{Events: events, Fd: int32(c.fd), Pad: c.gen}
	return syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_MOD, c.fd, &ev)
}

// remove takes c out of the pool and closes its socket. The caller holds
// c.mu.
func (p *pool) remove(c *parkedConn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.unwatch(c)
	if c.fd < 0 {
		return
	}
	_ = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_DEL, c.fd, nil)
	if p.conns[int32(c.fd)] == c {
		delete(p.conns, int32(c.fd))
	}
	_ = syscall.Close(c.fd)
	c.fd = -1
	p.n--
	if p.n == 0 && p.looping {
		_, _ = syscall.Write(p.wake[1], []byte{0})
	}
}

// watch makes c wait on ready. The caller holds c.mu.
func (p *pool) watch(c *parkedConn, ready <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.unwatch(c)
	w := p.waits[ready]
	if w == nil {
		w = &waiter{conns: make(map[*parkedConn]struct{}), stop: make(chan struct{})}
		p.waits[ready] = w
		go p.await(ready, w)
	}
	w.conns[c] = struct{}{}
	c.ready = ready
}

// unwatch stops c waiting. The caller holds p.mu.
func (p *pool) unwatch(c *parkedConn) {
	if c.ready == nil {
		return
	}
	if w := p.waits[c.ready]; w != nil {
		delete(w.conns, c)
		if len(w.conns) == 0 {
			close(w.stop)
			delete(p.waits, c.ready)
		}
	}
	c.ready = nil
}

// await waits for ready, then pumps every stream that waited on it, on
// several goroutines when they are many.
func (p *pool) await(ready <-chan struct{}, w *waiter) {
	select {
	case <-ready:
	case <-w.stop:
		return
	}
	p.mu.Lock()
	if p.waits[ready] != w {
		p.mu.Unlock()
		return
	}
	delete(p.waits, ready)
	woken := make([]*parkedConn, 0, len(w.conns))
	for c := range w.conns {
		if c.ready == ready {
			c.ready = nil
			woken = append(woken, c)
		}
	}
	p.mu.Unlock()
	pumpAll(woken)
}

// pumpAll pumps conns, sharing them among up to GOMAXPROCS goroutines.
// They take small batches from a shared index rather than a fixed share
// each, so that when the system deschedules one of them the others do its
// part, as the runtime's work stealing does for a goroutine per stream.
func pumpAll(conns []*parkedConn) {
	workers := min(runtime.GOMAXPROCS(0), (len(conns)+spread-1)/spread)
	if workers <= 1 {
		pumpPart(conns, nil)
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers - 1 {
		wg.Go(func() { pumpPart(conns, &next) })
	}
	pumpPart(conns, &next)
	wg.Wait()
}

// batch is how many streams a goroutine of pumpAll takes at a time.
const batch = 16

// pumpPart pumps conns (those it takes from next, if not nil), then makes
// those that caught up wait, all at once: one lock of the pool for the
// lot.
func pumpPart(conns []*parkedConn, next *atomic.Int64) {
	waits := make([]waiting, 0, min(len(conns), 2*spread))
	done := 0
	for i := 0; i < len(conns); {
		part := conns[i:]
		if next != nil {
			i = int(next.Add(batch)) - batch
			if i >= len(conns) {
				break
			}
			part = conns[i:min(i+batch, len(conns))]
		} else {
			i = len(conns)
		}
		for _, c := range part {
			if done++; done%spread == 0 {
				// A long wake-up runs on few goroutines: let the others
				// (new connections, their headers) have their turn, as
				// they would among one goroutine per stream.
				runtime.Gosched()
			}
			c.mu.Lock()
			if ready := c.drain(); ready != nil {
				waits = append(waits, waiting{c, ready})
			}
			c.mu.Unlock()
		}
	}
	parkPool.watchAll(waits)
}

// waiting is a stream and the channel it waits on.
type waiting struct {
	c     *parkedConn
	ready <-chan struct{}
}

// watchAll makes each stream wait on its channel. A stream may have ended
// or been pumped again since it returned its channel: an ended one is
// left out, and a stale channel costs at most one more pump.
func (p *pool) watchAll(waits []waiting) {
	if len(waits) == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var last <-chan struct{}
	var w *waiter
	for _, x := range waits {
		c := x.c
		if c.fd < 0 {
			continue
		}
		p.unwatch(c)
		if x.ready != last || w == nil || p.waits[x.ready] != w {
			last = x.ready
			if w = p.waits[x.ready]; w == nil {
				w = &waiter{conns: make(map[*parkedConn]struct{}, len(waits)), stop: make(chan struct{})}
				p.waits[x.ready] = w
				go p.await(x.ready, w)
			}
		}
		w.conns[c] = struct{}{}
		c.ready = x.ready
	}
}

// loop is the epoll loop: it ends streams whose client hung up and writes
// to those whose socket has room again, until the pool is empty.
func (p *pool) loop() {
	events := make([]syscall.EpollEvent, 128)
	type ready struct {
		c      *parkedConn
		events uint32
	}
	var todo []ready
	for {
		n, err := syscall.EpollWait(p.epfd, events, -1)
		if err != nil && !errors.Is(err, syscall.EINTR) {
			panic(fmt.Sprintf("transport: park: epoll_wait: %v", err))
		}
		todo = todo[:0]
		p.mu.Lock()
		for _, ev := range events[:max(n, 0)] {
			if int(ev.Fd) == p.wake[0] && ev.Pad == 0 {
				var b [64]byte
				for {
					if k, _ := syscall.Read(p.wake[0], b[:]); k <= 0 {
						break
					}
				}
				continue
			}
			if c := p.conns[ev.Fd]; c != nil && c.gen == ev.Pad {
				todo = append(todo, ready{c, ev.Events})
			}
		}
		if p.n == 0 {
			p.looping = false
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
		for _, r := range todo {
			switch {
			case r.events&hangUp != 0:
				r.c.hangUp()
			case r.events&syscall.EPOLLOUT != 0:
				r.c.mu.Lock()
				r.c.writable()
				r.c.mu.Unlock()
			}
		}
	}
}

// write writes b to the non-blocking socket fd: how much it took, 0 and no
// error when it is full.
func write(fd int, b []byte) (int, error) {
	for {
		n, err := syscall.Write(fd, b)
		switch {
		case err == nil:
			return n, nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EAGAIN):
			return 0, nil
		}
		return 0, err
	}
}

// writev writes head, body and tail in one system call, as write does.
// body is written where it is: a shared frame is not copied.
func writev(fd int, head, body []byte, tail string) (int, error) {
	var iov [3]syscall.Iovec
	k := 0
	for _, b := range [][]byte{head, body, unsafe.Slice(unsafe.StringData(tail), len(tail))} {
		if len(b) > 0 {
			iov[k].Base = &b[0]
			iov[k].SetLen(len(b))
			k++
		}
	}
	for {
		n, _, e := syscall.Syscall(syscall.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(&iov[0])), uintptr(k))
		switch e {
		case 0:
			return int(n), nil
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return 0, nil
		}
		return 0, e
	}
}

// parkedStreams returns how many streams the pool holds.
func parkedStreams() int {
	parkPool.mu.Lock()
	defer parkPool.mu.Unlock()
	return parkPool.n
}
