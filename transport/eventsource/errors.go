package eventsource

import (
	"errors"
	"net/http"
	"strconv"
)

// Sentinel errors that callers branch on with errors.Is.
var (
	// ErrNoContent reports a 204 No Content response: the server's way of
	// telling an EventSource to stop for good. The error item that carries
	// it is a *StatusError with Status 204.
	ErrNoContent = errors.New("eventsource: the server answered 204 No Content")
	// ErrBodyNotReplayable reports a request given to ObserveRequest with
	// a body but no GetBody: its body could not be sent again on a
	// reconnect.
	ErrBodyNotReplayable = errors.New("eventsource: the request has a body but no GetBody to send it again on reconnects")
	// ErrMaxAttempts reports that WithMaxAttempts consecutive connection
	// attempts failed. The error item wraps it together with the last
	// attempt's error.
	ErrMaxAttempts = errors.New("eventsource: too many failed connection attempts")
	// ErrReadTimeout is what WithOnError reports when the server ended no
	// line, not even a comment's, for the WithReadTimeout duration; the
	// client drops the connection and reconnects.
	ErrReadTimeout = errors.New("eventsource: no data within the read timeout")
	// ErrReadLimit is what WithOnError reports when the server sent more
	// bytes than the read limit without an event: blank lines, comments or
	// blocks without data, such as a compression bomb of line breaks. The
	// limit is twice WithMaxEventSize, at least 1 MiB (8 MiB by default);
	// the client drops the connection and reconnects (with backoff, as
	// after any connection that delivered no event).
	ErrReadLimit = errors.New("eventsource: too many bytes without an event")
)

// StatusError reports a response whose status is not 200 OK. Like a
// browser's EventSource, the client stops for good on it: it is the last
// item of the observable.
type StatusError struct {
	// Status is the response's status code.
	Status int
}

// StatusCode returns the response's status code, as transport.HTTPError's
// method does: any error with this method maps to its status.
func (e *StatusError) StatusCode() int { return e.Status }

// Error implements error.
func (e *StatusError) Error() string {
	msg := "eventsource: unexpected status " + strconv.Itoa(e.Status)
	if text := http.StatusText(e.Status); text != "" {
		msg += " " + text
	}
	return msg
}

// Is makes errors.Is(err, ErrNoContent) true for a 204.
func (e *StatusError) Is(target error) bool {
	return target == ErrNoContent && e.Status == http.StatusNoContent
}

// ContentTypeError reports a 200 response whose media type is not
// text/event-stream, or whose charset parameter is not UTF-8 (the stream is
// always read as UTF-8; Chromium and WebKit refuse other charsets). Like a
// browser's EventSource, the client stops for good on it: it is the last
// item of the observable.
type ContentTypeError struct {
	// ContentType is the response's Content-Type header, "" when it had
	// none.
	ContentType string
}

// Error implements error.
func (e *ContentTypeError) Error() string {
	if e.ContentType == "" {
		return "eventsource: the response has no Content-Type, want text/event-stream"
	}
	return "eventsource: the response's Content-Type is " + strconv.Quote(e.ContentType) + ", want text/event-stream"
}

// LastEventIDError reports a last event id that cannot be sent back in the
// Last-Event-ID header: one with control characters other than tab, which
// net/http refuses to send (Chromium refuses too, and stops), or, given to
// WithLastEventID, one with CR, LF or NUL, which no stream can set. The
// client stops for good on it: it is the last item of the observable.
type LastEventIDError struct {
	// ID is the id.
	ID string
}

// Error implements error.
func (e *LastEventIDError) Error() string {
	return "eventsource: the last event id " + strconv.Quote(e.ID) + " cannot be sent in a Last-Event-ID header"
}
