package natshub

import (
	"log/slog"
	"time"

	"github.com/rxsse/rxsse/observable/hub"
)

// Defaults for the options of a Broker. The options it shares with the
// in-memory hub (WithReplayCount, WithReplayAge, WithBuffer, WithLogger,
// WithObserver) mean the same, with the same defaults: hub.DefaultReplayCount
// and hub.DefaultBuffer.
const (
	// DefaultStream is the stream a Broker uses unless WithStream names
	// another.
	DefaultStream = "RXSSE"
	// DefaultLocalWindow is how many of the latest events each instance
	// keeps in memory (WithLocalWindow): twice hub.DefaultBuffer, so that
	// a subscriber cut off for lagging resumes from memory.
	DefaultLocalWindow = 2 * hub.DefaultBuffer
)

// Option configures a Broker.
type Option func(*config)

type config struct {
	stream      string
	replayCount int64
	replayAge   time.Duration
	replicas    int
	memory      bool
	localWindow int
	buffer      int
	logger      *slog.Logger
	observer    hub.Observer
}

func newConfig(opts []Option) config {
	c := config{
		stream:      DefaultStream,
		replayCount: hub.DefaultReplayCount,
		replicas:    1,
		localWindow: DefaultLocalWindow,
	}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	c.replicas = max(c.replicas, 1)
	c.localWindow = max(c.localWindow, 1)
	if c.buffer <= 0 {
		c.buffer = hub.DefaultBuffer
	}
	c.replayCount = max(c.replayCount, int64(c.buffer))
	return c
}

// WithStream names the JetStream stream (DefaultStream by default).
// Instances that name the same stream share it: an event published on one
// reaches the subscribers of all, and an id from one resumes on any. The
// stream captures the subjects "rxsse.<name>.>".
func WithStream(name string) Option { return func(c *config) { c.stream = name } }

// WithReplayCount makes the stream retain the latest n events for
// resuming (hub.DefaultReplayCount by default), as hub.WithReplayCount
// does for the in-memory hub: a count below the lag bound (WithBuffer) is
// raised to it. Like every stream setting, it applies when the Broker
// creates the stream: a Broker binding an existing stream uses that
// stream's settings (and lowers its lag bound to the stream's limit by
// count, if that is smaller).
func WithReplayCount(n int) Option { return func(c *config) { c.replayCount = int64(n) } }

// WithReplayAge makes the stream drop events older than d (zero, the
// default, keeps them until WithReplayCount pushes them out).
func WithReplayAge(d time.Duration) Option { return func(c *config) { c.replayAge = d } }

// WithReplicas sets how many NATS servers of a cluster hold a copy of the
// stream (1 by default; 3 survives the loss of one server).
func WithReplicas(n int) Option { return func(c *config) { c.replicas = n } }

// WithMemoryStorage keeps the stream in the NATS servers' memory instead
// of on disk: faster, but a server restart loses what it held.
func WithMemoryStorage() Option { return func(c *config) { c.memory = true } }

// WithLocalWindow sets how many of the latest events the instance keeps in
// memory (DefaultLocalWindow by default, at least 1). A client resuming
// within it is served from memory; an older resume reads the stream.
func WithLocalWindow(n int) Option { return func(c *config) { c.localWindow = n } }

// WithBuffer sets the lag bound, as hub.WithBuffer does for the in-memory
// hub: a subscriber more than n events behind the instance's fan-out is cut
// off with hub.ErrSlowSubscriber (hub.DefaultBuffer by default, also for
// n <= 0), and resumes with Last-Event-ID.
func WithBuffer(n int) Option { return func(c *config) { c.buffer = n } }

// WithLogger sets the logger for connection faults, recoveries and gaps
// (slog.Default() by default).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithObserver reports the instance's activity to o, for metrics (package
// metrics implements it), as hub.WithObserver does, with one difference:
// Published is called when the instance's consumer delivers an event to
// its fan-out, whoever published it, with the subscriptions it reached on
// this instance and the time since NATS stored it (the publish-to-delivery
// latency). A subscription that reads the stream reports Subscribed when
// the read is done.
func WithObserver(o hub.Observer) Option { return func(c *config) { c.observer = o } }
