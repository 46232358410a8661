package hub

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/internal/fanout"
	"github.com/rxsse/rxsse/internal/publish"
	"github.com/rxsse/rxsse/observable"
)

// Hub is the in-memory Broker: one process, no goroutine of its own.
// Create it with New; it is safe for concurrent use.
type Hub struct {
	cfg   config
	epoch string
	log   *fanout.Log

	mu  sync.Mutex // orders Publish: ids and log order agree
	seq uint64
}

// publishErrors are the hub's errors for what Publish and Subscribe refuse.
var publishErrors = publish.Errors{IDSet: ErrIDSet, EmptyTopic: ErrEmptyTopic}

// New returns an empty hub with a new random epoch.
func New(opts ...Option) *Hub {
	h := &Hub{cfg: newConfig(opts), epoch: newEpoch()}
	h.log = fanout.New(fanout.Config{
		Replay:    h.cfg.replayCount,
		ReplayAge: h.cfg.replayAge,
		MaxLag:    h.cfg.buffer,
		Now:       time.Now,
		ErrSlow:   ErrSlowSubscriber,
		OnEnd:     h.ended,
	})
	return h
}

// newEpoch returns 8 random lowercase base32 characters (40 bits).
func newEpoch() string {
	var b [5]byte
	rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.EncodeToString(b[:]))
}

// Publish validates and encodes ev, gives it the next id of the hub
// ("<epoch>-<n>"), delivers it to every subscription whose topics match
// (no topics: every subscription; see the package doc) and retains it for
// replay. It returns the id.
//
// ev is encoded once, here, and shared by every subscriber: its data (a
// string is kept as it is, a []byte is copied, a json.RawMessage is
// validated and copied, and anything else is marshalled to JSON, as the
// encoder does, no HTML escaping, into a json.RawMessage), and its whole
// wire form (see encoder.Frame), which every stream writes as it is.
// Changing the value after Publish returns changes nothing any subscriber
// sees.
//
// Publish never waits for a subscriber. It fails, retaining nothing, when
// ctx is already done, after Close (ErrClosed), for an empty topic
// (ErrEmptyTopic), and with an *encoder.FieldError when ev.ID is set
// (ErrIDSet), ev.Type could inject fields, or ev.Data cannot be encoded.
func (h *Hub) Publish(ctx context.Context, ev encoder.MessageEvent, topics ...string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	var began time.Time // reading the time is not free: only for the observer
	if h.cfg.observer != nil {
		began = time.Now()
	}
	ev, topics, err := publish.Prepare(ev, topics, publishErrors)
	if err != nil {
		return "", err
	}
	e := fanout.Event{Topics: topics}

	h.mu.Lock()
	e.Seq = h.seq + 1
	ev.ID = h.id(e.Seq)
	e.Item = publish.Item(ev)
	if h.cfg.replayAge > 0 {
		e.Time = time.Now()
	}
	delivered, err := h.log.Append(e)
	if err != nil {
		h.mu.Unlock()
		return "", ErrClosed
	}
	h.seq = e.Seq
	h.mu.Unlock()

	if h.cfg.observer != nil {
		h.cfg.observer.Published(delivered, time.Since(began))
	}
	return ev.ID, nil
}

// id returns the event id of seq.
func (h *Hub) id(seq uint64) string { return publish.FormatID(h.epoch, seq) }

// parseID returns the sequence number of one of this hub's ids, fanout.Live
// for "", or false for anything else.
func (h *Hub) parseID(id string) (uint64, bool) {
	if id == "" {
		return fanout.Live, true
	}
	epoch, seq, ok := publish.ParseID(id)
	if !ok || epoch != h.epoch || seq == fanout.Live {
		return 0, false
	}
	return seq, true
}

// Subscribe returns a cold Observable of encoder.MessageEvent items for one
// client. Each subscription (Observe, Pull, or an operator's) first replays
// the retained events after lastEventID that match topics, then continues
// live, with no gap and no duplicate at the seam whatever is being
// published meanwhile.
//
//   - An empty lastEventID means live events only.
//   - Oldest replays every retained event that matches, then continues
//     live.
//   - An id this hub cannot resume from (malformed, of another epoch, or
//     older than the replay window) replays every retained event, preceded
//     by an event of type GapEventType.
//
// A subscription started with an empty lastEventID or Oldest knows its
// start position before its first event; the transport writes it as an
// id-only block ("id: <id>"), so a client cut off before its first event
// resumes from there and misses nothing.
//
// The subscription ends when its context ends (the one given to Pull, or to
// Observe with rxgo.WithContext; the transport passes the request's), with
// ErrSlowSubscriber if it falls more than WithBuffer events behind, and
// completes after Close once it has read what was published before.
//
// The transport pulls the Observable on the goroutine that writes the
// response. Map and Filter chained on it (without rxgo options) are fused:
// they run inline where it is pulled or relayed, a panic in them ends the
// stream with an *observable.PanicError item, and the result is still
// pulled. Observed through plain rxgo, a subscription costs one relay
// goroutine; Observe registers it before it returns.
//
// An empty topic makes the Observable fail with ErrEmptyTopic.
func (h *Hub) Subscribe(lastEventID string, topics ...string) rxgo.Observable {
	topics, err := publish.Topics(topics, ErrEmptyTopic)
	if err != nil {
		return observable.Pulled(func(context.Context) observable.Iterator { return fanout.Failed(err) })
	}
	return observable.Pulled(func(ctx context.Context) observable.Iterator {
		return h.subscribe(ctx, lastEventID, topics)
	})
}

// subscribe starts one subscription bound to ctx.
func (h *Hub) subscribe(ctx context.Context, lastEventID string, topics []string) observable.Iterator {
	var it *fanout.Iterator
	var err error
	oldest := lastEventID == Oldest
	after, ok := h.parseID(lastEventID)
	switch {
	case oldest:
		it, err = h.log.SubscribeOldest(ctx, topics)
	case ok:
		it, err = h.log.Subscribe(ctx, after, topics)
	default:
		err = errors.New("unknown id")
	}
	gap := err != nil && !errors.Is(err, fanout.ErrClosed)
	if gap {
		it, err = h.log.SubscribeOldest(ctx, topics)
	}
	if err != nil {
		return fanout.Failed(nil) // closed: complete at once
	}
	echoed := publish.Truncate(lastEventID)
	if gap {
		h.cfg.logger.Info("hub: resume gap, replaying every retained event", "lastEventID", echoed, "topics", topics, "replayed", it.Replayed())
	} else {
		h.cfg.logger.Debug("hub: subscribed", "lastEventID", echoed, "topics", topics, "replayed", it.Replayed())
	}
	if h.cfg.observer != nil {
		h.cfg.observer.Subscribed(it.Replayed(), gap)
	}
	s := &subscription{Iterator: it}
	switch {
	case gap:
		s.gap = rxgo.Of(publish.Gap(h.epoch, it.After(), lastEventID))
	case lastEventID == "" || oldest:
		s.start = h.id(it.After())
	}
	return s
}

// ended reports a subscription's end to the logger and the observer.
func (h *Hub) ended(reason fanout.EndReason) {
	switch reason {
	case fanout.EndCutOff:
		h.cfg.logger.Warn("hub: slow subscriber cut off", "buffer", h.cfg.buffer)
	default:
		h.cfg.logger.Debug("hub: unsubscribed", "reason", string(reason))
	}
	if h.cfg.observer != nil {
		h.cfg.observer.Unsubscribed(EndReason(reason))
	}
}

// Close ends every subscription: each completes once it has read what was
// published before. Publish then fails with ErrClosed, and subscriptions
// started after Close complete at once. It returns nil; calling it again
// does nothing.
func (h *Hub) Close() error {
	h.log.Close()
	return nil
}

// subscription is a fanout subscription, preceded by a gap event when it
// could not resume.
type subscription struct {
	*fanout.Iterator
	gap   rxgo.Item // sent first when gap.V is set
	start string    // the start position a client does not have yet, or ""
}

// StartID returns the position the subscription started at when the client
// does not have it: it asked for live events or the oldest ones. A resume
// has it already, and a gap event carries it.
func (s *subscription) StartID() string { return s.start }

func (s *subscription) Next() (rxgo.Item, observable.State) {
	if s.gap.V != nil {
		g := s.gap
		s.gap = rxgo.Item{}
		return g, observable.Value
	}
	return s.Iterator.Next()
}
