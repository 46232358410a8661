package observable

import (
	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/internal/safe"
)

// PanicError is a panic in user code that rxsse recovered and turned into an
// error: in a producer given to Defer, in a function given to an operator of
// a guarded chain, or in a route's source function (the transport reports
// it). Value is what was passed to panic, Stack the stack of the panicking
// goroutine; Error names the value and leaves the stack, which is for logs,
// out; Unwrap returns Value when it is an error, so errors.Is and errors.As
// see through it.
//
// It is the module's one panic error type.
type PanicError = safe.PanicError

// Guard returns obs with its operators guarded, as the Observables of this
// package (Interval, Timer, Defer, Merge, Concat, StartWith) are: every
// operator that takes a function (Map, Filter, Scan, Reduce, FlatMap,
// DoOnNext, ...) runs it under recover, so that a panic in it becomes a
// *PanicError error item that ends the stream instead of killing the
// process, and returns a guarded Observable (or Single, OptionalSingle) in
// turn:
//
//	observable.Guard(rxgo.FromChannel(ch)).Map(render).Filter(visible)
//
// Guard reaches only downstream: functions obs already runs (an rxgo.Defer
// producer, a Map applied before Guard) are as unsafe as they were. Write
// producers with Defer instead. Guard replaces SafeMap, SafeFunc2 and
// SafePredicate: obs.Map(SafeMap(f)) is now Guard(obs).Map(f). Guard of a
// guarded Observable returns it as it is; Guard(nil) is nil.
func Guard(obs rxgo.Observable) rxgo.Observable {
	return safe.Wrap(obs)
}
