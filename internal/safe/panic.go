// Package safe runs the user functions given to rxgo operators under
// recover, so that a panic in one becomes an error item that ends the stream
// instead of killing the process.
//
// rxgo calls the functions given to its operators on goroutines of its own,
// where nobody can recover a panic. Wrap returns an Observable whose every
// method that takes a function runs it under recover and whose results are
// wrapped again, so a whole chain started from a wrapped Observable is safe.
// Package observable wraps everything it returns; PanicError is re-exported
// there as observable.PanicError, the module's one panic error type.
package safe

import (
	"fmt"
	"runtime/debug"
)

// PanicError is a panic in user code that was recovered and turned into an
// error: in an operator function, a producer, or a source function the
// transport called.
type PanicError struct {
	// Value is the value the code panicked with.
	Value any
	// Stack is the stack trace of the panicking goroutine.
	Stack []byte
}

// Error returns a message naming the panic value. It leaves out the stack,
// which is for logs, not for clients.
func (e *PanicError) Error() string {
	return fmt.Sprintf("panic: %v", e.Value)
}

// Unwrap returns the panic value if it is an error (a runtime.Error, say),
// so that errors.Is and errors.As see through a PanicError.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// Recovered returns a PanicError for v, a value recover returned, with the
// stack of the calling goroutine. Call it in the deferred function that
// recovered, so the stack still shows where the panic happened.
func Recovered(v any) *PanicError {
	return &PanicError{Value: v, Stack: debug.Stack()}
}

// Call runs fn and returns the PanicError of its panic, or nil if it
// returned normally.
func Call(fn func()) (perr *PanicError) {
	defer func() {
		if v := recover(); v != nil {
			perr = Recovered(v)
		}
	}()
	fn()
	return nil
}
