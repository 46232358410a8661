// Package fanout is the in-process fan-out core of the brokers of this
// module (observable/hub in memory, the NATS broker across processes): a
// bounded log of already boxed, already encoded events, read by cursors.
//
// Appending never waits for a reader. The log keeps two bounded views of
// the same shared events:
//
//   - the replay window, the latest events (by count and by age), which a
//     new subscription replays after the sequence number it resumes from;
//   - one ring per distinct topic set that live subscriptions use (a
//     "group"), holding the latest Config.MaxLag events of that set. Every
//     subscription of a group is a cursor into the group's ring: no queue,
//     no goroutine, nothing per event per subscriber.
//
// Append touches only the groups the event reaches, and wakes each of them
// with one channel close, whatever its number of subscribers. A
// subscription whose cursor falls more than MaxLag events of its group
// behind (its next event has been overwritten) is cut off: its iterator
// returns Config.ErrSlow as its last item.
package fanout

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/observable"
)

// Errors of Append and Subscribe.
var (
	// ErrClosed: the log is closed.
	ErrClosed = errors.New("fanout: closed")
	// ErrTooOld: events after the sequence number to resume from are no
	// longer retained (or were never retained).
	ErrTooOld = errors.New("fanout: resume point older than the replay window")
	// ErrAhead: the sequence number to resume from is later than the last
	// appended event.
	ErrAhead = errors.New("fanout: resume point after the last event")
	// ErrOrder: Append got a sequence number not greater than the last.
	ErrOrder = errors.New("fanout: sequence numbers must increase")
)

// Live is the resume point of a subscription that wants live events only.
const Live = ^uint64(0)

// Defaults for Config.
const (
	DefaultMaxLag = 4096
)

// Event is one event of the log. Item is shared by every subscriber that
// receives it: it must never change after Append.
type Event struct {
	// Seq is the event's sequence number; each Append's is greater than
	// the last one's.
	Seq uint64
	// Time is when it was published, for Config.ReplayAge.
	Time time.Time
	// Topics are the event's topics, without duplicates; nil reaches every
	// subscription.
	Topics []string
	// Item is what subscribers receive.
	Item rxgo.Item
}

// EndReason says why a subscription ended.
type EndReason string

// The reasons a subscription ends.
const (
	// EndLeft: its context ended or its iterator was closed.
	EndLeft EndReason = "left"
	// EndCutOff: it fell more than MaxLag events behind.
	EndCutOff EndReason = "cut_off"
	// EndClosed: the log was closed.
	EndClosed EndReason = "closed"
)

// Config configures a Log.
type Config struct {
	// Replay is how many of the latest events the replay window holds;
	// zero or less holds none.
	Replay int
	// ReplayAge, if positive, also drops from the replay window events
	// older than it (by Event.Time), measured with Now when an event is
	// appended or a subscription starts. Without it, Event.Time is unused.
	ReplayAge time.Duration
	// MaxLag is how many events of its topic set a subscription may fall
	// behind before it is cut off (DefaultMaxLag if zero or less).
	MaxLag int
	// Start is the sequence number before the first event the log will
	// get: a subscription may resume from it (0: the log starts at the
	// beginning).
	Start uint64
	// Now returns the current time (time.Now if nil).
	Now func() time.Time
	// ErrSlow is the error item a cut-off subscription ends with.
	ErrSlow error
	// OnEnd, if set, is called once for every subscription that ends, with
	// why, outside the log's lock.
	OnEnd func(EndReason)
}

// Log is the shared event log. It is safe for concurrent use.
type Log struct {
	cfg Config

	// mu guards everything below, and the groups' rings. Append, Subscribe
	// and ending a subscription write-lock it; an iterator's Next only
	// read-locks it, so woken subscribers read in parallel.
	mu     sync.RWMutex
	closed bool
	last   uint64   // sequence number of the last event, 0 before any
	floor  uint64   // every event with a greater seq is in the window
	win    []*Event // the replay window, a ring
	wstart int      // index of the oldest event in win
	wsize  int
	all    *group                         // the group of subscriptions to every event, or nil
	groups map[string]*group              // by topic-set key
	list   []*group                       // the same groups, for iterating fast
	topics map[string]map[*group]struct{} // topic → groups subscribed to it
}

// group is the live ring of the subscriptions that share one topic set.
type group struct {
	key    string
	index  int      // in Log.list
	topics []string // nil: every event
	subs   map[*Iterator]struct{}
	mark   uint64 // seq of the last event appended, so a multi-topic event is appended once

	buf   []*Event // ring; position p is at buf[p%len(buf)]
	start uint64   // oldest position still in buf
	head  uint64   // next position to write

	wake  chan struct{} // closed when an event is appended after a reader armed it
	armed atomic.Bool   // a reader found nothing and waits on wake
}

// closedChan is a channel that is always ready.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// New returns an empty Log.
func New(cfg Config) *Log {
	if cfg.MaxLag <= 0 {
		cfg.MaxLag = DefaultMaxLag
	}
	cfg.Replay = max(cfg.Replay, 0)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Log{
		cfg:    cfg,
		last:   cfg.Start,
		floor:  cfg.Start,
		groups: make(map[string]*group),
		topics: make(map[string]map[*group]struct{}),
	}
}

// Advance records that no event will have a sequence number up to seq (the
// source had something else there): a subscription may resume from seq,
// and the next event's must be greater. It does nothing if seq is not
// greater than the last one.
func (l *Log) Advance(seq uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.last = max(l.last, seq)
}

// Append adds e to the log and wakes the subscriptions it reaches. It never
// waits for a subscriber. It returns how many subscriptions the event was
// offered to (those whose topics match it). It fails with ErrClosed after
// Close and with ErrOrder if e.Seq is not greater than the last one.
func (l *Log) Append(e Event) (delivered int, err error) {
	ev := &e
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return 0, ErrClosed
	}
	if e.Seq <= l.last {
		return 0, ErrOrder
	}
	l.last = e.Seq
	l.expire(e.Time)
	l.retain(ev)
	if e.Topics == nil {
		for _, g := range l.list {
			delivered += g.append(ev, l.cfg.MaxLag)
		}
		return delivered, nil
	}
	if l.all != nil {
		delivered += l.all.append(ev, l.cfg.MaxLag)
	}
	for _, t := range e.Topics {
		for g := range l.topics[t] {
			if g.mark != e.Seq {
				delivered += g.append(ev, l.cfg.MaxLag)
			}
		}
	}
	return delivered, nil
}

// retain pushes ev into the replay window. The caller holds l.mu.
func (l *Log) retain(ev *Event) {
	if l.cfg.Replay == 0 {
		l.floor = ev.Seq
		return
	}
	if l.wsize == l.cfg.Replay {
		l.pop()
	}
	if l.wsize == len(l.win) {
		grown := make([]*Event, min(max(2*len(l.win), 16), l.cfg.Replay))
		for i := range l.wsize {
			grown[i] = l.win[(l.wstart+i)%len(l.win)]
		}
		l.win, l.wstart = grown, 0
	}
	l.win[(l.wstart+l.wsize)%len(l.win)] = ev
	l.wsize++
}

// pop drops the oldest event of the window. The caller holds l.mu.
func (l *Log) pop() {
	slot := &l.win[l.wstart]
	l.floor = (*slot).Seq
	*slot = nil
	l.wstart = (l.wstart + 1) % len(l.win)
	l.wsize--
}

// at returns the i-th oldest event of the window. The caller holds l.mu.
func (l *Log) at(i int) *Event { return l.win[(l.wstart+i)%len(l.win)] }

// expire drops window events older than ReplayAge at now. The caller holds
// l.mu for writing.
func (l *Log) expire(now time.Time) {
	if l.cfg.ReplayAge <= 0 {
		return
	}
	for l.wsize > 0 && now.Sub(l.at(0).Time) > l.cfg.ReplayAge {
		l.pop()
	}
}

// append writes ev into g's ring and wakes g's readers. It returns g's
// number of subscriptions. The caller holds the log's lock for writing.
func (g *group) append(ev *Event, maxLag int) int {
	g.mark = ev.Seq
	if g.head-g.start == uint64(len(g.buf)) {
		if len(g.buf) < maxLag {
			g.grow(maxLag)
		} else {
			g.buf[g.start%uint64(len(g.buf))] = nil
			g.start++
		}
	}
	g.buf[g.head%uint64(len(g.buf))] = ev
	g.head++
	if g.armed.Swap(false) {
		close(g.wake)
		g.wake = make(chan struct{})
	}
	return len(g.subs)
}

// grow doubles g's ring, up to maxLag slots, keeping every position where
// it belongs.
func (g *group) grow(maxLag int) {
	grown := make([]*Event, min(max(2*len(g.buf), 8), maxLag))
	for p := g.start; p < g.head; p++ {
		grown[p%uint64(len(grown))] = g.buf[p%uint64(len(g.buf))]
	}
	g.buf = grown
}

// Break records that the events between the last appended one and seq
// (exclusive) are lost to this log: they were never appended and never
// will be (a consumer fell behind its source's retention). Every live
// subscription is cut off with Config.ErrSlow at its next read, since it
// would otherwise jump over them silently, and the replay window forgets
// every event before seq, so that a resume from before the loss fails with
// ErrTooOld instead of being served across it. Subscriptions started
// afterwards are unaffected. Break does nothing if seq follows the last
// event or the log is closed.
func (l *Log) Break(seq uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || seq <= l.last+1 {
		return
	}
	for l.wsize > 0 {
		l.pop()
	}
	l.floor, l.last = seq-1, seq-1
	for _, g := range l.list {
		// Every cursor is now before start: the next read cuts it off.
		clear(g.buf)
		g.head++
		g.start = g.head
		if g.armed.Swap(false) {
			close(g.wake)
			g.wake = make(chan struct{})
		}
	}
}

// Bounds returns the sequence numbers of the oldest event in the replay
// window and of the last appended event. With an empty window, first is
// last+1.
func (l *Log) Bounds() (first, last uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.wsize == 0 {
		return l.last + 1, l.last
	}
	return l.at(0).Seq, l.last
}

// Close ends every subscription: each still returns the events appended
// before Close, then Done. Append and Subscribe then fail with ErrClosed.
// Calling it again does nothing.
func (l *Log) Close() {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	var ended []*Iterator
	for _, g := range l.groups {
		for it := range g.subs {
			it.reason = EndClosed
			ended = append(ended, it)
		}
		clear(g.subs)
		close(g.wake)
		g.wake = closedChan
	}
	clear(l.groups)
	clear(l.topics)
	clear(l.list)
	l.list = nil
	l.all = nil
	l.mu.Unlock()
	for _, it := range ended {
		it.stop()
		if l.cfg.OnEnd != nil {
			l.cfg.OnEnd(EndClosed)
		}
	}
}

// Subscribe starts a subscription to the events whose topics match topics
// (nil: every event; see Match), bound to ctx: when ctx ends, so does the
// subscription, with no goroutine waiting for it.
//
// It first replays the window's matching events with a sequence number
// greater than after, then continues live, with no gap and no duplicate
// between the two whatever is appended meanwhile. With after == Live it
// replays nothing. It fails with ErrTooOld if the window no longer holds
// every event after after, with ErrAhead if after is greater than the last
// sequence number, and with ErrClosed after Close.
func (l *Log) Subscribe(ctx context.Context, after uint64, topics []string) (*Iterator, error) {
	return l.subscribe(ctx, after, topics, false)
}

// SubscribeOldest is Subscribe from the oldest event of the replay window,
// whatever it is; the iterator's After says where that is. A subscription
// that could not resume (ErrTooOld, ErrAhead) starts here instead.
func (l *Log) SubscribeOldest(ctx context.Context, topics []string) (*Iterator, error) {
	return l.subscribe(ctx, 0, topics, true)
}

func (l *Log) subscribe(ctx context.Context, after uint64, topics []string, oldest bool) (*Iterator, error) {
	topics = Normalize(topics)
	key := groupKey(topics)
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil, ErrClosed
	}
	l.expire(l.cfg.Now())
	switch {
	case oldest:
		after = l.floor
	case after == Live:
		after = l.last
	case after > l.last:
		l.mu.Unlock()
		return nil, ErrAhead
	case after < l.floor:
		l.mu.Unlock()
		return nil, ErrTooOld
	}
	it := &Iterator{log: l, ctx: ctx, after: after, wait: closedChan}
	// The first event after `after` in the window, found by binary search
	// since sequence numbers increase but need not be consecutive.
	for i := l.searchAfter(after); i < l.wsize; i++ {
		if e := l.at(i); Match(topics, e.Topics) {
			it.replay = append(it.replay, e)
		}
	}
	g := l.groups[key]
	if g == nil {
		g = &group{key: key, topics: topics, subs: make(map[*Iterator]struct{}), wake: make(chan struct{}), index: len(l.list)}
		l.groups[key] = g
		l.list = append(l.list, g)
		if topics == nil {
			l.all = g
		}
		for _, t := range topics {
			set := l.topics[t]
			if set == nil {
				set = make(map[*group]struct{})
				l.topics[t] = set
			}
			set[g] = struct{}{}
		}
	}
	g.subs[it] = struct{}{}
	it.group = g
	it.cursor = g.head
	// Registered under the lock, so whoever ends it later sees stop.
	it.stop = context.AfterFunc(ctx, func() { l.end(it, EndLeft) })
	l.mu.Unlock()
	return it, nil
}

// searchAfter returns the index in the window of the first event with a
// sequence number greater than after. The caller holds l.mu.
func (l *Log) searchAfter(after uint64) int {
	lo, hi := 0, l.wsize
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if l.at(m).Seq <= after {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// end unregisters it for reason, once.
func (l *Log) end(it *Iterator, reason EndReason) {
	l.mu.Lock()
	if it.reason != "" {
		l.mu.Unlock()
		return
	}
	it.reason = reason
	g := it.group
	delete(g.subs, it)
	if len(g.subs) == 0 && l.groups[g.key] == g {
		delete(l.groups, g.key)
		last := l.list[len(l.list)-1]
		l.list[g.index], last.index = last, g.index
		l.list[len(l.list)-1] = nil
		l.list = l.list[:len(l.list)-1]
		if g == l.all {
			l.all = nil
		}
		for _, t := range g.topics {
			set := l.topics[t]
			delete(set, g)
			if len(set) == 0 {
				delete(l.topics, t)
			}
		}
	}
	l.mu.Unlock()
	it.stop()
	if l.cfg.OnEnd != nil {
		l.cfg.OnEnd(reason)
	}
}

// Iterator is one subscription: the replayed events, then a cursor into its
// group's ring. It implements observable.Iterator; like it, it is used by
// one goroutine at a time.
type Iterator struct {
	log    *Log
	ctx    context.Context
	group  *group
	after  uint64
	replay []*Event // replayed events not yet returned
	cursor uint64   // next position to read in group's ring
	wait   <-chan struct{}
	stop   func() bool
	done   bool // Next returns Done

	reason EndReason // why it ended, "" while active; guarded by log.mu
}

var _ observable.Iterator = (*Iterator)(nil)

// After returns the sequence number the subscription resumed after: its
// first event, if any, has a greater one.
func (it *Iterator) After() uint64 { return it.after }

// Replayed returns how many events the subscription replays.
func (it *Iterator) Replayed() int { return len(it.replay) }

// StartID returns "": the log knows sequence numbers, not a broker's ids. A
// broker wraps the iterator to tell where a subscription started.
func (it *Iterator) StartID() string { return "" }

// Ready returns a channel that is ready when Next may return something new.
func (it *Iterator) Ready() <-chan struct{} { return it.wait }

// Next returns the next event, the error item that cuts the subscription
// off, or Empty or Done.
func (it *Iterator) Next() (rxgo.Item, observable.State) {
	if it.done {
		return rxgo.Item{}, observable.Done
	}
	l := it.log
	if it.ctx.Err() != nil {
		// The context's AfterFunc ends it too, on another goroutine, maybe
		// later: the puller sees the end at once.
		it.done = true
		l.end(it, EndLeft)
		return rxgo.Item{}, observable.Done
	}
	l.mu.RLock()
	switch it.reason {
	case EndLeft, EndCutOff:
		l.mu.RUnlock()
		it.done = true
		return rxgo.Item{}, observable.Done
	}
	if len(it.replay) > 0 {
		e := it.replay[0]
		it.replay[0] = nil
		it.replay = it.replay[1:]
		l.mu.RUnlock()
		return e.Item, observable.Value
	}
	g := it.group
	if it.cursor < g.start {
		l.mu.RUnlock()
		it.done = true
		l.end(it, EndCutOff)
		return rxgo.Error(l.cfg.ErrSlow), observable.Value
	}
	if it.cursor < g.head {
		e := g.buf[it.cursor%uint64(len(g.buf))]
		it.cursor++
		l.mu.RUnlock()
		return e.Item, observable.Value
	}
	if it.reason == EndClosed {
		l.mu.RUnlock()
		it.done = true
		return rxgo.Item{}, observable.Done
	}
	it.wait = g.wake
	g.armed.Store(true)
	l.mu.RUnlock()
	return rxgo.Item{}, observable.Empty
}

// Close ends the subscription. It may be called more than once.
func (it *Iterator) Close() {
	it.done = true
	it.replay = nil
	it.log.end(it, EndLeft)
}

// Match reports whether an event published to topics reaches a
// subscription to want. No topics means all, on both sides: an event
// without topics reaches every subscription, a subscription without topics
// gets every event; otherwise the two sets must share a topic.
func Match(want, topics []string) bool {
	if want == nil || topics == nil {
		return true
	}
	for _, t := range topics {
		if slices.Contains(want, t) {
			return true
		}
	}
	return false
}

// Normalize returns topics sorted and without duplicates, or nil if there
// are none. It does not modify topics.
func Normalize(topics []string) []string {
	if len(topics) == 0 {
		return nil
	}
	topics = slices.Clone(topics)
	slices.Sort(topics)
	return slices.Compact(topics)
}

// groupKey returns a key that is the same for two topic sets exactly when
// they hold the same topics. topics must be sorted and without duplicates.
func groupKey(topics []string) string {
	if topics == nil {
		return ""
	}
	n := 0
	for _, t := range topics {
		n += len(t) + 4
	}
	b := make([]byte, 0, n)
	for _, t := range topics {
		b = strconv.AppendInt(b, int64(len(t)), 10)
		b = append(b, ':')
		b = append(b, t...)
	}
	return string(b)
}
