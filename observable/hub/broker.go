package hub

import (
	"context"
	"errors"
	"time"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
)

// Broker is the publish/subscribe contract behind a broadcast SSE route.
// Hub is the in-memory implementation; a distributed one (NATS JetStream,
// say) implements the same three methods, so routes written against a
// Broker move from one process to many unchanged. Package hubtest is the
// conformance suite every implementation passes.
//
// An implementation assigns every event an id that Subscribe accepts as
// lastEventID, delivers the events of one subscription in publish order,
// follows the topic rule of this package, and never lets a subscriber slow
// Publish or another subscriber.
type Broker interface {
	// Publish validates and encodes ev, gives it the broker's next id,
	// delivers it to every current subscription whose topics match and
	// retains it for replay. It returns the id. ev.ID must be empty.
	Publish(ctx context.Context, ev encoder.MessageEvent, topics ...string) (id string, err error)
	// Subscribe returns a cold Observable of encoder.MessageEvent items:
	// each subscription replays the retained events after lastEventID
	// that match topics, then continues live, with no gap and no
	// duplicate at the seam. An empty lastEventID means live events
	// only; Oldest means every retained event first. An id it cannot
	// resume from gets the GapEventType event first, then every retained
	// event. The Observable is made with observable.Pulled, so that the
	// transport pulls it, and a subscription started with an empty
	// lastEventID or Oldest tells its start position (Iterator.StartID).
	Subscribe(lastEventID string, topics ...string) rxgo.Observable
	// Close ends every subscription and refuses further publishing.
	Close() error
}

var _ Broker = (*Hub)(nil)

// Oldest, given to Subscribe as lastEventID, starts the subscription at
// the oldest event the broker retains: a client joining a room gets its
// recent history, then the live events, with no gap event (nothing was
// missed: it asked for what there is). A route that offers history on join
// passes it when the request has no Last-Event-ID:
//
//	id := transport.LastEventID(r)
//	if id == "" && r.URL.Query().Has("history") {
//		id = hub.Oldest
//	}
//	return b.Subscribe(id, room)
//
// A reconnecting browser sends its Last-Event-ID and resumes from there.
const Oldest = "oldest"

// GapEventType ("gap") is the type of the event a subscription sends first when it
// cannot replay everything after the lastEventID it was given: the id is
// malformed, of another epoch (another process, or one before a restart),
// or older than the replay window. Every retained event follows it. Its
// data is JSON, {"lastEventId":"<the id asked for, at most 128 bytes>"},
// and its id is the position just before the first retained event, so a
// client that disconnects right after it resumes from there. Browsers see
// it with eventSource.addEventListener('gap', ...): reload whatever state
// the replay cannot rebuild.
const GapEventType = "gap"

// Gap is the data of the GapEventType event, as JSON. A route that streams
// a broker's subscription declares the event for its documentation with
// transport.Emits[hub.Gap](hub.GapEventType).
type Gap struct {
	// LastEventID is the id the client asked to resume from, cut to at
	// most 128 bytes.
	LastEventID string `json:"lastEventId"`
}

// Errors of Publish and Subscribe.
var (
	// ErrClosed is the error Publish returns after Close.
	ErrClosed = errors.New("hub: closed")
	// ErrIDSet reports an event given to Publish with its ID set: ids
	// belong to the broker. Publish returns it inside an
	// *encoder.FieldError for the "id" field.
	ErrIDSet = errors.New("hub: the broker assigns ids; leave ID empty")
	// ErrEmptyTopic reports an empty-string topic, given to Publish or
	// Subscribe (whose Observable then fails with it).
	ErrEmptyTopic = errors.New("hub: empty topic")
)

// ErrSlowSubscriber is the error that ends a subscription the broker cut
// off because it fell too far behind (see WithBuffer). The client loses
// nothing if it reconnects within the replay window: a browser's
// EventSource does so by itself, sending Last-Event-ID, and the broker
// replays what it missed.
//
// It implements transport.Reconnecter: the transport ends the response
// without an error frame, as if the stream had completed, and the client
// reconnects.
var ErrSlowSubscriber error = slowSubscriberError{}

type slowSubscriberError struct{}

func (slowSubscriberError) Error() string {
	return "hub: subscriber too slow, cut off (it can resume with Last-Event-ID)"
}

// Reconnect reports that a transport should end the stream cleanly rather
// than send an error frame: the client is expected to reconnect.
func (slowSubscriberError) Reconnect() bool { return true }

// Observer receives a hub's activity, for metrics. Its methods are called
// synchronously, outside the hub's locks, from whichever goroutine did the
// work (Publish's caller, the subscriber, or the goroutine ending a
// subscription's context): keep them fast and safe for concurrent use.
// Package metrics implements it with Prometheus.
type Observer interface {
	// Subscribed reports a new subscription. replayed is the number of
	// retained events it replays; gap reports that its lastEventID could
	// not be resumed from (see GapEventType).
	Subscribed(replayed int, gap bool)
	// Unsubscribed reports a subscription that ended, and why.
	Unsubscribed(reason EndReason)
	// Published reports one published event: the number of subscriptions
	// whose topics matched it (each will read it unless it ends first),
	// and its latency. The Hub reports how long Publish took, encoding
	// included; a distributed broker reports when it delivers the event
	// (natshub: the time since NATS stored it).
	Published(delivered int, took time.Duration)
}

// EndReason says why a subscription ended.
type EndReason string

// The reasons a subscription ends. They are short lower-case words, usable
// as metric label values.
const (
	// EndLeft: the subscriber's context ended (the client went away) or it
	// stopped reading early.
	EndLeft EndReason = "left"
	// EndCutOff: the subscriber fell behind and was cut off with
	// ErrSlowSubscriber.
	EndCutOff EndReason = "cut_off"
	// EndClosed: the hub was closed.
	EndClosed EndReason = "closed"
)
