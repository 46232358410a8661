package transport

import "net/http"

// Observer is told what streams do, for metrics (see WithObserver). Its
// methods are called from the stream's goroutine and must not block.
type Observer interface {
	// StreamOpened is called when a stream commits its response.
	StreamOpened(r *http.Request)
	// StreamClosed is called when a stream that was opened ends, for
	// whatever reason.
	StreamClosed(r *http.Request)
	// EventsWritten is called after each successful write to the client
	// with the events and bytes it carried. Heartbeats count as bytes only.
	EventsWritten(r *http.Request, events, bytes int)
}

// WithObserver reports stream activity to o.
func WithObserver(o Observer) Option { return func(c *config) { c.observer = o } }

// Reconnecter is implemented by errors that should end a stream the way a
// completed stream ends — no error frame, just the end of the response — so
// that EventSource reconnects at once with Last-Event-ID. The error with
// which package observable/hub cuts off a subscriber that fell too far
// behind is one: replay fills the gap on reconnect. Before anything was written, such an error still commits
// an empty 200 response, because browsers do not reconnect after an HTTP
// error status.
type Reconnecter interface {
	error
	// Reconnect reports whether the client should reconnect.
	Reconnect() bool
}
