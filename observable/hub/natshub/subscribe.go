package natshub

import (
	"context"
	"errors"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/internal/fanout"
	"github.com/rxsse/rxsse/internal/publish"
	"github.com/rxsse/rxsse/observable"
	"github.com/rxsse/rxsse/observable/hub"
)

// Subscribe returns a cold Observable of encoder.MessageEvent items, as
// hub.Hub.Subscribe does: each subscription replays the events after
// lastEventID that match topics, then continues live, with no gap and no
// duplicate at the seam. An empty lastEventID means live events only, and
// hub.Oldest every event the stream retains first; an id that cannot be
// resumed from (malformed, of another epoch of the stream, or older than
// what the stream retains) gets the hub.GapEventType event first, then
// every event the stream retains.
//
// A resume within the instance's local window is served from memory; an
// older one reads the stream from NATS first. A subscription ends with
// hub.ErrSlowSubscriber if it falls behind, with ErrUnavailable if the
// instance loses NATS, and completes when the Broker is closed.
func (b *Broker) Subscribe(lastEventID string, topics ...string) rxgo.Observable {
	topics, err := publish.Topics(topics, hub.ErrEmptyTopic)
	return observable.Pulled(func(ctx context.Context) observable.Iterator {
		if err != nil {
			return fanout.Failed(err)
		}
		return b.iterate(ctx, lastEventID, topics)
	})
}

// iterate starts one subscription.
func (b *Broker) iterate(ctx context.Context, lastEventID string, topics []string) observable.Iterator {
	b.mu.Lock()
	s, closed := b.sess, b.closed
	b.mu.Unlock()
	if closed {
		return fanout.Failed(nil)
	}
	if ended, err := s.endError(); ended {
		return fanout.Failed(err)
	}
	// What this instance has published or delivered: the fan-out may not
	// have reached it yet.
	_, last := s.log.Bounds()
	latest := max(last, b.acked.Load(), s.live)
	it := &iterator{b: b, s: s, ctx: ctx, topics: topics}
	switch lastEventID {
	case "":
		// Live: everything after latest.
		it.after, it.target = latest, latest
		it.start = publish.FormatID(s.epoch, latest)
		it.join()
		return it
	case hub.Oldest:
		// Where the retained events start is known once the subscription
		// has joined the fan-out or read the stream: until then, a client
		// cut off resumes from the oldest event again.
		it.start = hub.Oldest
		if s.holdsStream() {
			it.oldest, it.target = true, latest
			it.join()
			return it
		}
		b.remote(it, lastEventID)
		return it
	}
	epoch, seq, ok := publish.ParseID(lastEventID)
	// Served from memory only if the stream still retains what follows
	// seq, so that a resume the stream would answer with a gap gets it
	// whatever the consumer's lag.
	if ok && epoch == s.epoch && seq >= s.base && seq <= latest && (s.maxMsgs == 0 || seq+s.maxMsgs >= latest) {
		it.after, it.target = seq, latest
		it.join()
		return it
	}
	b.remote(it, lastEventID)
	return it
}

// holdsStream reports whether the session's fan-out still holds every
// event the stream retains: it started at the stream's first event and has
// dropped none since, or it holds at least as many of the latest events as
// the stream keeps at most.
func (s *session) holdsStream() bool {
	first, last := s.log.Bounds()
	return (s.whole && first <= s.base+1) || (s.maxMsgs > 0 && first+s.maxMsgs <= last+1)
}

// iterator is a subscription of a Broker. It joins the session's fan-out
// once the fan-out has reached target, the latest event the instance knew
// of when the subscription started, so that what it resumes from is
// replayed from the fan-out's window rather than rushed into its live
// ring as the consumer catches up. A resume older than the fan-out's
// window reads the stream first (hist), then joins.
type iterator struct {
	b      *Broker
	s      *session
	ctx    context.Context
	topics []string

	// Before the join: where to join (after, or the window's oldest
	// event), once the fan-out has reached target.
	after, target uint64
	oldest        bool
	wait          <-chan struct{} // ready when the fan-out moves, while joining

	hist   *history            // the part read from the stream, until it has yielded everything
	live   *fanout.Iterator    // the fan-out, once joined
	start  string              // the start position a client does not have yet, or ""
	failed observable.Iterator // the subscription could not start: this is all it yields
	done   bool
}

// StartID returns the position the subscription started at when the client
// does not have it: it asked for live events or the oldest ones.
func (it *iterator) StartID() string { return it.start }

// join joins the fan-out if it has reached target, or arms wait. A
// resume the fan-out's window no longer holds reads the stream instead.
func (it *iterator) join() {
	reached, wait := it.s.reached(it.target)
	if !reached {
		it.wait = wait
		return
	}
	it.wait = nil
	var live *fanout.Iterator
	var err error
	if it.oldest {
		live, err = it.s.log.SubscribeOldest(it.ctx, it.topics)
	} else {
		live, err = it.s.log.Subscribe(it.ctx, it.after, it.topics)
	}
	switch {
	case errors.Is(err, fanout.ErrTooOld):
		it.b.remote(it, publish.FormatID(it.s.epoch, it.after))
		return
	case err != nil:
		_, endErr := it.s.endError()
		it.failed = fanout.Failed(endErr)
		return
	}
	if o := it.b.cfg.observer; o != nil {
		o.Subscribed(live.Replayed(), false)
	}
	if it.oldest {
		it.start = publish.FormatID(it.s.epoch, live.After())
	}
	it.live = live
}

func (it *iterator) Ready() <-chan struct{} {
	switch {
	case it.failed != nil:
		return it.failed.Ready()
	case it.hist != nil:
		return it.hist.ready()
	case it.live == nil:
		return it.wait
	}
	return it.live.Ready()
}

func (it *iterator) Next() (rxgo.Item, observable.State) {
	if it.done {
		return rxgo.Item{}, observable.Done
	}
	if it.hist != nil {
		item, ok, err := it.hist.next()
		switch {
		case ok:
			return item, observable.Value
		case !it.hist.done():
			return rxgo.Item{}, observable.Empty
		case err != nil:
			it.done = true
			return rxgo.Error(err), observable.Value
		case it.live == nil:
			it.done = true // the Broker closed while reading: complete
			return rxgo.Item{}, observable.Done
		}
		it.hist = nil // history done: continue on the fan-out
	}
	if it.live == nil && it.failed == nil {
		if it.ctx.Err() != nil {
			it.done = true
			return rxgo.Item{}, observable.Done
		}
		if it.join(); it.live == nil && it.failed == nil {
			if it.hist != nil {
				return it.Next() // the window did not reach back: reading the stream
			}
			return rxgo.Item{}, observable.Empty
		}
	}
	if it.failed != nil {
		return it.failed.Next()
	}
	item, st := it.live.Next()
	switch {
	case st == observable.Done:
		it.done = true
		if _, err := it.s.endError(); err != nil {
			return rxgo.Error(err), observable.Value
		}
	case st == observable.Value && item.E != nil:
		it.done = true
	}
	return item, st
}

func (it *iterator) Close() {
	it.done = true
	switch {
	case it.failed != nil:
		it.failed.Close()
	case it.hist != nil:
		// The reader may still be joining the fan-out: cancelling its
		// context ends the live part too, wherever it got to.
		it.hist.stop()
	case it.live != nil:
		it.live.Close()
	}
}

// remote makes it a subscription that reads the stream after lastEventID
// before it joins the fan-out: for an id older than the local window, of
// another epoch, or ahead of what this instance has seen, and for
// hub.Oldest when the fan-out does not hold everything the stream does. A
// goroutine reads the stream and joins (see readHistory), bound to the
// subscription's context and the Broker's.
func (b *Broker) remote(it *iterator, lastEventID string) {
	hctx, cancel := context.WithCancel(it.ctx)
	h := newHistory(cancel)
	it.hist = h
	s, topics := it.s, it.topics
	// Close ends the reading too: the history reader stops with the
	// subscription's context or the Broker's.
	stopOnClose := context.AfterFunc(b.ctx, cancel)
	b.readers.Add(1)
	go func() {
		defer b.readers.Done()
		defer stopOnClose()
		// The live part is bound to hctx, so that ending the subscription
		// while this goroutine runs ends it too.
		live, read, gap, err := b.readHistory(hctx, h, s, lastEventID, topics)
		if o := b.cfg.observer; o != nil && err == nil {
			o.Subscribed(read, gap)
		}
		switch {
		case b.ctx.Err() != nil:
			err = nil // closed: complete
		case err != nil && hctx.Err() == nil:
			b.cfg.logger.Warn("natshub: reading the stream for a resume", "stream", b.cfg.stream, "lastEventID", publish.Truncate(lastEventID), "err", err)
			err = ErrUnavailable
		}
		if err != nil || live == nil {
			cancel()
			if live != nil {
				live.Close()
			}
			live = nil
		}
		it.live = live // seen by Next after finish, through h.mu
		h.finish(err)
	}()
}

// subscribeAt joins the session's fan-out after stream sequence after,
// waiting until the fan-out has reached it: it then replays from its
// window. It fails with fanout.ErrTooOld if the window no longer reaches
// back there, and with the session's error if it has ended.
func (s *session) subscribeAt(ctx context.Context, after uint64, topics []string) (*fanout.Iterator, error) {
	if err := s.waitReached(ctx, after); err != nil {
		return nil, err
	}
	it, err := s.log.Subscribe(ctx, after, topics)
	if err != nil && !errors.Is(err, fanout.ErrTooOld) {
		_, err = s.endError()
		if err == nil {
			err = fanout.ErrClosed
		}
	}
	return it, err
}
