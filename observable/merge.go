package observable

import (
	"context"
	"reflect"
	"slices"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/internal/drain"
)

// Merge returns a cold Observable that emits the items of all obs as they
// arrive, and completes when all of them have completed. It is the
// context-honouring replacement for rxgo.Merge, which subscribes to its inputs
// when it is built and leaks them when the subscriber leaves.
//
// Merge subscribes to every input when it is observed, passing each a child of
// the Observe context. The first error item is forwarded and ends the stream,
// like RxJS merge; the other inputs are then cancelled. When the Observe
// context is done, all inputs are cancelled and drained in the background
// until they close (for at most a second each), so their goroutines finish.
//
// A nil input makes Merge emit an error wrapping ErrInvalidArgument.
func Merge(obs ...rxgo.Observable) rxgo.Observable {
	obs = slices.Clone(obs)
	return Guard(rxgo.Defer([]rxgo.Producer{func(ctx context.Context, next chan<- rxgo.Item) {
		if err := checkInputs("Merge", obs); err != nil {
			rxgo.Error(err).SendContext(ctx, next)
			return
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel() // After an error, stops the inputs still running.

		// One goroutine selects over all the inputs, rather than a forwarder
		// goroutine per input: idle subscriptions are what an SSE server holds
		// most of, and this saves a goroutine stack per input for a few
		// allocations per item.
		ins := make([]<-chan rxgo.Item, len(obs))
		cases := make([]reflect.SelectCase, len(obs)+1)
		cases[0] = reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ctx.Done())}
		for i, o := range obs {
			ins[i] = o.Observe(rxgo.WithContext(ctx))
			cases[i+1] = reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ins[i])}
		}
		defer func() {
			for _, in := range ins {
				if in != nil {
					go drain.Items(in, drainTimeout)
				}
			}
		}()
		for open := len(ins); open > 0; {
			chosen, v, ok := reflect.Select(cases)
			switch {
			case chosen == 0:
				return
			case !ok:
				ins[chosen-1] = nil
				cases[chosen].Chan = reflect.Value{} // Never chosen again.
				open--
			default:
				item := v.Interface().(rxgo.Item)
				if !item.SendContext(ctx, next) || item.Error() {
					return
				}
			}
		}
	}}))
}
