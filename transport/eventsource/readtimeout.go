package eventsource

import (
	"context"
	"io"
	"sync/atomic"
	"time"

	"github.com/rxsse/rxsse/observable"
)

// watchdog cancels a connection that the server leaves silent for longer
// than the read timeout. Its timer runs only while the client waits for
// the server (armed around the request and each body read), so time the
// client spends delivering events does not count. A nil watchdog does
// nothing.
type watchdog struct {
	clock   observable.Clock
	d       time.Duration
	cancel  context.CancelFunc
	timer   observable.ClockTimer // made at the first arm
	fired   atomic.Bool
	done    chan struct{}
	stopped chan struct{}
}

func newWatchdog(clock observable.Clock, d time.Duration, cancel context.CancelFunc) *watchdog {
	return &watchdog{clock: clock, d: d, cancel: cancel, done: make(chan struct{}), stopped: make(chan struct{})}
}

// arm starts the timer from d.
func (w *watchdog) arm() {
	if w == nil {
		return
	}
	if w.timer != nil {
		w.timer.Reset(w.d)
		return
	}
	w.timer = w.clock.NewTimer(w.d)
	go w.watch()
}

func (w *watchdog) watch() {
	defer close(w.stopped)
	select {
	case <-w.timer.C():
		w.fired.Store(true)
		w.cancel()
	case <-w.done:
	}
}

// disarm stops the timer.
func (w *watchdog) disarm() {
	if w != nil && w.timer != nil {
		w.timer.Stop()
	}
}

// expired reports whether the timer fired and cancelled the connection.
func (w *watchdog) expired() bool { return w != nil && w.fired.Load() }

// stop ends the watch and waits for its goroutine.
func (w *watchdog) stop() {
	if w.timer == nil {
		return
	}
	w.timer.Stop()
	close(w.done)
	<-w.stopped
}

// watchedReader is a body whose reads are timed by a watchdog: any byte
// read, a comment line's included, proves the stream alive.
type watchedReader struct {
	r  io.Reader
	wd *watchdog
}

func (r *watchedReader) Read(p []byte) (int, error) {
	r.wd.arm()
	n, err := r.r.Read(p)
	r.wd.disarm()
	return n, err
}
