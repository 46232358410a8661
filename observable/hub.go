package observable

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
)

// Hub broadcasts events to many subscribers, with a replay window so that a
// client that reconnects with Last-Event-ID gets what it missed. It is the
// in-memory Broker: one process, no goroutines of its own.
//
// Each subscription is a buffered channel that Publish fills without ever
// waiting: a subscriber whose buffer is full is cut off with
// ErrSlowSubscriber, and resumes from the replay window when its client
// reconnects. A subscription ends when the context given to Observe ends;
// idle, it costs its buffer and a few small allocations, and no goroutine.
//
// Create a Hub with NewHub; a Hub is safe for concurrent use.
type Hub struct {
	cfg hubConfig

	mu      sync.Mutex
	closed  bool
	seq     uint64 // sequence number of the latest event, 0 before the first
	win     window
	ids     map[string]uint64 // publisher-chosen ids of retained events
	all     map[*subscriber]struct{}
	byTopic map[string]map[*subscriber]struct{}
	cut     []*subscriber // scratch: subscribers cut off by the current Publish
}

// subscriber is one subscription: a channel, and where it is registered.
// Every field but ch is guarded by Hub.mu.
type subscriber struct {
	ch     chan rxgo.Item
	topics []string    // nil: every event
	mark   uint64      // seq of the last event offered, so a multi-topic match is sent once
	active bool        // registered; its channel is open
	stop   func() bool // unregisters the context.AfterFunc that unsubscribes it
}

// NewHub returns an empty hub.
func NewHub(opts ...HubOption) *Hub {
	cfg := newHubConfig(opts)
	return &Hub{
		cfg:     cfg,
		win:     window{max: cfg.replayCount},
		ids:     make(map[string]uint64),
		all:     make(map[*subscriber]struct{}),
		byTopic: make(map[string]map[*subscriber]struct{}),
	}
}

// Publish delivers ev to every subscriber whose topics match (see Topic)
// and retains it for replay. Unless ev.ID is set, the hub gives it the next
// number of its sequence ("1", "2", ...) as id; an id you set must be
// unique, and should not be a decimal number the hub could assign. It
// returns the event's id.
//
// Publish never waits for a subscriber. It fails only when ctx is already
// done, the hub is closed (ErrHubClosed), or ev's ID or Type could inject
// fields (an *encoder.FieldError), which would break every stream it
// reached.
func (h *Hub) Publish(ctx context.Context, ev encoder.MessageEvent, opts ...PublishOption) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if strings.ContainsAny(ev.ID, "\r\n\x00") {
		return "", &encoder.FieldError{Field: "id", Err: encoder.ErrInvalidID}
	}
	if strings.ContainsAny(ev.Type, "\r\n") {
		return "", &encoder.FieldError{Field: "event", Err: encoder.ErrInvalidType}
	}
	var po publishOptions
	for _, o := range opts {
		if o != nil {
			o(&po)
		}
	}
	began := time.Now()
	topics := normalizeTopics(po.topics)

	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return "", ErrHubClosed
	}
	h.seq++
	e := retained{seq: h.seq, at: h.cfg.clock.Now(), topics: topics}
	if ev.ID == "" {
		ev.ID = strconv.FormatUint(e.seq, 10)
	} else {
		e.id = ev.ID
	}
	e.item = rxgo.Of(ev)
	h.evictExpired(e.at)
	h.forget(h.win.push(e))
	if e.id != "" && h.win.max > 0 {
		h.ids[e.id] = e.seq
	}
	delivered := h.deliver(&e)
	var cut []*subscriber
	if len(h.cut) > 0 {
		cut = slices.Clone(h.cut)
		clear(h.cut)
		h.cut = h.cut[:0]
	}
	h.mu.Unlock()

	for _, s := range cut {
		h.cfg.logger.Warn("hub: slow subscriber cut off", "topics", s.topics, "buffer", h.cfg.buffer, "id", ev.ID)
		if h.cfg.observer != nil {
			h.cfg.observer.Unsubscribed(EndCutOff)
		}
	}
	if h.cfg.observer != nil {
		h.cfg.observer.Published(delivered, time.Since(began))
	}
	return ev.ID, nil
}

// PublishTo is Publish to one topic.
func (h *Hub) PublishTo(ctx context.Context, topic string, ev encoder.MessageEvent) (string, error) {
	return h.Publish(ctx, ev, Topic(topic))
}

// Subscribe returns a cold Observable of encoder.MessageEvent items for one
// client. Each Observe call starts a subscription that first replays the
// retained events after lastEventID, then continues live, with no gap and
// no duplicate at the seam whatever is being published meanwhile.
//
//   - An empty lastEventID means live events only.
//   - An id the hub does not know, or one older than the replay window,
//     replays every retained event, preceded by an event of type
//     GapEventType that tells the client some events are lost.
//
// With topics, the subscription gets only the events published to at least
// one of them, each once; without, it gets every event.
//
// The subscription ends when the context given to Observe (with
// rxgo.WithContext; the transport passes the request's) is done, and its
// channel then closes; without one it lasts until it is cut off or the hub
// is closed. Its items are encoder.MessageEvent values, and the error item
// ErrSlowSubscriber if the hub cuts it off. Close completes it.
//
// Observing it directly costs no goroutine. Operators chained on it (Map,
// Filter, ...) observe it through rxgo.Defer, which adds one goroutine per
// subscription on top of their own.
func (h *Hub) Subscribe(lastEventID string, topics ...string) rxgo.Observable {
	topics = normalizeTopics(topics)
	s := &subscription{hub: h, lastEventID: lastEventID, topics: topics}
	s.Observable = rxgo.Defer([]rxgo.Producer{s.forward})
	return s
}

// Close ends every subscription (each completes) and makes Publish fail with
// ErrHubClosed. Subscriptions started after Close complete at once. It
// returns nil; calling it again does nothing.
func (h *Hub) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	ended := 0
	end := func(set map[*subscriber]struct{}) {
		for s := range set {
			if s.active {
				s.active = false
				s.stop()
				close(s.ch)
				ended++
			}
		}
	}
	end(h.all)
	for _, set := range h.byTopic {
		end(set)
	}
	clear(h.all)
	clear(h.byTopic)
	h.mu.Unlock()

	h.cfg.logger.Debug("hub: closed", "subscriptions", ended)
	if h.cfg.observer != nil {
		for range ended {
			h.cfg.observer.Unsubscribed(EndClosed)
		}
	}
	return nil
}

// subscription is the Observable Subscribe returns. Observe, called on it
// directly (as the transport does), hands out the subscriber's channel
// itself. The embedded Observable serves everything else: rxgo's operators
// call the Observe of the Observable they were called on, which here is the
// embedded rxgo.Defer, whose producer (forward) relays the channel.
type subscription struct {
	rxgo.Observable
	hub         *Hub
	lastEventID string
	topics      []string
}

// Observe starts a subscription bound to the context in opts.
func (s *subscription) Observe(opts ...rxgo.Option) <-chan rxgo.Item {
	return s.hub.subscribe(observeContext(opts), s.lastEventID, s.topics)
}

// forward is the rxgo.Defer producer behind chained operators.
func (s *subscription) forward(ctx context.Context, next chan<- rxgo.Item) {
	items := s.hub.subscribe(ctx, s.lastEventID, s.topics)
	for {
		select {
		case <-ctx.Done():
			return
		case it, ok := <-items:
			if !ok || !it.SendContext(ctx, next) {
				return
			}
		}
	}
}

// observeContext returns the context carried by rxgo Observe options, or
// context.Background() if none is. rxgo keeps its option parsing
// unexported; rxgo.Defer hands the parsed context to its producer, on a
// goroutine that ends as soon as the producer returns.
func observeContext(opts []rxgo.Option) context.Context {
	got := make(chan context.Context, 1)
	done := rxgo.Defer([]rxgo.Producer{func(ctx context.Context, _ chan<- rxgo.Item) {
		got <- ctx
	}}).Observe(opts...)
	for range done {
	}
	return <-got
}

// subscribe registers a subscriber with its replay already queued, and
// arranges for it to leave when ctx is done. Replay and registration happen
// under the lock Publish holds, which is what makes the seam exact.
func (h *Hub) subscribe(ctx context.Context, lastEventID string, topics []string) <-chan rxgo.Item {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		ch := make(chan rxgo.Item)
		close(ch)
		return ch
	}
	h.evictExpired(h.cfg.clock.Now())
	from, gap := h.resumeIndex(lastEventID)
	replayed := 0
	for i := from; i < h.win.size; i++ {
		if matches(topics, h.win.at(i).topics) {
			replayed++
		}
	}
	extra := replayed
	if gap {
		extra++
	}
	// One slot more than the buffer is reserved for the error item that
	// cuts the subscriber off, so that send never blocks.
	s := &subscriber{
		ch:     make(chan rxgo.Item, h.cfg.buffer+extra+1),
		topics: topics,
		mark:   h.seq,
		active: true,
	}
	if gap {
		s.ch <- h.gapItem(lastEventID)
	}
	for i := from; i < h.win.size; i++ {
		if e := h.win.at(i); matches(topics, e.topics) {
			s.ch <- e.item
		}
	}
	if topics == nil {
		h.all[s] = struct{}{}
	} else {
		for _, t := range topics {
			set := h.byTopic[t]
			if set == nil {
				set = make(map[*subscriber]struct{})
				h.byTopic[t] = set
			}
			set[s] = struct{}{}
		}
	}
	// Registered under the lock, so a cut-off in Publish always sees stop.
	// No goroutine waits for ctx: the runtime calls back when it ends.
	s.stop = context.AfterFunc(ctx, func() { h.unsubscribe(s) })
	h.mu.Unlock()

	if gap {
		h.cfg.logger.Info("hub: resume gap, replaying every retained event", "lastEventID", lastEventID, "topics", topics, "replayed", replayed)
	} else {
		h.cfg.logger.Debug("hub: subscribed", "lastEventID", lastEventID, "topics", topics, "replayed", replayed)
	}
	if h.cfg.observer != nil {
		h.cfg.observer.Subscribed(replayed, gap)
	}
	return s.ch
}

// unsubscribe ends s because its context ended.
func (h *Hub) unsubscribe(s *subscriber) {
	h.mu.Lock()
	if !s.active {
		h.mu.Unlock()
		return
	}
	h.remove(s)
	h.mu.Unlock()
	h.cfg.logger.Debug("hub: unsubscribed", "topics", s.topics)
	if h.cfg.observer != nil {
		h.cfg.observer.Unsubscribed(EndLeft)
	}
	// Removed, s gets no more sends; closing last means whoever sees the
	// channel close also sees the observer told.
	close(s.ch)
}

// remove unregisters s. The caller holds h.mu.
func (h *Hub) remove(s *subscriber) {
	s.active = false
	if s.topics == nil {
		delete(h.all, s)
		return
	}
	for _, t := range s.topics {
		set := h.byTopic[t]
		delete(set, s)
		if len(set) == 0 {
			delete(h.byTopic, t)
		}
	}
}

// deliver offers e to every matching subscriber and returns how many took
// it. The caller holds h.mu.
func (h *Hub) deliver(e *retained) int {
	delivered := 0
	for s := range h.all {
		if h.offer(s, e) {
			delivered++
		}
	}
	for _, t := range e.topics {
		for s := range h.byTopic[t] {
			if h.offer(s, e) {
				delivered++
			}
		}
	}
	return delivered
}

// offer queues e for s, or cuts s off if its buffer is full. It reports
// whether e was queued. The caller holds h.mu.
func (h *Hub) offer(s *subscriber, e *retained) bool {
	if s.mark == e.seq {
		return false // already offered through another of its topics
	}
	s.mark = e.seq
	// Only the hub sends on s.ch, and only under h.mu, so the length can
	// only shrink between this check and the send.
	if len(s.ch) < cap(s.ch)-1 {
		s.ch <- e.item
		return true
	}
	s.ch <- rxgo.Error(ErrSlowSubscriber) // the reserved slot
	h.remove(s)
	close(s.ch)
	s.stop()
	h.cut = append(h.cut, s)
	return false
}

// resumeIndex returns the index in the window of the first event to replay
// after lastEventID, and whether events the client has not seen are lost.
// The caller holds h.mu.
func (h *Hub) resumeIndex(lastEventID string) (from int, gap bool) {
	if lastEventID == "" {
		return h.win.size, false
	}
	seq, ok := h.ids[lastEventID]
	if !ok {
		n, err := strconv.ParseUint(lastEventID, 10, 64)
		if err != nil || n > h.seq {
			return 0, true // not an id of this hub
		}
		seq = n
	}
	first := h.win.firstSeq(h.seq + 1)
	if seq+1 < first {
		return 0, true // events after it were dropped
	}
	return int(seq + 1 - first), false
}

// gapItem is the event that tells a resuming client events are lost. Its id
// is the position just before the oldest retained event. The caller holds
// h.mu.
func (h *Hub) gapItem(lastEventID string) rxgo.Item {
	data, _ := json.Marshal(struct {
		LastEventID string `json:"lastEventId"`
	}{lastEventID})
	return rxgo.Of(encoder.MessageEvent{
		Type: GapEventType,
		ID:   strconv.FormatUint(h.win.firstSeq(h.seq+1)-1, 10),
		Data: string(data),
	})
}

// evictExpired drops retained events older than the replay age. The caller
// holds h.mu.
func (h *Hub) evictExpired(now time.Time) {
	if h.cfg.replayAge <= 0 {
		return
	}
	for h.win.size > 0 && now.Sub(h.win.at(0).at) > h.cfg.replayAge {
		h.forget(h.win.pop())
	}
}

// forget drops the id index entry of an event leaving the window. The
// caller holds h.mu.
func (h *Hub) forget(e retained) {
	if e.id != "" && h.ids[e.id] == e.seq {
		delete(h.ids, e.id)
	}
}

// matches reports whether an event published to topics reaches a
// subscriber of want (nil: every event).
func matches(want, topics []string) bool {
	if want == nil {
		return true
	}
	for _, t := range topics {
		if slices.Contains(want, t) {
			return true
		}
	}
	return false
}

// normalizeTopics returns topics without duplicates, or nil if empty.
func normalizeTopics(topics []string) []string {
	if len(topics) == 0 {
		return nil
	}
	out := make([]string, 0, len(topics))
	for _, t := range topics {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}
