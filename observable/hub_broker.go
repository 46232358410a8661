package observable

import (
	"context"
	"errors"
	"time"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
)

// Broker is the publish/subscribe contract behind a broadcast SSE route.
// Hub is the in-memory implementation; a distributed backend (NATS
// JetStream, say) implements the same three methods, so routes written
// against a Broker move from one process to many unchanged.
//
// An implementation must give every event an id that Subscribe accepts as
// lastEventID, deliver events to each subscription in publish order, and
// never let one subscriber slow Publish or another subscriber.
type Broker interface {
	// Publish delivers ev to every current subscriber whose topics match
	// and retains it for replay. It returns the event's id: ev.ID if set,
	// else one the broker assigns.
	Publish(ctx context.Context, ev encoder.MessageEvent, opts ...PublishOption) (id string, err error)
	// Subscribe returns a cold Observable of encoder.MessageEvent items:
	// each Observe call replays the retained events after lastEventID that
	// match topics, then continues live, with no gap and no duplicate at
	// the seam. No topics means every event.
	Subscribe(lastEventID string, topics ...string) rxgo.Observable
	// Close ends every subscription and refuses further publishing.
	Close() error
}

var _ Broker = (*Hub)(nil)

// GapEventType is the type of the event a subscription sends first when it
// cannot replay everything after the lastEventID it was given, because that
// id is unknown (a server restart, a typo) or older than the replay window.
// The retained events follow it. Its data is JSON,
// {"lastEventId":"<the id asked for>"}, and its id is the position just
// before the first retained event, so a client that disconnects right after
// it resumes from there. Browsers see it with
// eventSource.addEventListener('gap', ...): reload whatever state the
// replay cannot rebuild.
const GapEventType = "gap"

// ErrHubClosed is the error Publish returns after Close.
var ErrHubClosed = errors.New("observable: hub closed")

// ErrSlowSubscriber is the error that ends a subscription the hub cut off
// because its buffer was full: the client did not keep up. The client loses
// nothing as long as it reconnects within the replay window: a browser's
// EventSource does so by itself, sending Last-Event-ID, and the hub replays
// what the client missed.
//
// It implements transport.Reconnecter: the transport ends the response
// without an error frame, as if the stream had completed, and the client
// simply reconnects.
var ErrSlowSubscriber error = slowSubscriberError{}

type slowSubscriberError struct{}

func (slowSubscriberError) Error() string {
	return "observable: subscriber too slow, cut off (it can resume with Last-Event-ID)"
}

// Reconnect reports that a transport should end the stream cleanly rather
// than send an error frame: the client is expected to reconnect.
func (slowSubscriberError) Reconnect() bool { return true }

// HubObserver receives the hub's events, for metrics. Its methods are
// called synchronously, outside the hub's lock, from whichever goroutine did
// the work (Publish's caller, the subscriber, or the goroutine ending a
// subscription's context): keep them fast and safe for concurrent use.
// Package metrics implements it with Prometheus.
type HubObserver interface {
	// Subscribed reports a new subscription. replayed is the number of
	// retained events queued for it at once; gap reports that its
	// lastEventID was unknown or older than the replay window.
	Subscribed(replayed int, gap bool)
	// Unsubscribed reports a subscription that ended, and why.
	Unsubscribed(reason EndReason)
	// Published reports one published event: how many subscribers it was
	// queued for, and how long Publish took.
	Published(delivered int, took time.Duration)
}

// EndReason says why a subscription ended.
type EndReason string

// The reasons a subscription ends. They are short lower-case words, usable
// as metric label values.
const (
	// EndLeft: the subscriber's context ended (the client went away).
	EndLeft EndReason = "left"
	// EndCutOff: the subscriber fell behind and was cut off with
	// ErrSlowSubscriber.
	EndCutOff EndReason = "cut_off"
	// EndClosed: the hub was closed.
	EndClosed EndReason = "closed"
)

// PublishOption configures one Publish call.
type PublishOption func(*publishOptions)

type publishOptions struct {
	topics []string
}

// Topic publishes the event to the given topics: it reaches the
// subscribers of any of them (once each, however many match) and those
// subscribed to every event. An event published without Topic reaches only
// the latter.
func Topic(topics ...string) PublishOption {
	return func(o *publishOptions) { o.topics = append(o.topics, topics...) }
}
