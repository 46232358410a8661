package observable

import "time"

// Clock is the source of time for the observables of this package. RealClock
// is the default; clocktest.Clock is a fake one that tests advance by hand.
//
// A Clock only drives the sources built here (Interval, Timer). Time inside
// rxgo's own operators (Debounce, BufferWithTime, ...) is always real time:
// test those with testing/synctest.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// NewTimer returns a timer that sends the time on its channel once, after
	// at least d. A non-positive d fires at once.
	NewTimer(d time.Duration) ClockTimer
	// NewTicker returns a ticker that sends the time on its channel every d.
	// It panics if d is not positive, as time.NewTicker does.
	NewTicker(d time.Duration) ClockTicker
}

// ClockTimer is a single-shot timer made by a Clock. Its methods mean what
// those of time.Timer mean.
type ClockTimer interface {
	// C returns the channel on which the time is delivered.
	C() <-chan time.Time
	// Stop prevents the timer from firing. It reports whether the call stopped
	// the timer, false if it had already fired or been stopped.
	Stop() bool
	// Reset makes the timer fire after d. It reports whether the timer had
	// been active.
	Reset(d time.Duration) bool
}

// ClockTicker is a periodic ticker made by a Clock. Its methods mean what
// those of time.Ticker mean.
type ClockTicker interface {
	// C returns the channel on which the ticks are delivered.
	C() <-chan time.Time
	// Stop turns the ticker off. No more ticks are sent after it returns.
	Stop()
	// Reset stops the ticker and resets its period to d; the next tick
	// arrives d from now.
	Reset(d time.Duration)
}

// RealClock is the Clock of package time. Its zero value is ready to use.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// NewTimer returns a ClockTimer backed by time.NewTimer.
func (RealClock) NewTimer(d time.Duration) ClockTimer { return realTimer{time.NewTimer(d)} }

// NewTicker returns a ClockTicker backed by time.NewTicker.
func (RealClock) NewTicker(d time.Duration) ClockTicker { return realTicker{time.NewTicker(d)} }

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time        { return r.t.C }
func (r realTimer) Stop() bool                 { return r.t.Stop() }
func (r realTimer) Reset(d time.Duration) bool { return r.t.Reset(d) }

type realTicker struct{ t *time.Ticker }

func (r realTicker) C() <-chan time.Time   { return r.t.C }
func (r realTicker) Stop()                 { r.t.Stop() }
func (r realTicker) Reset(d time.Duration) { r.t.Reset(d) }
