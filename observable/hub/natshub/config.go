package natshub

import (
	"log/slog"
	"time"

	"github.com/rxsse/rxsse/observable/hub"
)

// Config configures a Broker. Its zero value is ready to use: every field
// left zero takes its default. The fields it shares with the in-memory hub's
// options (ReplayCount, ReplayAge, Buffer, Logger, Observer) mean the same,
// with the same defaults: hub.DefaultReplayCount and hub.DefaultBuffer.
//
// The stream settings (ReplayCount, ReplayAge, Replicas, MemoryStorage)
// apply when the Broker creates the stream: a Broker binding an existing
// stream uses that stream's settings, and lowers its lag bound to the
// stream's limit by count if that is smaller.
type Config struct {
	// Stream names the JetStream stream ("RXSSE" if empty). Instances that
	// name the same stream share it: an event published on one reaches the
	// subscribers of all, and an id from one resumes on any. The stream
	// captures the subjects "rxsse.<name>.>".
	Stream string
	// ReplayCount is how many of the latest events the stream retains for
	// resuming (hub.DefaultReplayCount if zero or less). A count below the
	// lag bound (Buffer) is raised to it, as hub.WithReplayCount does.
	ReplayCount int
	// ReplayAge, if positive, makes the stream drop events older than it;
	// zero keeps them until ReplayCount pushes them out.
	ReplayAge time.Duration
	// Replicas is how many NATS servers of a cluster hold a copy of the
	// stream (1 if zero or less; 3 survives the loss of one server).
	Replicas int
	// MemoryStorage keeps the stream in the NATS servers' memory instead of
	// on disk: faster, but a server restart loses what it held.
	MemoryStorage bool
	// LocalWindow is how many of the latest events the instance keeps in
	// memory (2 × hub.DefaultBuffer if zero or less): a client resuming
	// within it is served from memory; an older resume reads the stream.
	LocalWindow int
	// Buffer is the lag bound, as hub.WithBuffer's: a subscriber more than
	// Buffer events behind the instance's fan-out is cut off with
	// hub.ErrSlowSubscriber, and resumes with Last-Event-ID
	// (hub.DefaultBuffer if zero or less).
	Buffer int
	// Logger receives connection faults, recoveries and gaps (slog.Default()
	// if nil).
	Logger *slog.Logger
	// Observer receives the instance's activity, for metrics (package
	// metrics implements it), as hub.WithObserver's does, with one
	// difference: Published is called when the instance's consumer delivers
	// an event to its fan-out, whoever published it, with the subscriptions
	// it reached on this instance and the time since NATS stored it (the
	// publish-to-delivery latency). A subscription that reads the stream
	// reports Subscribed when the read is done.
	Observer hub.Observer
}

// config is a Config with its defaults applied.
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

func newConfig(c Config) config {
	cfg := config{
		stream:      c.Stream,
		replayCount: int64(c.ReplayCount),
		replayAge:   max(c.ReplayAge, 0),
		replicas:    max(c.Replicas, 1),
		memory:      c.MemoryStorage,
		localWindow: c.LocalWindow,
		buffer:      c.Buffer,
		logger:      c.Logger,
		observer:    c.Observer,
	}
	if cfg.stream == "" {
		cfg.stream = "RXSSE"
	}
	if cfg.localWindow <= 0 {
		cfg.localWindow = 2 * hub.DefaultBuffer
	}
	if cfg.buffer <= 0 {
		cfg.buffer = hub.DefaultBuffer
	}
	if cfg.replayCount <= 0 {
		cfg.replayCount = hub.DefaultReplayCount
	}
	cfg.replayCount = max(cfg.replayCount, int64(cfg.buffer))
	if cfg.logger == nil {
		cfg.logger = slog.Default()
	}
	return cfg
}
