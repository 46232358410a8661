package observable

import (
	"context"
	"fmt"

	"github.com/reactivex/rxgo/v2"
)

// Range returns a cold Observable that emits count ints from start (start,
// start+1, ...) and completes, like RxJS range and rxgo.Range.
//
// It is synchronous, as RxJS's is: the transport pulls it on the goroutine
// that writes the response, and Map and Filter chained on it run there too,
// item after item, with no goroutine and no channel hand-off per item, so a
// burst costs only the work of each item. A panic in such a Map or Filter
// becomes a *PanicError error item. Any other operator, or Observe, runs
// through rxgo as usual, guarded like every source of this package. Each
// subscription checks its context between items.
//
// A negative count emits one error item wrapping ErrInvalidArgument.
func Range(start, count int) rxgo.Observable {
	if count < 0 {
		return Guard(rxgo.Thrown(fmt.Errorf("%w: Range count %d is negative", ErrInvalidArgument, count)))
	}
	return Pulled(func(ctx context.Context) Iterator {
		return &rangeIterator{ctx: ctx, next: start, left: count}
	})
}

// ready is a channel that is always ready, for iterators whose Next never
// has to wait.
var ready <-chan struct{} = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// rangeIterator is one subscription of a Range: always ready until done.
type rangeIterator struct {
	ctx  context.Context
	next int
	left int
}

// Ready returns an always ready channel: a Range has its next item ready.
func (r *rangeIterator) Ready() <-chan struct{} { return ready }

// StartID returns "": a Range has no event ids.
func (r *rangeIterator) StartID() string { return "" }

func (r *rangeIterator) Next() (rxgo.Item, State) {
	if r.left <= 0 || r.ctx.Err() != nil {
		r.left = 0
		return rxgo.Item{}, Done
	}
	v := r.next
	r.next++
	r.left--
	return rxgo.Of(v), Value
}

func (r *rangeIterator) Close() { r.left = 0 }
