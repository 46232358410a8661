package observable_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/rxsse/rxsse/observable"
)

func TestRealClockTimersFollowPackageTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var clock observable.RealClock
		start := clock.Now()

		timer := clock.NewTimer(time.Second)
		if got := <-timer.C(); got.Sub(start) != time.Second {
			t.Fatalf("timer fired after %v, want 1s", got.Sub(start))
		}
		if timer.Stop() {
			t.Fatal("Stop of a fired timer = true")
		}
		if timer.Reset(time.Second) {
			t.Fatal("Reset of a fired timer = true")
		}
		if !timer.Stop() {
			t.Fatal("Stop of a reset timer = false")
		}

		ticker := clock.NewTicker(time.Second)
		defer ticker.Stop()
		<-ticker.C()
		ticker.Reset(2 * time.Second)
		if got := (<-ticker.C()).Sub(start); got != 4*time.Second {
			t.Fatalf("tick after Reset at %v, want 4s", got)
		}
	})
}
