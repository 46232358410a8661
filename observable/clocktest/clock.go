// Package clocktest provides a fake observable.Clock whose time moves only
// when a test says so, making clock-driven streams deterministic and instant:
//
//	clock := clocktest.New(time.Unix(0, 0))
//	items := observable.Interval(time.Second, observable.WithClock(clock)).
//		Observe(rxgo.WithContext(ctx))
//	clock.BlockUntil(1)         // the subscription has started its ticker
//	clock.Advance(time.Second)  // fire it
//	first := <-items            // rxgo.Of(0)
//
// It drives only code that takes an observable.Clock. Time inside rxgo's own
// operators is real time; use testing/synctest for those.
package clocktest

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/rxsse/rxsse/observable"
)

var _ observable.Clock = (*Clock)(nil)

// Clock is a fake observable.Clock. Its time starts where New puts it and
// moves only with Advance; timers and tickers fire during Advance, in time
// order. Its zero value is ready to use and starts at the zero time.
//
// Like those of package time (Go 1.23 and later), its timer and ticker
// channels hold at most one pending value, and Stop or Reset discards a value
// nobody has received yet. A ticker whose receiver has not taken the previous
// tick drops the next one, as time.Ticker does: to see every tick, advance one
// period at a time and receive between steps.
//
// A Clock is safe for concurrent use. It starts no goroutines.
type Clock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []*waiter     // active timers and tickers, in creation order
	changed chan struct{} // closed and replaced whenever waiters changes
}

// New returns a fake clock whose time is start.
func New(start time.Time) *Clock {
	return &Clock{now: start}
}

// waiter is a timer (period 0) or a ticker registered with a Clock.
type waiter struct {
	clock    *Clock
	ch       chan time.Time
	deadline time.Time
	period   time.Duration
	active   bool // in clock.waiters
}

// Now returns the fake current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// NewTimer returns a timer that fires when the clock has been advanced by d.
// A non-positive d fires at once.
func (c *Clock) NewTimer(d time.Duration) observable.ClockTimer {
	w := &waiter{clock: c, ch: make(chan time.Time, 1)}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.schedule(w, d)
	return timer{w}
}

// NewTicker returns a ticker that fires every time the clock crosses a
// multiple of d from now. It panics if d is not positive, as time.NewTicker
// does.
func (c *Clock) NewTicker(d time.Duration) observable.ClockTicker {
	if d <= 0 {
		panic("non-positive interval for NewTicker")
	}
	w := &waiter{clock: c, ch: make(chan time.Time, 1), period: d}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.schedule(w, d)
	return ticker{w}
}

// Advance moves the clock forward by d, firing every timer and ticker that
// falls due on the way, earliest first (the one created or reset first breaks
// a tie). A ticker fires once for each period crossed, subject to dropping as
// described on Clock. A negative d does nothing.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d <= 0 {
		return
	}
	target := c.now.Add(d)
	for {
		w := c.next(target)
		if w == nil {
			break
		}
		c.now = w.deadline
		select {
		case w.ch <- c.now:
		default: // The receiver has not taken the previous value: drop.
		}
		if w.period > 0 {
			w.deadline = w.deadline.Add(w.period)
		} else {
			c.remove(w)
		}
	}
	c.now = target
}

// BlockUntil waits until exactly n timers and tickers are active: created or
// reset, and neither fired (timers) nor stopped. Use it to know that a
// subscription has started its timer before calling Advance, or, with 0, that
// a cancelled one has stopped it. It never sleeps: it wakes on changes.
func (c *Clock) BlockUntil(n int) {
	_ = c.BlockUntilContext(context.Background(), n)
}

// BlockUntilContext is BlockUntil that gives up when ctx is done, returning
// ctx.Err().
func (c *Clock) BlockUntilContext(ctx context.Context, n int) error {
	for {
		c.mu.Lock()
		if len(c.waiters) == n {
			c.mu.Unlock()
			return nil
		}
		changed := c.changedLocked()
		c.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// schedule makes w due d from now, or fires it at once if it is a timer and d
// is not positive. It reports whether w was active before.
func (c *Clock) schedule(w *waiter, d time.Duration) bool {
	active := c.remove(w)
	// Discard a value nobody received, as time.Timer.Reset does since Go 1.23.
	select {
	case <-w.ch:
	default:
	}
	if d <= 0 {
		w.ch <- c.now
		return active
	}
	w.deadline = c.now.Add(d)
	w.active = true
	c.waiters = append(c.waiters, w)
	c.notifyLocked()
	return active
}

// stop deactivates w and discards a value nobody received. It reports
// whether w was active.
func (c *Clock) stop(w *waiter) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-w.ch:
	default:
	}
	return c.remove(w)
}

// next returns the active waiter due earliest, at or before target, or nil.
func (c *Clock) next(target time.Time) *waiter {
	var first *waiter
	for _, w := range c.waiters {
		if w.deadline.After(target) {
			continue
		}
		if first == nil || w.deadline.Before(first.deadline) {
			first = w
		}
	}
	return first
}

// remove deactivates w and reports whether it was active.
func (c *Clock) remove(w *waiter) bool {
	if !w.active {
		return false
	}
	w.active = false
	c.waiters = slices.DeleteFunc(c.waiters, func(x *waiter) bool { return x == w })
	c.notifyLocked()
	return true
}

func (c *Clock) changedLocked() chan struct{} {
	if c.changed == nil {
		c.changed = make(chan struct{})
	}
	return c.changed
}

func (c *Clock) notifyLocked() {
	if c.changed != nil {
		close(c.changed)
		c.changed = nil
	}
}

type timer struct{ w *waiter }

func (t timer) C() <-chan time.Time { return t.w.ch }
func (t timer) Stop() bool          { return t.w.clock.stop(t.w) }

func (t timer) Reset(d time.Duration) bool {
	c := t.w.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.schedule(t.w, d)
}

type ticker struct{ w *waiter }

func (t ticker) C() <-chan time.Time { return t.w.ch }
func (t ticker) Stop()               { t.w.clock.stop(t.w) }

func (t ticker) Reset(d time.Duration) {
	if d <= 0 {
		panic("non-positive interval for Ticker.Reset")
	}
	c := t.w.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	t.w.period = d
	c.schedule(t.w, d)
}
