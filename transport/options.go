package transport

import (
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/rxsse/rxsse/encoder"
)

// Defaults for the options, the safe choices for a public server.
const (
	// defaultHeartbeat is how long a stream may stay idle before the
	// transport sends a comment line to keep proxies and clients from
	// timing it out.
	defaultHeartbeat = 15 * time.Second
	// defaultWriteTimeout bounds each write to the client, so a stalled
	// client cannot hold a stream (and its subscription) for ever.
	defaultWriteTimeout = 30 * time.Second
)

const (
	// flushThreshold is the buffered size past which a burst is written
	// out even though more items are ready.
	flushThreshold = 32 << 10
	// observeBuffer is the channel buffer of every rxgo stage the
	// transport observes (rxgo passes Observe options up the chain), so a
	// burst reaches the transport in groups instead of one hand-off each.
	observeBuffer = 16
	// drainTimeout bounds how long the item channel of a stream that
	// stopped early is drained, so upstream goroutines blocked on a send
	// can see the cancelled context and finish.
	drainTimeout = 5 * time.Second
)

// Option configures a Handler. A nil Option is ignored.
type Option func(*config)

type config struct {
	status       int
	heartbeat    time.Duration
	retry        time.Duration
	autoID       bool
	writeTimeout time.Duration
	maxEventSize int
	filter       func(*http.Request, error) error
	interceptors []Interceptor
	logger       *slog.Logger
	observer     Observer
	decl         Declaration  // what the route declares, for documentation only
	park         bool         // see WithParking
	parkRefused  *atomic.Bool // set once a connection of the route could not be parked (see tryPark)
}

func newConfig(opts []Option) config {
	c := config{
		status:       http.StatusOK,
		heartbeat:    defaultHeartbeat,
		autoID:       true,
		writeTimeout: defaultWriteTimeout,
		maxEventSize: encoder.DefaultMaxEventSize,
	}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	return c
}

// WithStatus sets the status of a successful stream (200 by default;
// NestJS answers 201 for POST streams).
func WithStatus(code int) Option { return func(c *config) { c.status = code } }

// WithHeartbeat sends a comment line whenever the stream has been idle for
// d (15 seconds by default), so that proxies and clients do not time an
// idle stream out; every event restarts the wait. Zero or less turns
// heartbeats off.
func WithHeartbeat(d time.Duration) Option { return func(c *config) { c.heartbeat = d } }

// WithRetry writes a "retry:" field once at the start of the stream, telling
// clients how long to wait before reconnecting (none by default: browsers
// then wait about 3 seconds).
func WithRetry(d time.Duration) Option { return func(c *config) { c.retry = d } }

// WithAutoID turns the per-connection id counter on or off. When on (the
// default, as in NestJS) every message without an ID gets the next number,
// counting from 1, except a comment-only one (no data, no type, no retry),
// which gets no id.
func WithAutoID(on bool) Option { return func(c *config) { c.autoID = on } }

// WithWriteTimeout bounds each write to the client (30 seconds by default),
// so that a stalled client cannot hold a stream and its subscription for
// ever: a write that makes no progress for d is cut (on HTTP/1.x, where
// the deadline is pushed forward only once half of it is used, after
// between d/2 and d). Deadlines are set through http.ResponseController and
// never cut an idle stream, and http.Server.WriteTimeout does not cut
// healthy long streams. Zero or less leaves write deadlines alone.
func WithWriteTimeout(d time.Duration) Option { return func(c *config) { c.writeTimeout = d } }

// WithMaxEventSize caps the encoded size of one event
// (encoder.DefaultMaxEventSize, 4 MiB, by default), rxsse's own guard
// (NestJS has none): an event this large is almost always a bug, and the
// transport would have to hold all of it. An event over the cap that has
// an ID (a broker's events all do) is skipped: in its place the client gets
// a block with its id and a comment saying why, so its resume point still
// moves past it and the stream goes on; the skip is logged at Warn. One
// without an ID ends the stream with an error wrapping
// encoder.ErrEventTooLarge: before the stream has started an HTTP 500,
// after it the stream is cut and the cut is logged. Zero or less removes
// the cap.
func WithMaxEventSize(n int) Option { return func(c *config) { c.maxEventSize = n } }

// WithErrorFilter sets the function that decides what clients see for an
// error that ends a stream, as a NestJS exception filter does. f gets the
// request and the error and returns the error to answer with in its place,
// typically an *HTTPError: a storage "not found" becomes
// NewHTTPError(http.StatusNotFound, "no such room"), which the client gets
// as a 404 with NestJS's JSON body before the stream and as an error frame
// saying "no such room" after it; an HTTPError's Body replaces either. A
// nil result keeps err, and so does the default handling: an HTTPError as
// described, any other error with a StatusCode() int method as its status
// and the status text, anything else as a 500 "Internal server error".
//
// f sees every error the stream ends with except those that ask the client
// to reconnect (Reconnecter); its result may be one. The error f returns
// decides how the failure is logged, as an unfiltered one would be (an
// HTTPError under 500 at Info, anything else at Error), and the log shows
// the error f was given too. A panic in f is recovered and logged, and the
// client sees an internal error: a 500 before the stream, an error frame
// after.
func WithErrorFilter(f func(r *http.Request, err error) error) Option {
	return func(c *config) { c.filter = f }
}

// WithInterceptors appends interceptors to the route's (see Interceptor).
// Interceptors given earlier, or in an earlier call, are outer: the first
// sees the stream last, after every later one has wrapped it, as NestJS's
// @UseInterceptors(A, B) runs A around B. Nil interceptors are ignored.
func WithInterceptors(in ...Interceptor) Option {
	return func(c *config) {
		for _, i := range in {
			if i != nil {
				c.interceptors = append(c.interceptors, i)
			}
		}
	}
}

// WithLogger sets the logger for connection events and errors
// (slog.Default() by default).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }
