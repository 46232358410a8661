package eventsource

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

// minReadLimit is the least number of bytes a connection may carry between
// two events, whatever WithMaxEventSize says: a stream of heartbeats alone
// runs for weeks before it reaches it.
const minReadLimit = 1 << 20

// readLimit returns how many bytes a connection may carry between two
// events: twice the event size bound (an event's block with its line ends
// takes less than that, unless it is mostly one-byte lines), at least
// minReadLimit. Zero, when events are unbounded, means no limit.
func (c *config) readLimit() int64 {
	if c.maxEventSize <= 0 {
		return 0
	}
	return max(2*int64(c.maxEventSize), minReadLimit)
}

// watchdog cancels a connection on which the server ends no line for
// longer than the read timeout. Its timer runs only while the client waits
// for the server (around the request and each body read), so time the
// client spends delivering events does not count; the response's headers
// and every read that brings a line end (CR or LF) give the server the
// whole timeout again. A nil watchdog does nothing.
type watchdog struct {
	d      time.Duration
	cancel context.CancelFunc
	left   time.Duration // what is left of d since the last line end
	since  time.Time     // when the current wait began
	timer  *time.Timer   // made at the first arm
	fired  atomic.Bool
}

func newWatchdog(d time.Duration, cancel context.CancelFunc) *watchdog {
	return &watchdog{d: d, cancel: cancel, left: d}
}

// arm starts the timer for one wait on the server. If no time is left, it
// cancels the connection instead and reports false.
func (w *watchdog) arm() bool {
	if w == nil {
		return true
	}
	if w.left <= 0 {
		w.expire()
		return false
	}
	w.since = time.Now()
	if w.timer != nil {
		w.timer.Reset(w.left)
		return true
	}
	w.timer = time.AfterFunc(w.left, w.expire)
	return true
}

// expire cancels the connection, recording first that the watchdog did it.
func (w *watchdog) expire() {
	w.fired.Store(true)
	w.cancel()
}

// disarm stops the timer after a wait. If the wait brought a line end
// (lineEnded), the server has the whole timeout again; otherwise the wait
// is taken from what is left.
func (w *watchdog) disarm(lineEnded bool) {
	if w == nil || w.timer == nil {
		return
	}
	w.timer.Stop()
	if lineEnded {
		w.left = w.d
	} else {
		w.left -= time.Since(w.since)
	}
}

// expired reports whether the watchdog cancelled the connection.
func (w *watchdog) expired() bool { return w != nil && w.fired.Load() }

// stop stops the timer for good.
func (w *watchdog) stop() {
	if w.timer != nil {
		w.timer.Stop()
	}
}

// body is a response body as the client reads it: the watchdog, if any,
// times each read, and the bytes read since the last event are bounded,
// so that a server can hold the client neither with bytes that never end
// a line nor with a flood of lines that dispatch nothing (blank lines,
// comments, fields without data: a compression bomb of line breaks).
type body struct {
	r     io.Reader
	wd    *watchdog
	limit int64 // bytes allowed between two events; 0: no limit
	n     int64 // bytes read since the last event
}

func (b *body) Read(p []byte) (int, error) {
	if b.limit > 0 && b.n > b.limit {
		return 0, fmt.Errorf("%w (%d bytes)", ErrReadLimit, b.limit)
	}
	if !b.wd.arm() {
		return 0, ErrReadTimeout
	}
	n, err := b.r.Read(p)
	if b.wd != nil {
		b.wd.disarm(bytes.IndexByte(p[:n], '\n') >= 0 || bytes.IndexByte(p[:n], '\r') >= 0)
	}
	b.n += int64(n)
	return n, err
}

// dispatched records that an event was dispatched: the byte bound starts
// again.
func (b *body) dispatched() { b.n = 0 }
