package natshub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/internal/fanout"
	"github.com/rxsse/rxsse/internal/publish"
	"github.com/rxsse/rxsse/observable/hub"
)

// Limits of the history reads of one instance: the resumes older than its
// local window, and hub.Oldest joins its fan-out cannot serve. They bound
// what a storm of resumes (every client of a lost instance reconnecting to
// the others at once, or clients asking for history and never reading)
// costs an instance and the NATS servers, whatever its size.
const (
	// historyReaders bounds the history reads under way at once: each
	// holds one ephemeral consumer on the stream. The others wait their
	// turn, in no particular order.
	historyReaders = 8
	// historyBuffer and historyBytes bound what one read holds ahead of
	// its subscriber: NATS prefetches at most that much, and a read whose
	// subscriber does not drain half of it within historyDrainWait (about
	// 1 MB/s) gives its consumer and its turn back until it has. One that
	// drains keeps them: pausing it each time NATS is ahead of it would
	// cost a consumer per 256 KB, and send it to the back of the queue.
	historyBuffer    = 256
	historyBytes     = 256 << 10
	historyDrainWait = 100 * time.Millisecond
	// historyTurnBytes bounds what one read takes from NATS in one turn:
	// then it gives its consumer and its turn back and waits for another,
	// so that however fast its subscriber, it cannot keep a turn for long.
	historyTurnBytes = 4 << 20
	// historyRetry is the first wait before trying again when NATS refuses
	// a consumer (its limit of consumers per stream is reached); it
	// doubles up to historyRetryMax.
	historyRetry    = 50 * time.Millisecond
	historyRetryMax = 2 * time.Second
	// historyCreateWait and historyDeleteWait bound the creation and the
	// deletion of a read's consumer.
	historyCreateWait = 5 * time.Second
	historyDeleteWait = 2 * time.Second
	// historyNextWait bounds one wait for the consumer's next message:
	// see receive.
	historyNextWait = 100 * time.Millisecond
)

// history is the part of a subscription read from the stream: a goroutine
// reads it into a bounded buffer, then joins the session's fan-out where
// the reading ended.
type history struct {
	cancel context.CancelFunc
	mu     sync.Mutex
	items  []rxgo.Item
	bytes  int           // data bytes held in items
	wake   chan struct{} // closed when an item is added or the reading ends
	space  chan struct{} // receives when the subscriber took an item from a full buffer
	over   bool
	err    error
}

func newHistory(cancel context.CancelFunc) *history {
	return &history{cancel: cancel, space: make(chan struct{}, 1)}
}

func (h *history) ready() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.items) > 0 || h.over {
		return fanout.Ready
	}
	if h.wake == nil {
		h.wake = make(chan struct{})
	}
	return h.wake
}

// next returns the next item read; Done with a nil error when everything
// was read, or the error that stopped the reading.
func (h *history) next() (rxgo.Item, bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.items) > 0 {
		item := h.items[0]
		h.items[0] = rxgo.Item{}
		h.items = h.items[1:]
		h.bytes -= dataSize(item)
		select {
		case h.space <- struct{}{}:
		default:
		}
		return item, true, nil
	}
	return rxgo.Item{}, false, h.err
}

// done reports whether the reading has ended and every item was taken.
func (h *history) done() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.over && len(h.items) == 0
}

// full reports whether the reader must wait for the subscriber.
func (h *history) full() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.items) >= historyBuffer || h.bytes >= historyBytes
}

// add appends an item for the subscriber.
func (h *history) add(item rxgo.Item) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.items = append(h.items, item)
	h.bytes += dataSize(item)
	h.signal()
}

// drained reports whether the subscriber has taken at least half of what
// the buffer holds at most.
func (h *history) drained() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.items) <= historyBuffer/2 && h.bytes <= historyBytes/2
}

// waitDrained waits until drained, or ctx ends (its error), or, if wait
// is not zero, wait has passed (false).
func (h *history) waitDrained(ctx context.Context, wait time.Duration) (bool, error) {
	var expired <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		expired = t.C
	}
	for !h.drained() {
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-expired:
			return false, nil
		case <-h.space:
		}
	}
	return true, nil
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

// dataSize is the size of an event's encoded data, for the byte bound.
func dataSize(item rxgo.Item) int {
	ev, _ := item.V.(encoder.MessageEvent)
	switch d := ev.Data.(type) {
	case string:
		return len(d)
	case []byte:
		return len(d)
	case json.RawMessage:
		return len(d)
	}
	return 0
}

// acquireReader waits for a turn to read history, or for ctx to end.
func (b *Broker) acquireReader(ctx context.Context) error {
	select {
	case b.historyTurns <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b *Broker) releaseReader() { <-b.historyTurns }

// readHistory reads into h the events of the stream after lastEventID
// (hub.Oldest: from the first one retained) that match topics, then joins
// the session's fan-out right after the last event it covered, and returns
// that live subscription, the sequence up to which it must drop events
// (when the fan-out is behind the stream), how many events it read, and
// whether it could not resume from lastEventID (it then sent the gap event
// first, and read every retained event).
//
// The join is exact whatever is published meanwhile: the reading goes on
// until NATS has no matching event left after it, from a position at least
// as new as the stream's end when the reading began; if the fan-out's
// window no longer reaches back there (the reading took long), the reading
// goes on to the stream's new end and tries again.
//
// The stream is read with ordered consumers on the Broker's history
// connection, filtered on the topics' subjects so that NATS sends only
// events the subscription can match, at most historyReaders at once per
// instance.
func (b *Broker) readHistory(ctx context.Context, h *history, s *session, lastEventID string, topics []string) (live *fanout.Iterator, read int, gap bool, err error) {
	r := &historyRead{b: b, h: h, s: s, topics: topics}
	defer r.stop()
	if err := r.turn(ctx); err != nil {
		return nil, 0, false, err
	}
	first, last, err := r.bounds(ctx)
	if err != nil {
		return nil, 0, false, err
	}
	if lastEventID == hub.Oldest {
		lastEventID = publish.FormatID(s.epoch, first-1)
	}
	epoch, seq, ok := publish.ParseID(lastEventID)
	if gap = !ok || epoch != s.epoch || seq+1 < first || seq > last; gap {
		b.cfg.logger.Info("natshub: resume gap, replaying every retained event", "stream", b.cfg.stream, "lastEventID", publish.Truncate(lastEventID), "first", first)
		h.add(rxgo.Of(publish.Gap(s.epoch, first-1, lastEventID)))
		seq = first - 1
	}
	r.pos, r.target = seq, last
	r.caught = r.pos >= r.target // nothing to read: no consumer needed
	for {
		if r.caught {
			// Done with NATS: another read may take the turn while this
			// one waits for the fan-out.
			r.stop()
			live, err := s.subscribeAt(ctx, max(r.pos, r.target), topics)
			if !errors.Is(err, fanout.ErrTooOld) {
				return live, r.read, gap, err
			}
			// The fan-out's window has moved past where the reading got
			// to: read on to the stream's new end.
			if _, r.target, err = r.bounds(ctx); err != nil {
				return nil, r.read, gap, err
			}
			if r.caught, err = r.nothingPending(ctx); err != nil {
				return nil, r.read, gap, err
			}
			continue
		}
		if err := r.next(ctx); err != nil {
			return nil, r.read, gap, err
		}
	}
}

// historyRead is the state of one readHistory.
type historyRead struct {
	b      *Broker
	h      *history
	s      *session
	topics []string

	held   bool // a turn (see historyReaders)
	cons   jetstream.Consumer
	msgs   jetstream.MessagesContext
	pos    uint64 // every matching event up to this sequence is in h
	target uint64 // the stream's end when last asked
	caught bool   // NATS had no matching event after pos, after target was asked
	read   int
	taken  int // bytes received from NATS in this turn (see historyTurnBytes)

	wait    context.Context // bounds the waits of receive, historyNextWait at a time
	endWait context.CancelFunc
}

// turn waits for a turn to read.
func (r *historyRead) turn(ctx context.Context) error {
	if r.held {
		return nil
	}
	if err := r.b.acquireReader(ctx); err != nil {
		return err
	}
	r.held = true
	return nil
}

// stop lets go of the consumer and the turn. The consumer is deleted in the
// background, so that the read goes on at once (to its join, say), and the
// turn is given back only once it is gone: the consumers of history reads
// never outnumber the turns. The caller is a reader, counted in b.readers.
func (r *historyRead) stop() {
	if r.endWait != nil {
		r.endWait()
		r.wait, r.endWait = nil, nil
	}
	if r.msgs == nil {
		if r.held {
			r.held = false
			r.b.releaseReader()
		}
		return
	}
	r.msgs.Stop()
	cons := r.cons
	r.msgs, r.cons, r.held = nil, nil, false // a consumer is only had with a turn
	r.b.readers.Add(1)
	go func() {
		defer r.b.readers.Done()
		r.b.deleteConsumer(cons)
		r.b.releaseReader()
	}()
}

// bounds returns the sequences of the stream's first and last events (an
// empty stream: last+1 and last), after checking it is still the
// session's epoch.
func (r *historyRead) bounds(ctx context.Context) (first, last uint64, err error) {
	stream, err := r.b.hjs.Stream(ctx, r.b.cfg.stream)
	if err != nil {
		return 0, 0, err
	}
	info := stream.CachedInfo()
	if epochOf(info.Created) != r.s.epoch {
		return 0, 0, fmt.Errorf("stream %q was recreated", r.b.cfg.stream)
	}
	first, last = info.State.FirstSeq, info.State.LastSeq
	if first == 0 {
		first = last + 1 // an empty stream: NATS reports 0 until its first event
	}
	return first, last, nil
}

// nothingPending reports whether NATS has no matching event after pos.
func (r *historyRead) nothingPending(ctx context.Context) (bool, error) {
	if r.msgs == nil {
		return false, nil // the next consumer tells
	}
	info, err := r.cons.Info(ctx)
	if err != nil {
		return false, err
	}
	return info.NumPending == 0, nil
}

// next reads one more event into h, or finds that there is none after pos
// (caught), starting a consumer after pos if there is none, and giving the
// consumer and the turn back while the subscriber does not drain h (see
// historyDrainWait).
func (r *historyRead) next(ctx context.Context) error {
	if r.taken >= historyTurnBytes {
		r.stop() // to the back of the queue
	}
	if r.h.full() {
		drained, err := r.h.waitDrained(ctx, historyDrainWait)
		if err != nil {
			return err
		}
		if !drained {
			r.stop()
			if _, err := r.h.waitDrained(ctx, 0); err != nil {
				return err
			}
		}
	}
	if r.msgs == nil {
		if err := r.consume(ctx); err != nil {
			return err
		}
		if r.caught {
			return nil
		}
	}
	m, err := r.receive(ctx)
	if err != nil {
		return err
	}
	r.taken += len(m.Data())
	md, err := m.Metadata()
	if err != nil {
		return err
	}
	n := md.Sequence.Stream
	e, err := readMsg(n, md.Timestamp, m.Headers(), m.Data())
	if err == nil && fanout.Match(r.topics, e.topics) {
		e.ev.ID = publish.FormatID(r.s.epoch, n)
		r.h.add(rxgo.Of(e.ev))
		r.read++
	}
	r.pos = n
	r.caught = md.NumPending == 0
	return nil
}

// receive returns the next message of the consumer. It waits at most
// historyNextWait in each call of Next, and calls it again: nats.go
// (v1.55.0) decides to send the next pull request only when Next is
// called, and skips it if the previous request is still being sent, so a
// request that ends (here at its byte limit, every few messages) while the
// previous one is in flight leaves Next waiting for nothing until the
// missed heartbeats reset the consumer, 10 s later. Calling Next again
// sends it.
func (r *historyRead) receive(ctx context.Context) (jetstream.Msg, error) {
	for {
		if r.wait == nil || r.wait.Err() != nil {
			if r.endWait != nil {
				r.endWait()
			}
			r.wait, r.endWait = context.WithTimeout(ctx, historyNextWait)
		}
		m, err := r.msgs.Next(jetstream.NextContext(r.wait))
		if err == nil || ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) {
			return m, err
		}
	}
}

// consume starts an ordered consumer after pos, once a turn is had and
// NATS accepts it; a refusal for the stream's limit of consumers is tried
// again later, never passed on as an empty stream.
func (r *historyRead) consume(ctx context.Context) error {
	wait := historyRetry
	for {
		if err := r.turn(ctx); err != nil {
			return err
		}
		err := r.start()
		if err == nil || !errors.Is(err, jetstream.ErrMaximumConsumersLimit) {
			return err
		}
		r.stop()
		r.b.cfg.logger.Warn("natshub: the stream's consumer limit is reached; a history read waits", "stream", r.b.cfg.stream, "retry", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, historyRetryMax)
	}
}

// start creates the consumer after pos and its message stream. The
// creation is not cut short when the subscriber goes away or the Broker
// closes: NATS may create a consumer whose request was abandoned, and only
// a read that knows its consumer deletes it (stop).
func (r *historyRead) start() error {
	ctx, cancel := context.WithTimeout(context.Background(), historyCreateWait)
	defer cancel()
	cons, err := r.b.hjs.OrderedConsumer(ctx, r.b.cfg.stream, jetstream.OrderedConsumerConfig{
		FilterSubjects:    filterSubjects(r.b.prefix, r.topics),
		DeliverPolicy:     jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:       r.pos + 1,
		InactiveThreshold: 5 * time.Second,
	})
	if err != nil {
		return err
	}
	msgs, err := cons.Messages(jetstream.PullMaxMessagesWithBytesLimit(historyBuffer, historyBytes))
	if err != nil {
		r.b.deleteConsumer(cons) // holding the turn
		return err
	}
	r.cons, r.msgs, r.taken = cons, msgs, 0
	if ci := cons.CachedInfo(); ci != nil && ci.NumPending == 0 {
		r.caught = true // nothing matches after pos
	}
	return nil
}

// deleteConsumer deletes a history read's consumer from the server once
// the read has stopped it. Stopping leaves it there until its inactivity
// threshold, 10 s later: without this, every pause of a read and every
// read that ends would leave a consumer behind, and a storm of resumes
// would pile them up by the hundred, up to the stream's limit, which then
// stalls every read. If NATS does not answer, the threshold cleans up.
func (b *Broker) deleteConsumer(cons jetstream.Consumer) {
	info := cons.CachedInfo()
	conn := b.hc
	if conn == nil {
		conn = b.nc
	}
	if info == nil || !conn.IsConnected() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), historyDeleteWait)
	defer cancel()
	if err := b.hjs.DeleteConsumer(ctx, b.cfg.stream, info.Name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		b.cfg.logger.Debug("natshub: deleting a history consumer", "stream", b.cfg.stream, "consumer", info.Name, "err", err)
	}
}
