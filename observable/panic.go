package observable

import (
	"fmt"
	"runtime/debug"
)

// PanicError is a panic in user code that rxsse recovered and turned into an
// error: in a producer given to Defer, in a function given to an operator of
// a guarded chain or fused into a pulled one (see Pulled), or in a route's
// source function (the transport reports it).
//
// It is the module's one panic error type.
type PanicError struct {
	// Value is the value the code panicked with.
	Value any
	// Stack is the stack trace of the panicking goroutine, for logs.
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

// recovered returns a PanicError for v, a value recover returned, with the
// stack of the calling goroutine. Call it in the deferred function that
// recovered, so the stack still shows where the panic happened.
func recovered(v any) *PanicError {
	return &PanicError{Value: v, Stack: debug.Stack()}
}

// catch runs fn and returns the PanicError of its panic, or nil if it
// returned normally.
func catch(fn func()) (perr *PanicError) {
	defer func() {
		if v := recover(); v != nil {
			perr = recovered(v)
		}
	}()
	fn()
	return nil
}
