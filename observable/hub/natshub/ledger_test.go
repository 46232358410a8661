package natshub

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/internal/publish"
	"github.com/rxsse/rxsse/observable/hub"
)

// ledger is what the publishers of a fault test sent and what NATS
// acknowledged, the reference the clients' streams are checked against:
// every acknowledged event of a client's topics after its start, exactly
// once and in order.
type ledger struct {
	t0 time.Time // times in notes are relative to it

	mu       sync.Mutex
	epoch    string
	acked    map[uint64]ackedEvent
	attempts []publishAttempt  // every Publish, in the order they returned
	last     map[string]uint64 // the latest sequence acknowledged, by topic
	errs     map[string]int    // Publish errors, by message
	failed   map[uint64]string // the error of each failed Publish, by checksum of its data
	bad      []string          // ids Publish returned that cannot be right
	changed  chan struct{}     // closed and replaced on every attempt
}

// publishAttempt is one call of Publish.
type publishAttempt struct {
	node              int
	started, returned time.Time
	seq               uint64 // 0: it failed
}

// ackedEvent is an event whose id Publish returned.
type ackedEvent struct {
	topic             string
	sum               uint64 // of the data
	node              int
	started, returned time.Time
}

// publishTimeout bounds one Publish, as an application would.
const publishTimeout = 2 * time.Second

func newLedger() *ledger {
	return &ledger{
		t0:      time.Now(),
		acked:   map[uint64]ackedEvent{},
		last:    map[string]uint64{},
		errs:    map[string]int{},
		failed:  map[uint64]string{},
		changed: make(chan struct{}),
	}
}

// publish publishes data to topic through b (instance number node) and
// records the outcome. It reports whether NATS acknowledged the event.
func (l *ledger) publish(ctx context.Context, b *Broker, node int, topic, data string) bool {
	started := time.Now()
	pctx, cancel := context.WithTimeout(ctx, publishTimeout)
	id, err := b.Publish(pctx, encoder.MessageEvent{Data: data}, topic)
	cancel()
	returned := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	defer l.signal()
	a := publishAttempt{node: node, started: started, returned: returned}
	if err != nil {
		l.attempts = append(l.attempts, a)
		l.errs[firstLine(err.Error())]++
		l.failed[checksum(data)] = firstLine(err.Error())
		return false
	}
	epoch, seq, ok := publish.ParseID(id)
	switch {
	case !ok:
		l.bad = append(l.bad, fmt.Sprintf("Publish returned %q, not a stream id", id))
	case l.epoch != "" && epoch != l.epoch:
		l.bad = append(l.bad, fmt.Sprintf("Publish returned %s, of another epoch than %s", id, l.epoch))
	case l.has(seq):
		l.bad = append(l.bad, fmt.Sprintf("Publish returned %s twice", id))
	}
	if !ok {
		l.attempts = append(l.attempts, a)
		return false
	}
	l.epoch = epoch
	a.seq = seq
	l.attempts = append(l.attempts, a)
	l.acked[seq] = ackedEvent{topic: topic, sum: checksum(data), node: node, started: started, returned: returned}
	l.last[topic] = max(l.last[topic], seq)
	return true
}

// has reports whether seq was acknowledged. The caller holds l.mu.
func (l *ledger) has(seq uint64) bool {
	_, ok := l.acked[seq]
	return ok
}

// signal wakes waitUntil. The caller holds l.mu.
func (l *ledger) signal() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// waitUntil waits until cond, called with l.mu held after every Publish,
// is true, and reports whether it was before the timeout.
func (l *ledger) waitUntil(timeout time.Duration, cond func() bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		l.mu.Lock()
		ok, ch := cond(), l.changed
		l.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-deadline.C:
			return false
		}
	}
}

// counts returns how many events were published and acknowledged.
func (l *ledger) counts() (published, acknowledged int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.attempts), len(l.acked)
}

// errors lists the Publish errors, most frequent first.
func (l *ledger) errors() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := &logCount{n: l.errs}
	return c.String()
}

// since formats t relative to the start of the test.
func (l *ledger) since(t time.Time) string {
	return t.Sub(l.t0).Round(time.Millisecond).String()
}

// checksum is FNV-1a of s: clients keep it instead of the data.
func checksum(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// tally is what one client received, across its connections.
type tally struct {
	name   string
	topics []string

	mu       sync.Mutex
	start    uint64 // every acknowledged event after this sequence is expected
	hasStart bool
	// liveOpen is when the latest connection made without an id got its
	// response: the subscription existed by then, so every event whose
	// Publish began later is expected too, whatever the start.
	liveOpen  time.Time
	epoch     string
	got       []receivedEvent
	last      uint64 // the highest sequence received
	gaps      int
	problems  []string
	connects  int // connections that got a response
	failed    int // connection attempts that got none
	ends      int // connections the client did not close itself that ended
	node      string
	target    uint64
	reached   chan struct{} // closed when last reaches target
	reachedAt time.Time     // when last reached the latest target
	err       error         // what stopped the client, if it stopped by itself
}

// receivedEvent is one event a client received.
type receivedEvent struct {
	seq uint64
	sum uint64
}

func newTally(name string, topics []string) *tally {
	return &tally{name: name, topics: topics}
}

// resumeFrom makes the client start after id, which it sends as
// Last-Event-ID on its first connection.
func (c *tally) resumeFrom(id string) {
	_, seq, ok := publish.ParseID(id)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !ok {
		c.problem("resume from %q: not a stream id", id)
		return
	}
	c.start, c.hasStart = seq, true
}

// opened records a connection that got a response from node, made
// without an id if live.
func (c *tally) opened(node string, live bool) {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.connects++
	c.node = node
	if live {
		if c.hasStart {
			c.problem("a live connection after the start was known")
		}
		c.liveOpen = now
	}
}

// openFailed records a connection attempt that got no response.
func (c *tally) openFailed() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failed++
	c.node = ""
}

// ended records the end of a connection the client did not close itself.
func (c *tally) ended() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ends++
}

// startBlock records the id of the id-only block a live stream starts
// with ("id: <id>" and a blank line, no data): the position its
// subscription started at, from which every acknowledged event is expected.
func (c *tally) startBlock(id string) {
	_, seq, ok := publish.ParseID(id)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !ok {
		c.problem("start block id %q: not a stream id", id)
		return
	}
	if !c.hasStart {
		c.start, c.hasStart = seq, true
	}
}

// receive records an event.
func (c *tally) receive(ev encoder.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ev.Type == hub.GapEventType {
		c.gaps++
		return
	}
	epoch, seq, ok := publish.ParseID(ev.LastEventID)
	switch {
	case ev.Type != "message":
		c.problem("an event of type %q", ev.Type)
		return
	case !ok:
		c.problem("an event with id %q, not a stream id", ev.LastEventID)
		return
	case c.epoch != "" && epoch != c.epoch:
		c.problem("an event of epoch %s after epoch %s", epoch, c.epoch)
	}
	c.epoch = epoch
	if !c.hasStart {
		c.problem("event %d before a start block", seq)
		c.start, c.hasStart = seq-1, true
	}
	c.got = append(c.got, receivedEvent{seq: seq, sum: checksum(ev.Data)})
	c.last = max(c.last, seq)
	if c.reached != nil && c.last >= c.target {
		close(c.reached)
		c.reached, c.reachedAt = nil, time.Now()
	}
}

// stopped records the error that stopped the client.
func (c *tally) stopped(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.err = err
}

// await returns a channel closed once the client has received an event of
// sequence target or later; reached then tells when.
func (c *tally) await(target uint64) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.reached != nil {
		close(c.reached) // an earlier wait is over: nobody waits on it now
	}
	c.target, c.reached = target, make(chan struct{})
	ch := c.reached
	if c.last >= target {
		close(c.reached)
		c.reached, c.reachedAt = nil, time.Now()
	}
	return ch
}

// reachedTime returns when the client reached the latest target.
func (c *tally) reachedTime() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reachedAt
}

// status describes where the client is, for a failure message.
func (c *tally) status() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	node := c.node
	if node == "" {
		node = "none"
	}
	return fmt.Sprintf("%s %v: last %d, target %d, start %d, %d events, on %s, %d connections (%d failed, %d ended), err %v",
		c.name, c.topics, c.last, c.target, c.start, len(c.got), node, c.connects, c.failed, c.ends, c.err)
}

// problem notes something the client received that cannot be right. The
// caller holds c.mu.
func (c *tally) problem(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

// awaitAll waits until every client has received the latest acknowledged
// event it is expected to receive, for at most timeout, and returns the
// clients that have not. Call it once the publishers have stopped.
func awaitAll(l *ledger, clients []*tally, timeout time.Duration) (behind []*tally) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	waits := make([]<-chan struct{}, len(clients))
	for i, c := range clients {
		waits[i] = c.await(l.expectedLast(c))
	}
	for i, ch := range waits {
		select {
		case <-ch:
			continue
		case <-deadline.C:
		}
		for j, c := range clients[i:] {
			select {
			case <-waits[i+j]:
			default:
				behind = append(behind, c)
			}
		}
		return behind
	}
	return nil
}

// expectedLast returns the latest acknowledged event that client c is
// expected to receive, or 0 if none.
func (l *ledger) expectedLast(c *tally) uint64 {
	c.mu.Lock()
	hasStart, start, liveOpen := c.hasStart, c.start, c.liveOpen
	c.mu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	var last uint64
	if hasStart {
		for _, t := range c.topics {
			last = max(last, l.last[t])
		}
		if last <= start {
			last = 0
		}
		return last
	}
	if liveOpen.IsZero() {
		return 0
	}
	for seq, e := range l.acked {
		if seq > last && e.started.After(liveOpen) && slices.Contains(c.topics, e.topic) {
			last = seq
		}
	}
	return last
}

// verdict is the outcome of checking the clients against the ledger.
type verdict struct {
	clients    int
	delivered  int // events received (gap events not counted)
	lost       int // acknowledged events a client should have received and did not
	duplicated int // events a client received again
	disordered int // events a client received after a later one
	gaps       int // gap events received
	foreign    int // events of topics the client did not ask for
	mismatched int // events whose data is not what Publish sent with that id
	unacked    int // events received that Publish did not acknowledge (allowed), counted once each
	// unackedBy counts the events of unacked by the error their Publish
	// returned: what can be stored while Publish fails.
	unackedBy map[string]int
	problems  int // other impossibilities (see tally.problem)
	notes     []string
}

// failed reports whether anything went wrong that must not.
func (v verdict) failed() bool {
	return v.lost+v.duplicated+v.disordered+v.gaps+v.foreign+v.mismatched+v.problems > 0
}

func (v verdict) String() string {
	return fmt.Sprintf("delivered=%d lost=%d duplicated=%d disordered=%d gaps=%d foreign=%d mismatched=%d unacked-delivered=%d problems=%d",
		v.delivered, v.lost, v.duplicated, v.disordered, v.gaps, v.foreign, v.mismatched, v.unacked, v.problems)
}

// unackedErrors lists the errors Publish returned for the events received
// that it did not acknowledge.
func (v verdict) unackedErrors() string {
	return (&logCount{n: v.unackedBy}).String()
}

// maxNotes bounds the problems a verdict describes.
const maxNotes = 40

func (v *verdict) note(format string, args ...any) {
	if len(v.notes) < maxNotes {
		v.notes = append(v.notes, fmt.Sprintf(format, args...))
	}
}

// check checks what every client received against the ledger. Call it
// once the publishers and the clients have stopped.
func (l *ledger) check(clients []*tally) verdict {
	l.mu.Lock()
	defer l.mu.Unlock()
	byTopic := map[string][]uint64{}
	for seq, e := range l.acked {
		byTopic[e.topic] = append(byTopic[e.topic], seq)
	}
	for _, seqs := range byTopic {
		slices.Sort(seqs)
	}
	v := verdict{clients: len(clients), unackedBy: map[string]int{}}
	unacked := map[uint64]string{} // sequence → the error of its Publish
	for _, b := range l.bad {
		v.problems++
		v.note("publish: %s", b)
	}
	for _, c := range clients {
		c.mu.Lock()
		v.gaps += c.gaps
		if c.gaps > 0 {
			v.note("%s %v: %d gap events", c.name, c.topics, c.gaps)
		}
		for _, p := range c.problems {
			v.problems++
			v.note("%s %v: %s", c.name, c.topics, p)
		}
		if c.epoch != "" && c.epoch != l.epoch {
			v.problems++
			v.note("%s %v: epoch %s, the stream's is %s", c.name, c.topics, c.epoch, l.epoch)
		}
		seen := make(map[uint64]struct{}, len(c.got))
		var prev uint64
		for _, g := range c.got {
			v.delivered++
			if _, dup := seen[g.seq]; dup {
				v.duplicated++
				v.note("%s %v: %d received again", c.name, c.topics, g.seq)
				continue
			}
			seen[g.seq] = struct{}{}
			if g.seq < prev {
				v.disordered++
				v.note("%s %v: %d received after %d", c.name, c.topics, g.seq, prev)
			}
			prev = max(prev, g.seq)
			e, ok := l.acked[g.seq]
			switch {
			case !ok:
				if err, ok := l.failed[g.sum]; ok {
					unacked[g.seq] = err
				} else {
					v.problems++
					v.note("%s %v: %d is no event a publisher sent", c.name, c.topics, g.seq)
				}
			case !slices.Contains(c.topics, e.topic):
				v.foreign++
				v.note("%s %v: %d of topic %s", c.name, c.topics, g.seq, e.topic)
			case e.sum != g.sum:
				v.mismatched++
				v.note("%s %v: %d is not the data Publish sent with that id", c.name, c.topics, g.seq)
			}
		}
		lost := 0
		for _, topic := range c.topics {
			for _, seq := range byTopic[topic] {
				e := l.acked[seq]
				want := (c.hasStart && seq > c.start) || (!c.liveOpen.IsZero() && e.started.After(c.liveOpen))
				if _, ok := seen[seq]; want && !ok {
					lost++
					if lost <= 3 {
						v.note("%s %v (start %d, %d received, last %d): lost %d (%s, published on instance %d at %s, acknowledged at %s)",
							c.name, c.topics, c.start, len(c.got), c.last, seq, e.topic, e.node, l.since(e.started), l.since(e.returned))
					}
				}
			}
		}
		v.lost += lost
		c.mu.Unlock()
	}
	v.unacked = len(unacked)
	for _, err := range unacked {
		v.unackedBy[err]++
	}
	return v
}
