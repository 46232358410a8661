package hub

import (
	"log/slog"
	"time"
)

// Defaults of both brokers' options (Hub's and natshub's).
const (
	// DefaultBuffer is the lag bound: how many events a subscriber may
	// fall behind before the broker cuts it off (WithBuffer).
	DefaultBuffer = 4096
	// DefaultReplayCount is how many of the latest events a broker retains
	// for resuming (WithReplayCount): four lag bounds, so that a
	// subscriber cut off for lagging still finds its position retained
	// after three more lag bounds' worth of events are published.
	DefaultReplayCount = 4 * DefaultBuffer
)

// Option configures a Hub.
type Option func(*config)

type config struct {
	replayCount int
	replayAge   time.Duration
	buffer      int
	logger      *slog.Logger
	observer    Observer
}

func newConfig(opts []Option) config {
	c := config{replayCount: DefaultReplayCount, buffer: DefaultBuffer}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	if c.buffer <= 0 {
		c.buffer = DefaultBuffer
	}
	c.replayCount = max(c.replayCount, c.buffer)
	return c
}

// WithReplayCount makes the hub retain the latest n events for resuming
// (DefaultReplayCount by default). A count below the lag bound (WithBuffer)
// is raised to it, so that a subscriber cut off for lagging can always
// resume from where it was cut: retention cannot be turned off.
func WithReplayCount(n int) Option { return func(c *config) { c.replayCount = n } }

// WithReplayAge also drops retained events older than d, as time.Now tells
// (virtual time inside a testing/synctest bubble); zero or less (the
// default) keeps them until WithReplayCount pushes them out. Old events are
// dropped when an event is published or a subscription starts, without a
// timer. It bounds replay only, not live delivery.
func WithReplayAge(d time.Duration) Option { return func(c *config) { c.replayAge = d } }

// WithBuffer sets the lag bound: a subscriber that has not yet read more
// than n of the events published to its topics is cut off with
// ErrSlowSubscriber, the next time it reads (DefaultBuffer by default, also
// for n <= 0). A subscriber costs no memory per event: every subscription
// with the same topics reads one shared ring of the last n events of those
// topics, so the bound is on lag, not on a queue a burst could fill. A
// client of a transport whose socket stops draining is usually ended first
// by the transport's write timeout.
func WithBuffer(n int) Option { return func(c *config) { c.buffer = n } }

// WithLogger sets the logger for subscriptions, cut-offs and gaps
// (slog.Default() by default). Subscribing and leaving are logged at Debug,
// gaps at Info, cut-offs at Warn. A client's Last-Event-ID is logged
// truncated to 128 bytes.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithObserver reports the hub's activity to o, for metrics.
func WithObserver(o Observer) Option { return func(c *config) { c.observer = o } }
