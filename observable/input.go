package observable

import (
	"context"
	"fmt"
	"time"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/internal/drain"
)

// drainTimeout bounds how long a combinator or operator keeps reading an
// input it has stopped forwarding (see internal/drain).
const drainTimeout = time.Second

// checkInputs returns an error naming the first nil input, if any.
func checkInputs(op string, obs []rxgo.Observable) error {
	for i, o := range obs {
		if o == nil {
			return fmt.Errorf("%w: %s input %d is a nil Observable", ErrInvalidArgument, op, i)
		}
	}
	return nil
}

// pipe observes o under a child of ctx and forwards its items to next. It
// reports whether o completed; it returns false after forwarding an error
// item or when ctx is done, having cancelled o and left it draining.
func pipe(ctx context.Context, o rxgo.Observable, next chan<- rxgo.Item) bool {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	in := o.Observe(rxgo.WithContext(ctx))
	for {
		select {
		case <-ctx.Done():
			go drain.Items(in, drainTimeout)
			return false
		case item, ok := <-in:
			if !ok {
				return true
			}
			if !item.SendContext(ctx, next) || item.Error() {
				go drain.Items(in, drainTimeout)
				return false
			}
		}
	}
}
