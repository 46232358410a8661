package observable

import (
	"log/slog"
	"time"
)

// Defaults for the hub's options.
const (
	// DefaultReplayCount is how many events a Hub retains for replay.
	DefaultReplayCount = 1024
	// DefaultSubscriberBuffer is how many live events a subscriber may
	// fall behind before the hub cuts it off.
	DefaultSubscriberBuffer = 64
)

// HubOption configures a Hub.
type HubOption func(*hubConfig)

type hubConfig struct {
	replayCount int
	replayAge   time.Duration
	buffer      int
	clock       Clock
	logger      *slog.Logger
	observer    HubObserver
}

func newHubConfig(opts []HubOption) hubConfig {
	c := hubConfig{
		replayCount: DefaultReplayCount,
		buffer:      DefaultSubscriberBuffer,
	}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if c.clock == nil {
		c.clock = RealClock{}
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	c.replayCount = max(c.replayCount, 0)
	c.buffer = max(c.buffer, 1)
	return c
}

// WithReplayCount makes the hub retain at most the last n events for replay
// (DefaultReplayCount by default). It bounds the hub's memory whatever the
// publish rate. Zero retains nothing: a subscription then replays nothing,
// and resuming is exact only from the latest id.
func WithReplayCount(n int) HubOption { return func(c *hubConfig) { c.replayCount = n } }

// WithReplayAge also drops retained events older than d, measured on the
// hub's clock; zero or less (the default) keeps them until WithReplayCount
// pushes them out. Old events are dropped when an event is published or a
// subscription starts, without a timer.
func WithReplayAge(d time.Duration) HubOption { return func(c *hubConfig) { c.replayAge = d } }

// WithSubscriberBuffer sets how many live events a subscriber may fall
// behind before it is cut off with ErrSlowSubscriber
// (DefaultSubscriberBuffer by default; at least 1). The buffer is each
// idle subscriber's main cost, about 32 bytes an event. A subscription that
// starts with a replay gets room for the replay on top.
func WithSubscriberBuffer(n int) HubOption { return func(c *hubConfig) { c.buffer = n } }

// WithHubClock makes the hub read time (for WithReplayAge) from c instead of
// the real clock, so a test can drive it with a clocktest.Clock.
func WithHubClock(c Clock) HubOption { return func(h *hubConfig) { h.clock = c } }

// WithHubLogger sets the logger for subscriptions, cut-offs and gaps
// (slog.Default() by default). Subscribing and leaving are logged at Debug,
// gaps at Info, cut-offs at Warn.
func WithHubLogger(l *slog.Logger) HubOption { return func(c *hubConfig) { c.logger = l } }

// WithHubObserver reports the hub's activity to o, for metrics.
func WithHubObserver(o HubObserver) HubOption { return func(c *hubConfig) { c.observer = o } }
