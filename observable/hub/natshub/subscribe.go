package natshub

import (
	"context"
	"errors"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/internal/fanout"
	"github.com/rxsse/rxsse/internal/publish"
	"github.com/rxsse/rxsse/internal/pull"
)

// Subscribe returns a cold Observable of encoder.MessageEvent items, as
// hub.Hub.Subscribe does: each subscription replays the events after
// lastEventID that match topics, then continues live, with no gap and no
// duplicate at the seam. An empty lastEventID means live events only; an id
// that cannot be resumed from (malformed, of another epoch of the stream,
// or older than what the stream retains) gets the hub.GapEventType event
// first, then every event the stream retains.
//
// A resume within the instance's local window is served from memory; an
// older one reads the stream from NATS first. A subscription ends with
// hub.ErrSlowSubscriber if it falls behind, with ErrUnavailable if the
// instance loses NATS, and completes when the Broker is closed.
func (b *Broker) Subscribe(lastEventID string, topics ...string) rxgo.Observable {
	topics, err := publish.Topics(topics)
	return pull.New(func(ctx context.Context) pull.Iterator {
		if err != nil {
			return pull.Failed(err)
		}
		return b.iterate(ctx, lastEventID, topics)
	}, panicError)
}

// iterate starts one subscription.
func (b *Broker) iterate(ctx context.Context, lastEventID string, topics []string) pull.Iterator {
	b.mu.Lock()
	s, closed, stream := b.sess, b.closed, b.stream
	b.mu.Unlock()
	if closed {
		return pull.Failed(nil)
	}
	if ended, err := s.endError(); ended {
		return pull.Failed(err)
	}
	acked := b.acked.Load()
	if lastEventID == "" {
		// Live: everything after what this instance has already published
		// or delivered.
		_, last := s.log.Bounds()
		if it := b.local(ctx, s, max(last, acked, s.live), topics); it != nil {
			return it
		}
		return pull.Failed(ErrUnavailable) // the fan-out cannot be too old for its own end
	}
	epoch, seq, ok := publish.ParseID(lastEventID)
	if ok && epoch == s.epoch && seq >= s.base {
		_, last := s.log.Bounds()
		latest := max(last, acked, s.live)
		// Served from memory only if the stream still retains what
		// follows seq, so that a resume the stream would answer with a
		// gap gets it whatever the consumer's lag.
		if seq <= latest && (s.maxMsgs == 0 || seq+s.maxMsgs >= latest) {
			if it := b.local(ctx, s, seq, topics); it != nil {
				return it
			}
		}
	}
	return b.remote(ctx, s, stream, lastEventID, topics)
}

// local starts a subscription served by the session's fan-out alone,
// after stream sequence after (at least s.base). It returns nil if the
// fan-out no longer holds every event after it.
func (b *Broker) local(ctx context.Context, s *session, after uint64, topics []string) pull.Iterator {
	it, skip, err := s.subscribe(ctx, after, topics)
	switch {
	case errors.Is(err, fanout.ErrTooOld):
		return nil
	case err != nil:
		_, endErr := s.endError()
		return pull.Failed(endErr)
	}
	if o := b.cfg.observer; o != nil {
		o.Subscribed(it.Replayed(), false)
	}
	return &iterator{s: s, live: it, skip: skip}
}

// subscribe subscribes to the session's fan-out after stream sequence
// after. The fan-out may not have reached after yet (the consumer is
// behind this instance's Publish, or another instance's): then it
// subscribes live, and skip tells the caller to drop the events up to
// after.
func (s *session) subscribe(ctx context.Context, after uint64, topics []string) (it *fanout.Iterator, skip uint64, err error) {
	for {
		it, err := s.log.Subscribe(ctx, after, topics)
		if !errors.Is(err, fanout.ErrAhead) {
			return it, 0, err
		}
		it, err = s.log.Subscribe(ctx, fanout.Live, topics)
		if err != nil {
			return nil, 0, err
		}
		if it.After() <= after {
			return it, after, nil
		}
		it.Close() // the fan-out passed after meanwhile: resume from it exactly
	}
}

// iterator is a subscription of a Broker: the events read from the stream
// (for a resume older than the local window), then the session's fan-out.
type iterator struct {
	s    *session
	hist *history // nil, or until it has yielded everything
	live *fanout.Iterator
	skip uint64 // drop live events with a sequence up to this one
	done bool
}

func (it *iterator) Ready() <-chan struct{} {
	if it.hist != nil {
		return it.hist.ready()
	}
	return it.live.Ready()
}

func (it *iterator) Next() (rxgo.Item, pull.State) {
	if it.done {
		return rxgo.Item{}, pull.Done
	}
	if it.hist != nil {
		item, st, err := it.hist.next()
		switch {
		case st == pull.Value:
			return item, st
		case st == pull.Empty:
			return item, st
		case err != nil:
			it.Close()
			return rxgo.Error(err), pull.Value
		}
		it.hist = nil // history done: continue on the fan-out
	}
	for {
		item, st := it.live.Next()
		switch st {
		case pull.Empty:
			return item, st
		case pull.Done:
			it.done = true
			if _, err := it.s.endError(); err != nil {
				return rxgo.Error(err), pull.Value
			}
			return item, st
		}
		if it.skip > 0 {
			if ev, ok := item.V.(encoder.MessageEvent); ok {
				if _, seq, ok := publish.ParseID(ev.ID); ok && seq <= it.skip {
					continue
				}
			}
			it.skip = 0
		}
		if item.E != nil {
			it.done = true
		}
		return item, st
	}
}

func (it *iterator) Close() {
	it.done = true
	if it.hist != nil {
		it.hist.stop()
	}
	if it.live != nil {
		it.live.Close()
	}
}

// history is the part of a subscription read from the stream: a goroutine
// reads it, through a bounded buffer, while the live part is already
// subscribed.
type history struct {
	cancel context.CancelFunc
	mu     sync.Mutex
	items  []rxgo.Item
	wake   chan struct{} // closed when an item is added or the reading ends
	space  chan struct{} // receives when the reader may add again
	over   bool
	err    error
}

// historyBuffer is how many events the history reader may be ahead of the
// subscriber.
const historyBuffer = 256

func (h *history) ready() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.items) > 0 || h.over {
		return pull.Ready
	}
	if h.wake == nil {
		h.wake = make(chan struct{})
	}
	return h.wake
}

// next returns the next item read; Done with a nil error when everything
// was read, or the error that stopped the reading.
func (h *history) next() (rxgo.Item, pull.State, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.items) > 0 {
		item := h.items[0]
		h.items[0] = rxgo.Item{}
		h.items = h.items[1:]
		if len(h.items) == historyBuffer-1 {
			select {
			case h.space <- struct{}{}:
			default:
			}
		}
		return item, pull.Value, nil
	}
	if h.over {
		return rxgo.Item{}, pull.Done, h.err
	}
	return rxgo.Item{}, pull.Empty, nil
}

// push adds an item, waiting while the buffer is full; it returns false if
// ctx ended.
func (h *history) push(ctx context.Context, item rxgo.Item) bool {
	for {
		h.mu.Lock()
		if len(h.items) < historyBuffer {
			h.items = append(h.items, item)
			h.signal()
			h.mu.Unlock()
			return true
		}
		h.mu.Unlock()
		select {
		case <-ctx.Done():
			return false
		case <-h.space:
		}
	}
}

// finish ends the reading with err (nil: everything was read).
func (h *history) finish(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.over, h.err = true, err
	h.signal()
}

// signal wakes the subscriber. The caller holds h.mu.
func (h *history) signal() {
	if h.wake != nil {
		close(h.wake)
		h.wake = nil
	}
}

func (h *history) stop() { h.cancel() }

// remote starts a subscription that reads the stream before joining the
// fan-out: for an id older than the local window, of another epoch, or
// ahead of what this instance has seen.
//
// It subscribes to the fan-out live first, at its last sequence L, then
// reads the stream from the resume point to L on a goroutine, so the two
// parts meet exactly at L whatever is published meanwhile.
func (b *Broker) remote(ctx context.Context, s *session, stream jetstream.Stream, lastEventID string, topics []string) pull.Iterator {
	live, err := s.log.Subscribe(ctx, fanout.Live, topics)
	if err != nil {
		_, endErr := s.endError()
		return pull.Failed(endErr)
	}
	L := max(live.After(), s.base)
	hctx, cancel := context.WithCancel(ctx)
	h := &history{cancel: cancel, space: make(chan struct{}, 1)}
	it := &iterator{s: s, hist: h, live: live}
	// Close ends the reading too: the history reader stops with the
	// subscription's context or the Broker's.
	stopOnClose := context.AfterFunc(b.ctx, cancel)
	b.readers.Add(1)
	go func() {
		defer b.readers.Done()
		defer stopOnClose()
		defer cancel()
		skip, read, gap, err := b.readHistory(hctx, h, s, stream, L, lastEventID, topics)
		if o := b.cfg.observer; o != nil {
			o.Subscribed(read, gap)
		}
		if b.ctx.Err() != nil {
			err = nil // closed: the live part completes
		} else if err != nil && hctx.Err() == nil {
			b.cfg.logger.Warn("natshub: reading the stream for a resume", "stream", b.cfg.stream, "lastEventID", publish.Truncate(lastEventID), "err", err)
			err = ErrUnavailable
		}
		it.skip = skip
		h.finish(err)
	}()
	return it
}
