package clocktest_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/rxsse/rxsse/observable/clocktest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var start = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// pending returns the value waiting on ch, if any, without blocking.
func pending(ch <-chan time.Time) (time.Time, bool) {
	select {
	case v := <-ch:
		return v, true
	default:
		return time.Time{}, false
	}
}

func TestNowMovesOnlyWithAdvance(t *testing.T) {
	c := clocktest.New(start)
	if got := c.Now(); !got.Equal(start) {
		t.Fatalf("Now() = %v, want %v", got, start)
	}
	c.Advance(90 * time.Second)
	c.Advance(-time.Hour)
	if got, want := c.Now(), start.Add(90*time.Second); !got.Equal(want) {
		t.Fatalf("Now() = %v, want %v", got, want)
	}
}

func TestTheZeroClockIsReadyToUse(t *testing.T) {
	var c clocktest.Clock
	timer := c.NewTimer(time.Second)
	c.BlockUntil(1)
	c.Advance(time.Second)
	if got, ok := pending(timer.C()); !ok || !got.Equal(time.Time{}.Add(time.Second)) {
		t.Fatalf("timer delivered %v, %v; want the zero time plus 1s", got, ok)
	}
}

func TestAdvanceFiresEveryDueTimerWithItsDeadline(t *testing.T) {
	c := clocktest.New(start)
	delays := []time.Duration{3 * time.Second, time.Second, 2 * time.Second, 5 * time.Second}
	chans := make([]<-chan time.Time, len(delays))
	for i, d := range delays {
		chans[i] = c.NewTimer(d).C()
	}
	c.Advance(4 * time.Second)
	for i, d := range delays {
		got, fired := pending(chans[i])
		if wantFired := d <= 4*time.Second; fired != wantFired {
			t.Fatalf("timer of %v fired = %v, want %v", d, fired, wantFired)
		}
		if fired && !got.Equal(start.Add(d)) {
			t.Errorf("timer of %v delivered %v, want %v", d, got, start.Add(d))
		}
	}
}

func TestATimerFiresWhenItsDelayHasFullyElapsed(t *testing.T) {
	c := clocktest.New(start)
	timer := c.NewTimer(time.Second)
	c.Advance(999 * time.Millisecond)
	if _, ok := pending(timer.C()); ok {
		t.Fatal("timer fired 1ms early")
	}
	c.Advance(time.Millisecond)
	if _, ok := pending(timer.C()); !ok {
		t.Fatal("timer did not fire on time")
	}
}

func TestANonPositiveTimerFiresAtOnce(t *testing.T) {
	for _, d := range []time.Duration{0, -time.Second} {
		c := clocktest.New(start)
		if got, ok := pending(c.NewTimer(d).C()); !ok || !got.Equal(start) {
			t.Errorf("NewTimer(%v) delivered %v, %v; want %v at once", d, got, ok, start)
		}
	}
}

func TestATickerFiresOncePerPeriodWhenAdvancedStepByStep(t *testing.T) {
	c := clocktest.New(start)
	ticker := c.NewTicker(time.Second)
	for i := 1; i <= 3; i++ {
		c.Advance(time.Second)
		got, ok := pending(ticker.C())
		if want := start.Add(time.Duration(i) * time.Second); !ok || !got.Equal(want) {
			t.Fatalf("tick %d = %v, %v; want %v", i, got, ok, want)
		}
	}
}

func TestATickerDropsTicksItsReceiverHasNoRoomFor(t *testing.T) {
	c := clocktest.New(start)
	ticker := c.NewTicker(time.Second)
	c.Advance(3 * time.Second)
	if got, ok := pending(ticker.C()); !ok || !got.Equal(start.Add(time.Second)) {
		t.Fatalf("first tick = %v, %v; want %v", got, ok, start.Add(time.Second))
	}
	if got, ok := pending(ticker.C()); ok {
		t.Fatalf("second tick %v was not dropped", got)
	}
	c.Advance(time.Second)
	if got, ok := pending(ticker.C()); !ok || !got.Equal(start.Add(4*time.Second)) {
		t.Fatalf("tick after catching up = %v, %v; want %v", got, ok, start.Add(4*time.Second))
	}
}

func TestNewTickerPanicsOnANonPositivePeriodLikeTimeDoes(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("NewTicker(0) did not panic")
		}
	}()
	clocktest.New(start).NewTicker(0)
}

func TestTimerStopReportsWhetherItStoppedTheTimer(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(*clocktest.Clock)
		want    bool
	}{
		{"an active timer is stopped", func(*clocktest.Clock) {}, true},
		{"a fired timer is not", func(c *clocktest.Clock) { c.Advance(time.Second) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := clocktest.New(start)
			timer := c.NewTimer(time.Second)
			tt.prepare(c)
			if got := timer.Stop(); got != tt.want {
				t.Fatalf("Stop() = %v, want %v", got, tt.want)
			}
			if got := timer.Stop(); got {
				t.Fatal("second Stop() = true, want false")
			}
			c.Advance(time.Hour)
			if v, ok := pending(timer.C()); ok {
				t.Fatalf("stopped timer delivered %v", v)
			}
		})
	}
}

func TestTimerResetRearmsAndDiscardsAStaleValue(t *testing.T) {
	c := clocktest.New(start)
	timer := c.NewTimer(time.Second)
	c.Advance(time.Second) // fired, nobody received
	if active := timer.Reset(2 * time.Second); active {
		t.Fatal("Reset of a fired timer reported it active")
	}
	if v, ok := pending(timer.C()); ok {
		t.Fatalf("Reset left the stale value %v", v)
	}
	c.Advance(time.Second)
	if active := timer.Reset(2 * time.Second); !active {
		t.Fatal("Reset of a pending timer reported it inactive")
	}
	c.Advance(time.Second)
	if _, ok := pending(timer.C()); ok {
		t.Fatal("Reset did not push the deadline back")
	}
	c.Advance(time.Second)
	if got, ok := pending(timer.C()); !ok || !got.Equal(start.Add(4*time.Second)) {
		t.Fatalf("reset timer delivered %v, %v; want %v", got, ok, start.Add(4*time.Second))
	}
}

func TestTickerStopEndsTicksAndDiscardsAPendingOne(t *testing.T) {
	c := clocktest.New(start)
	ticker := c.NewTicker(time.Second)
	c.Advance(time.Second)
	ticker.Stop()
	c.Advance(time.Hour)
	if v, ok := pending(ticker.C()); ok {
		t.Fatalf("stopped ticker delivered %v", v)
	}
	c.BlockUntil(0)
}

func TestTickerResetChangesThePeriodAndRestartsAStoppedTicker(t *testing.T) {
	c := clocktest.New(start)
	ticker := c.NewTicker(time.Second)
	ticker.Stop()
	ticker.Reset(3 * time.Second)
	c.Advance(2 * time.Second)
	if v, ok := pending(ticker.C()); ok {
		t.Fatalf("tick %v before the new period", v)
	}
	c.Advance(time.Second)
	if got, ok := pending(ticker.C()); !ok || !got.Equal(start.Add(3*time.Second)) {
		t.Fatalf("first tick = %v, %v; want %v", got, ok, start.Add(3*time.Second))
	}
	c.Advance(3 * time.Second)
	if got, ok := pending(ticker.C()); !ok || !got.Equal(start.Add(6*time.Second)) {
		t.Fatalf("second tick = %v, %v; want %v", got, ok, start.Add(6*time.Second))
	}
}

func TestBlockUntilWaitsForTheNumberOfActiveTimers(t *testing.T) {
	c := clocktest.New(start)
	go func() {
		timer := c.NewTimer(time.Second)
		ticker := c.NewTicker(time.Second)
		<-timer.C()
		ticker.Stop()
	}()
	c.BlockUntil(2)
	c.Advance(time.Second) // fires the timer: one left, then the goroutine stops the ticker
	c.BlockUntil(0)
}

func TestBlockUntilContextGivesUpWhenTheContextEnds(t *testing.T) {
	c := clocktest.New(start)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.BlockUntilContext(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("BlockUntilContext = %v, want context.Canceled", err)
	}
	if err := c.BlockUntilContext(ctx, 0); err != nil {
		t.Fatalf("BlockUntilContext with the count already reached = %v, want nil", err)
	}
}

func TestTheClockIsSafeForConcurrentUse(t *testing.T) {
	c := clocktest.New(start)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				timer := c.NewTimer(time.Millisecond)
				ticker := c.NewTicker(time.Millisecond)
				timer.Reset(2 * time.Millisecond)
				_ = c.Now()
				timer.Stop()
				ticker.Stop()
			}
		})
	}
	wg.Go(func() {
		for range 1000 {
			c.Advance(time.Millisecond)
		}
	})
	wg.Wait()
	c.BlockUntil(0)
}
