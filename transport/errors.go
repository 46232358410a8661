package transport

import (
	"errors"
	"fmt"
	"net/http"
)

// HTTPError is an error that carries an HTTP status and a message that is
// safe to show to clients. Before the stream has started it becomes the
// response status with a JSON body; after, its message is sent in the error
// frame. Errors of any other type show clients only "Internal server error".
type HTTPError struct {
	// Status is the HTTP status code.
	Status int
	// Message is shown to the client.
	Message string
	// Err is an optional cause, logged but never shown.
	Err error
}

// NewHTTPError returns an HTTPError with the given status and message; an
// empty message uses the status text.
func NewHTTPError(status int, message string) *HTTPError {
	if message == "" {
		message = http.StatusText(status)
	}
	return &HTTPError{Status: status, Message: message}
}

// Error implements error.
func (e *HTTPError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%d %s: %v", e.Status, e.Message, e.Err)
	}
	return fmt.Sprintf("%d %s", e.Status, e.Message)
}

// StatusCode returns the HTTP status.
func (e *HTTPError) StatusCode() int { return e.Status }

// Unwrap returns the cause.
func (e *HTTPError) Unwrap() error { return e.Err }

// PanicError is a panic in user code (the source function, or a marshaller
// called while encoding) that the transport recovered.
type PanicError struct {
	// Value is what was passed to panic.
	Value any
	// Stack is the goroutine's stack at the panic.
	Stack []byte
}

// Error implements error.
func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// ErrCannotFlush reports a ResponseWriter that cannot flush, usually one
// wrapped by middleware that implements neither http.Flusher nor Unwrap.
var ErrCannotFlush = errors.New("transport: the ResponseWriter cannot flush; middleware must implement http.Flusher or Unwrap")

// ErrTooMuchPending reports a stream that needed to hold more bytes for its
// connection than WithMaxPending allows.
var ErrTooMuchPending = errors.New("transport: pending bytes exceed the cap")

const internalMessage = "Internal server error"

// classify returns the status and client-visible message for err: an
// HTTPError shows its own message, any other error with a StatusCode method
// shows only the status text, and everything else is a 500.
func classify(err error) (status int, message string, safe bool) {
	var he *HTTPError
	if errors.As(err, &he) {
		msg := he.Message
		if msg == "" {
			msg = http.StatusText(he.Status)
		}
		return validStatus(he.Status), msg, true
	}
	var sc interface{ StatusCode() int }
	if errors.As(err, &sc) {
		s := validStatus(sc.StatusCode())
		return s, http.StatusText(s), false
	}
	return http.StatusInternalServerError, internalMessage, false
}

func validStatus(s int) int {
	if s < 400 || s > 599 {
		return http.StatusInternalServerError
	}
	return s
}
