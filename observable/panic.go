package observable

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/reactivex/rxgo/v2"
)

// PanicError is the error a function wrapped by SafeMap, SafeFunc2 or
// SafePredicate reports in place of a panic.
type PanicError struct {
	// Value is the value the function panicked with.
	Value any
	// Stack is the stack trace of the panicking goroutine.
	Stack []byte
}

// Error returns a message naming the panic value. It leaves out the stack,
// which is for logs, not for clients.
func (e *PanicError) Error() string {
	return fmt.Sprintf("observable: panic: %v", e.Value)
}

// Unwrap returns the panic value if it is an error (a runtime.Error, say),
// so that errors.Is and errors.As see through a PanicError.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

func newPanicError(v any) *PanicError {
	return &PanicError{Value: v, Stack: debug.Stack()}
}

// SafeMap returns fn wrapped so that a panic in it becomes a returned
// *PanicError. rxgo runs the functions given to its operators on goroutines
// of its own, where a panic kills the process; Map turns a returned error into
// an error item instead:
//
//	obs.Map(observable.SafeMap(render))
//
// Any rxgo operator taking an rxgo.Func (Map, Distinct, ToMap, ...) can take
// the wrapped function.
func SafeMap(fn rxgo.Func) rxgo.Func {
	return func(ctx context.Context, v any) (out any, err error) {
		defer func() {
			if r := recover(); r != nil {
				out, err = nil, newPanicError(r)
			}
		}()
		return fn(ctx, v)
	}
}

// SafeFunc2 is SafeMap for the two-argument functions of Scan and Reduce.
func SafeFunc2(fn rxgo.Func2) rxgo.Func2 {
	return func(ctx context.Context, acc, v any) (out any, err error) {
		defer func() {
			if r := recover(); r != nil {
				out, err = nil, newPanicError(r)
			}
		}()
		return fn(ctx, acc, v)
	}
}

// SafePredicate returns fn wrapped so that a panic in it is recovered,
// handed to onPanic (when not nil) and counted as false, dropping the item.
//
// An rxgo.Predicate cannot return an error, so a panic in Filter cannot
// become an error item. Where a panic must end the stream with an error, do
// the risky work in a SafeMap function ahead of the Filter, so that the
// predicate itself cannot panic.
func SafePredicate(fn rxgo.Predicate, onPanic func(*PanicError)) rxgo.Predicate {
	return func(v any) (ok bool) {
		defer func() {
			if r := recover(); r != nil {
				ok = false
				if onPanic != nil {
					onPanic(newPanicError(r))
				}
			}
		}()
		return fn(v)
	}
}
