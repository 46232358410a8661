package transport

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/rxsse/rxsse/encoder"
)

// Defaults for the options. They are the safe choices for a public server.
const (
	// DefaultHeartbeat is how long a stream may stay idle before the
	// transport sends a comment line to keep proxies and clients from
	// timing it out.
	DefaultHeartbeat = 15 * time.Second
	// DefaultWriteTimeout bounds each write to the client, so a stalled
	// client cannot hold a stream (and its subscription) for ever.
	DefaultWriteTimeout = 30 * time.Second
	// DefaultMaxPending is the cap on bytes pending for one connection
	// (NestJS uses the same 4 MiB).
	DefaultMaxPending = 4 << 20
	// DefaultFirstItemWait is how long the transport waits for the first
	// item before committing the response headers.
	DefaultFirstItemWait = 5 * time.Millisecond
	// DefaultDrainTimeout bounds how long the item channel is drained after
	// a stream stops, so upstream goroutines blocked on a send can finish.
	DefaultDrainTimeout = 5 * time.Second
)

// flushThreshold is the buffered size past which a burst is written out
// even though more items are ready.
const flushThreshold = 32 << 10

// Option configures a Handler.
type Option func(*config)

type config struct {
	status        int
	heartbeat     time.Duration
	retry         time.Duration
	autoID        bool
	writeTimeout  time.Duration
	maxPending    int
	firstItemWait time.Duration
	drainTimeout  time.Duration
	mapError      func(error) error
	logger        *slog.Logger
	encoderOpts   []encoder.Option
	observer      Observer
}

func newConfig(opts []Option) config {
	c := config{
		status:        http.StatusOK,
		heartbeat:     DefaultHeartbeat,
		autoID:        true,
		writeTimeout:  DefaultWriteTimeout,
		maxPending:    DefaultMaxPending,
		firstItemWait: DefaultFirstItemWait,
		drainTimeout:  DefaultDrainTimeout,
	}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithStatus sets the status of a successful stream (200 by default;
// NestJS answers 201 for POST streams).
func WithStatus(code int) Option { return func(c *config) { c.status = code } }

// WithHeartbeat sends a comment line whenever the stream has been idle for
// d; every event restarts the wait. Zero or less turns heartbeats off. The
// default is DefaultHeartbeat.
func WithHeartbeat(d time.Duration) Option { return func(c *config) { c.heartbeat = d } }

// WithRetry writes a "retry:" field once at the start of the stream, telling
// clients how long to wait before reconnecting.
func WithRetry(d time.Duration) Option { return func(c *config) { c.retry = d } }

// WithAutoID turns the per-connection id counter on or off. When on (the
// default, as in NestJS) every event without an ID gets the next number,
// counting from 1; comment-only messages get none.
func WithAutoID(on bool) Option { return func(c *config) { c.autoID = on } }

// WithWriteTimeout bounds each write to the client (DefaultWriteTimeout by
// default). The deadline is set per write through http.ResponseController,
// so http.Server.WriteTimeout does not cut healthy long streams. Zero or
// less turns the per-write deadline off.
func WithWriteTimeout(d time.Duration) Option { return func(c *config) { c.writeTimeout = d } }

// WithMaxPending caps the bytes the transport holds for one connection that
// the connection has not yet accepted (DefaultMaxPending by default). A
// stream that needs more is cut and logged.
func WithMaxPending(n int) Option { return func(c *config) { c.maxPending = n } }

// WithFirstItemWait sets how long the transport waits for the first item
// before it commits the success status and headers (DefaultFirstItemWait by
// default). An error that arrives as the first item within this time becomes
// a plain HTTP error response instead of an error frame.
func WithFirstItemWait(d time.Duration) Option { return func(c *config) { c.firstItemWait = d } }

// WithDrainTimeout bounds how long the transport keeps draining the item
// channel after the stream stops (DefaultDrainTimeout by default).
func WithDrainTimeout(d time.Duration) Option { return func(c *config) { c.drainTimeout = d } }

// WithErrorMapper maps every error the stream reports before the transport
// classifies it, for instance to turn a storage "not found" into
// NewHTTPError(http.StatusNotFound, ...).
func WithErrorMapper(f func(error) error) Option { return func(c *config) { c.mapError = f } }

// WithLogger sets the logger for connection events and errors
// (slog.Default() by default).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithEncoderOptions passes options to the encoder, for instance
// encoder.WithMarshaler.
func WithEncoderOptions(opts ...encoder.Option) Option {
	return func(c *config) { c.encoderOpts = append(c.encoderOpts, opts...) }
}
