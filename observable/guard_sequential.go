package observable

import (
	"context"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/internal/drain"
)

// step handles one value of a sequential operator: it returns the item to
// emit, if emit, and whether to go on after it.
type step func(v any) (out rxgo.Item, emit, more bool)

// sequential is an operator on one goroutine: it observes src under the
// Observe context and hands each value to a step that newStep makes for the
// subscription. An error item of src is forwarded and ends the stream, as in
// rxgo's operators. When it stops early it cancels src and drains it.
//
// The predicate operators use it when called without rxgo options: one stage,
// where evaluating the predicate ahead in a Map would take two.
func sequential(src rxgo.Observable, newStep func() step) rxgo.Observable {
	return rxgo.Defer([]rxgo.Producer{func(ctx context.Context, next chan<- rxgo.Item) {
		sub, cancel := context.WithCancel(ctx)
		defer cancel()
		in := src.Observe(rxgo.WithContext(sub))
		handle := newStep()
		for {
			select {
			case <-ctx.Done():
				go drain.Items(in, drainTimeout)
				return
			case item, ok := <-in:
				if !ok {
					return
				}
				out, emit, more := item, true, !item.Error()
				if more {
					out, emit, more = handle(item.V)
				}
				if emit && !out.SendContext(ctx, next) || !more {
					cancel()
					go drain.Items(in, drainTimeout)
					return
				}
			}
		}
	}})
}

// filterStep emits the values p accepts.
func filterStep(p rxgo.Predicate) func() step {
	eval := guardPredicate(p)
	return func() step {
		return func(v any) (rxgo.Item, bool, bool) {
			ok, err := eval(v)
			if err != nil {
				return rxgo.Error(err), true, false
			}
			return rxgo.Of(v), ok, true
		}
	}
}

// skipWhileStep drops values while p accepts them, then emits every value
// without calling p again.
func skipWhileStep(p rxgo.Predicate) func() step {
	eval := guardPredicate(p)
	return func() step {
		skipping := true
		return func(v any) (rxgo.Item, bool, bool) {
			if skipping {
				ok, err := eval(v)
				if err != nil {
					return rxgo.Error(err), true, false
				}
				if ok {
					return rxgo.Item{}, false, true
				}
				skipping = false
			}
			return rxgo.Of(v), true, true
		}
	}
}

// takeWhileStep emits values while p accepts them and completes at the
// first it rejects.
func takeWhileStep(p rxgo.Predicate) func() step {
	eval := guardPredicate(p)
	return func() step {
		return func(v any) (rxgo.Item, bool, bool) {
			ok, err := eval(v)
			if err != nil {
				return rxgo.Error(err), true, false
			}
			return rxgo.Of(v), ok, ok
		}
	}
}

// takeUntilStep emits each value, then completes if p accepts it. A value
// on which p panics is not emitted.
func takeUntilStep(p rxgo.Predicate) func() step {
	eval := guardPredicate(p)
	return func() step {
		return func(v any) (rxgo.Item, bool, bool) {
			ok, err := eval(v)
			if err != nil {
				return rxgo.Error(err), true, false
			}
			return rxgo.Of(v), true, !ok
		}
	}
}
