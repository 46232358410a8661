package observable

import (
	"context"
	"fmt"
	"time"

	"github.com/reactivex/rxgo/v2"
)

// Interval returns a cold Observable that emits 0, 1, 2, ... (as int), one
// every period, like RxJS interval. Each subscription starts its own ticker
// when it subscribes and stops it when the context given to Observe (with
// rxgo.WithContext) is done; it never completes on its own.
//
// A non-positive period emits one error item wrapping ErrInvalidArgument and
// completes.
func Interval(period time.Duration) rxgo.Observable {
	return Guard(rxgo.Defer([]rxgo.Producer{func(ctx context.Context, next chan<- rxgo.Item) {
		if period <= 0 {
			rxgo.Error(fmt.Errorf("%w: Interval period %v is not positive", ErrInvalidArgument, period)).SendContext(ctx, next)
			return
		}
		ticker := time.NewTicker(period)
		defer ticker.Stop()
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
			}
			if !rxgo.Of(i).SendContext(ctx, next) {
				return
			}
		}
	}}))
}

// Timer returns a cold Observable that emits 0 once, delay after it is
// subscribed to, and completes, like RxJS timer. A non-positive delay emits
// at once. Unlike rxgo.Timer it emits an item, and it honours the context
// given to Observe.
func Timer(delay time.Duration) rxgo.Observable {
	return Guard(rxgo.Defer([]rxgo.Producer{func(ctx context.Context, next chan<- rxgo.Item) {
		timer := time.NewTimer(delay)
		defer timer.Stop()
		select {
		case <-ctx.Done():
		case <-timer.C:
			rxgo.Of(0).SendContext(ctx, next)
		}
	}}))
}
