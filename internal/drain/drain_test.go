package drain_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/internal/drain"
)

func TestItemsReturnsWhenTheChannelCloses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ch := make(chan rxgo.Item)
		go func() {
			ch <- rxgo.Of(1) // unblocked only by the drain
			close(ch)
		}()
		start := time.Now()
		drain.Items(ch, time.Hour)
		if time.Since(start) != 0 {
			t.Errorf("drain waited %v for a channel that closed at once", time.Since(start))
		}
	})
}

func TestItemsGivesUpOnAChannelThatNeverCloses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		drain.Items(make(chan rxgo.Item), 5*time.Second)
		if got := time.Since(start); got != 5*time.Second {
			t.Errorf("drain returned after %v, want 5s", got)
		}
	})
}
