package observable

import (
	"context"
	"slices"

	"github.com/reactivex/rxgo/v2"
)

// Concat returns a cold Observable that emits all the items of the first of
// obs, then, once it has completed, subscribes to the next one, and so on. It
// is the context-honouring replacement for rxgo.Concat, which subscribes to
// its inputs when it is built and leaks them when the subscriber leaves.
//
// Each input is observed under a child of the Observe context. The first
// error item is forwarded and ends the stream, like RxJS concat. When the
// Observe context is done, the current input is cancelled and drained in the
// background until it closes (for at most a second); later inputs are never
// subscribed to.
//
// A nil input makes Concat emit an error wrapping ErrInvalidArgument.
func Concat(obs ...rxgo.Observable) rxgo.Observable {
	obs = slices.Clone(obs)
	return Guard(rxgo.Defer([]rxgo.Producer{func(ctx context.Context, next chan<- rxgo.Item) {
		if err := checkInputs("Concat", obs); err != nil {
			rxgo.Error(err).SendContext(ctx, next)
			return
		}
		for _, o := range obs {
			if !pipe(ctx, o, next) {
				return
			}
		}
	}}))
}

// StartWith returns a cold Observable that emits items, then the items of
// obs, like RxJS startWith. It is the context-honouring replacement for
// rxgo's StartWith operator, which subscribes when it is built.
//
// Each item is emitted as a value, as it is: unlike rxgo.Just, a slice is one
// item and an error is a value, not an error item. obs is subscribed to once
// the items have been received, under a child of the Observe context.
//
// A nil obs makes StartWith emit an error wrapping ErrInvalidArgument after
// the items.
func StartWith(obs rxgo.Observable, items ...any) rxgo.Observable {
	items = slices.Clone(items)
	return Guard(rxgo.Defer([]rxgo.Producer{func(ctx context.Context, next chan<- rxgo.Item) {
		for _, v := range items {
			if !rxgo.Of(v).SendContext(ctx, next) {
				return
			}
		}
		if err := checkInputs("StartWith", []rxgo.Observable{obs}); err != nil {
			rxgo.Error(err).SendContext(ctx, next)
			return
		}
		pipe(ctx, obs, next)
	}}))
}
