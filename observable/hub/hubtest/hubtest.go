// Package hubtest is the conformance suite of hub.Broker: every
// implementation (the in-memory hub.Hub, a NATS-backed broker) runs it from
// its own tests, once with the suite's small sizes and once with its
// defaults:
//
//	func TestConformance(t *testing.T) {
//		hubtest.Run(t, 256, 64, func(t *testing.T) hub.Broker { // small and fast
//			return hub.New(hub.WithReplayCount(256), hub.WithBuffer(64))
//		})
//	}
//
//	func TestConformanceDefaults(t *testing.T) {
//		hubtest.Run(t, hub.DefaultReplayCount, hub.DefaultBuffer, func(t *testing.T) hub.Broker {
//			return hub.New()
//		})
//	}
//
// The suite waits on events, never on time: its timeouts (stuck) only turn
// a hang into a failure. Every goroutine it starts ends before its test
// returns. In memory it takes a fraction of a second with the small sizes.
//
// # Pulled subscriptions
//
// The suite requires Subscribe to return a pulled Observable, built with
// observable.Pulled, as the brokers of this module do:
//
//	func (b *Broker) Subscribe(lastEventID string, topics ...string) rxgo.Observable {
//		return observable.Pulled(func(ctx context.Context) observable.Iterator {
//			return b.subscribe(ctx, lastEventID, topics) // the broker's own iterator
//		})
//	}
//
// The transport pulls such a subscription on the goroutine that writes the
// response, with no relay goroutine per subscriber, and only a pulled
// subscription can tell its start position before its first event, without
// which a client cut off before its first event cannot resume. The suite
// holds the broker's observable.Iterator to this: Next never blocks, and
// returns Empty when nothing is ready; Ready's channel becomes readable
// when Next may have something new; the subscription ends (Next returns
// Done) when the context given to start ends or after Close, and after its
// error item (ErrSlowSubscriber for a subscriber cut off); StartID, asked
// before the first Next, returns the id a client resumes from without a
// gap for a subscription started with an empty lastEventID or hub.Oldest.
package hubtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/observable"
	"github.com/rxsse/rxsse/observable/hub"
)

// stuck bounds every wait of the suite: a broker that does not deliver
// within it fails the test instead of hanging it.
const stuck = 10 * time.Second

// suite is what every test of the suite is given.
type suite struct {
	window int // the broker retains exactly the last window events, with no age limit
	maxLag int // the broker cuts off a subscriber more than maxLag events behind (at the latest by 2*maxLag)
	open   func(*testing.T) hub.Broker
}

// Run runs the conformance suite. newBroker returns a new, empty,
// independent broker (with an epoch of its own: two calls stand for two
// processes) that retains exactly the last window events for replay, with
// no age limit, and cuts off a subscriber that falls more than maxLag
// events behind (at the latest by 2*maxLag); window is at least twice
// maxLag.
// The suite closes each broker at the end of its test, and a broker must
// accept a second Close.
//
// Besides the methods' documentation, the suite holds a broker to this: a
// subscription observed with Observe is in place when Observe returns, so
// it receives every event published afterwards; a pulled subscription
// started with an empty lastEventID or hub.Oldest tells its start position
// (the transport's start block), from which a client resumes without a
// gap, even on a broker that has never had an event.
func Run(t *testing.T, window, maxLag int, newBroker func(t *testing.T) hub.Broker) {
	t.Helper()
	if window < 2*maxLag {
		t.Fatalf("hubtest.Run: a window of %d events is smaller than twice the lag bound %d: the suite could not check that a subscriber cut off resumes", window, maxLag)
	}
	s := suite{window: window, maxLag: maxLag, open: func(t *testing.T) hub.Broker {
		b := newBroker(t)
		t.Cleanup(func() {
			if err := b.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return b
	}}
	tests := []struct {
		name string
		run  func(*testing.T, suite)
	}{
		{"EventsArriveInPublishOrderWithTheirIDs", testOrder},
		{"ASubscriptionResumesAfterTheLastEventID", testResume},
		{"AnEmptyLastEventIDIsLiveOnly", testLiveOnly},
		{"OldestStartsAtTheOldestRetainedEventWithoutAGap", testOldest},
		{"AClientWithNoEventYetResumesFromItsStartPosition", testStart},
		{"TheReplayLiveSeamHasNoGapAndNoDuplicateUnderConcurrentPublishing", testSeam},
		{"ConcurrentPublishersReachEverySubscriberExactlyOnceInOrder", testConcurrentPublishers},
		{"AnIDThatCannotBeResumedFromGetsAGapThenTheWindow", testGap},
		{"TopicsFollowOneRuleOnBothSides", testTopics},
		{"ASlowSubscriberIsCutOffWithoutSlowingOthersAndResumes", testSlow},
		{"CloseCompletesSubscriptionsAndRefusesPublishing", testClose},
		{"BadInputIsRejectedAtPublishAndNothingIsRetained", testBadInput},
		{"DataIsEncodedOnceAndSharedReadOnly", testEncoding},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, s) })
	}
}

// puller is how the transport recognises a pulled Observable (see
// observable.Pulled).
type puller interface {
	Pull(ctx context.Context) observable.Iterator
}

// pull starts a pulled subscription of obs that ends with the test; it
// fails the test if the transport could not pull obs.
func pull(t *testing.T, obs rxgo.Observable) observable.Iterator {
	t.Helper()
	src, ok := obs.(puller)
	if !ok {
		t.Fatalf("Subscribe returned a %T, which the transport cannot pull: build it with observable.Pulled", obs)
	}
	it := src.Pull(t.Context())
	t.Cleanup(it.Close)
	return it
}

// observe starts a subscription that ends with the test.
func observe(t *testing.T, obs rxgo.Observable) <-chan rxgo.Item {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return obs.Observe(rxgo.WithContext(ctx))
}

func receive(t *testing.T, ch <-chan rxgo.Item) rxgo.Item {
	t.Helper()
	timeout := time.NewTimer(stuck)
	defer timeout.Stop()
	select {
	case it, ok := <-ch:
		if !ok {
			t.Fatal("stream ended, want an item")
		}
		return it
	case <-timeout.C:
		t.Fatal("no item")
	}
	return rxgo.Item{}
}

// collect reads ch until it closes.
func collect(t *testing.T, ch <-chan rxgo.Item) []rxgo.Item {
	t.Helper()
	timeout := time.NewTimer(stuck)
	defer timeout.Stop()
	var items []rxgo.Item
	for {
		select {
		case it, ok := <-ch:
			if !ok {
				return items
			}
			items = append(items, it)
		case <-timeout.C:
			t.Fatalf("stream still open after %d items", len(items))
		}
	}
}

func event(t *testing.T, it rxgo.Item) encoder.MessageEvent {
	t.Helper()
	if it.E != nil {
		t.Fatalf("error item: %v", it.E)
	}
	ev, ok := it.V.(encoder.MessageEvent)
	if !ok {
		t.Fatalf("item %#v, want an encoder.MessageEvent", it.V)
	}
	return ev
}

// text returns an event's data as a string; data must be a string, []byte
// or json.RawMessage.
func text(t *testing.T, ev encoder.MessageEvent) string {
	t.Helper()
	switch d := ev.Data.(type) {
	case string:
		return d
	case []byte:
		return string(d)
	case json.RawMessage:
		return string(d)
	}
	t.Fatalf("event data %#v (%T), want a string, []byte or json.RawMessage", ev.Data, ev.Data)
	return ""
}

func publish(t *testing.T, b hub.Broker, topics []string, data ...string) []string {
	t.Helper()
	ids := make([]string, len(data))
	for i, d := range data {
		id, err := b.Publish(t.Context(), encoder.MessageEvent{Data: d}, topics...)
		if err != nil {
			t.Fatalf("Publish(%q): %v", d, err)
		}
		ids[i] = id
	}
	return ids
}

func expectData(t *testing.T, ch <-chan rxgo.Item, want ...string) {
	t.Helper()
	for i, w := range want {
		ev := event(t, receive(t, ch))
		if got := text(t, ev); got != w || ev.Type == hub.GapEventType {
			t.Fatalf("event %d: %+v, want data %q", i, ev, w)
		}
	}
}

// expectNext publishes a marker to every topic and expects it next: nothing
// else was delivered before it.
func expectNext(t *testing.T, b hub.Broker, chans ...<-chan rxgo.Item) {
	t.Helper()
	publish(t, b, nil, "marker")
	for _, ch := range chans {
		expectData(t, ch, "marker")
	}
}

func expectGap(t *testing.T, ch <-chan rxgo.Item, lastEventID string) encoder.MessageEvent {
	t.Helper()
	ev := event(t, receive(t, ch))
	if ev.Type != hub.GapEventType || ev.ID == "" {
		t.Fatalf("first event %+v, want a %q event with an id", ev, hub.GapEventType)
	}
	var data struct {
		LastEventID *string `json:"lastEventId"`
	}
	if err := json.Unmarshal([]byte(text(t, ev)), &data); err != nil || data.LastEventID == nil {
		t.Fatalf("gap data %q, want {\"lastEventId\":...}", text(t, ev))
	}
	switch echoed := *data.LastEventID; {
	case len(echoed) > 128:
		t.Errorf("gap echoes %d bytes of the client's id, want at most 128", len(echoed))
	case !strings.HasPrefix(lastEventID, echoed):
		t.Errorf("gap echoes %q, not a prefix of the client's id", echoed)
	case len(lastEventID) <= 128 && echoed != lastEventID:
		t.Errorf("gap echoes %q, want %q", echoed, lastEventID)
	}
	return ev
}

func numbers(from, to int) []string {
	var s []string
	for i := from; i <= to; i++ {
		s = append(s, strconv.Itoa(i))
	}
	return s
}

func testOrder(t *testing.T, s suite) {
	b := s.open(t)
	ch := observe(t, b.Subscribe(""))
	ids := publish(t, b, nil, numbers(1, 50)...)
	seen := map[string]bool{}
	for i, id := range ids {
		ev := event(t, receive(t, ch))
		if text(t, ev) != strconv.Itoa(i+1) || ev.ID != id {
			t.Fatalf("event %d: %+v, want data %d id %q (as Publish returned)", i, ev, i+1, id)
		}
		if id == "" || seen[id] {
			t.Fatalf("id %q is empty or repeated", id)
		}
		seen[id] = true
	}
	expectNext(t, b, ch)
}

func testResume(t *testing.T, s suite) {
	b := s.open(t)
	ids := publish(t, b, nil, "a", "b", "c", "d")
	ch := observe(t, b.Subscribe(ids[1]))
	expectData(t, ch, "c", "d")
	publish(t, b, nil, "e")
	expectData(t, ch, "e")
	expectNext(t, b, ch)

	latest := observe(t, b.Subscribe(ids[3])) // nothing missed but "e"
	expectData(t, latest, "e")
	expectNext(t, b, latest)
}

func testLiveOnly(t *testing.T, s suite) {
	b := s.open(t)
	publish(t, b, nil, "old")
	ch := observe(t, b.Subscribe(""))
	publish(t, b, nil, "new")
	expectData(t, ch, "new")
	expectNext(t, b, ch)
}

// One publisher publishes 0..n-1 while subscribers keep resuming from
// recent ids: every subscription gets a contiguous run that starts right
// after its resume point. A gap event is allowed only when the resume point
// has left the window meanwhile, a cut-off only for a subscriber that fell
// behind; neither may hide a lost or repeated event.
func testSeam(t *testing.T, s suite) {
	const n, readers, perRound = 2000, 8, 20
	b := s.open(t)
	ids := make([]string, n)
	var published atomic.Int64
	var mu sync.Mutex // guards ids
	done := make(chan struct{})
	// The publisher goes in chunks, and before each chunk it waits until a
	// reader has completed a round since the last one, or every reader is
	// waiting for events: rounds then overlap publishing whatever the
	// scheduler does.
	var rounds, waiting atomic.Int64
	changed := make(chan struct{}, 1)
	note := func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	const chunk = 50
	failed := make(chan struct{}) // closed when a reader fails: the publisher stops
	var failOnce sync.Once
	fail := func(err error) {
		t.Error(err)
		failOnce.Do(func() { close(failed) })
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(done)
		seen := int64(0)
		for i := range n {
			if i > 0 && i%chunk == 0 {
				timeout := time.NewTimer(stuck)
				for rounds.Load() == seen && waiting.Load() < readers {
					select {
					case <-changed:
					case <-failed:
						timeout.Stop()
						return
					case <-timeout.C:
						t.Errorf("no round ended and not every reader waits, after %d events", i)
						return
					}
				}
				timeout.Stop()
				seen = rounds.Load()
			}
			id, err := b.Publish(context.Background(), encoder.MessageEvent{Data: strconv.Itoa(i)})
			if err != nil {
				t.Errorf("Publish %d: %v", i, err)
				return
			}
			mu.Lock()
			ids[i] = id
			mu.Unlock()
			published.Store(int64(i + 1))
		}
	})
	for r := range readers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(r), 7))
			for {
				select {
				case <-done:
					return
				default:
				}
				p := int(published.Load())
				from, last := -1, ""
				if p > 0 && rng.IntN(5) > 0 {
					from = max(0, p-1-rng.IntN(min(p, 16)))
					mu.Lock()
					last = ids[from]
					mu.Unlock()
				}
				err := readRound(b, last, from, p, n, perRound, done, func(d int64) { waiting.Add(d); note() })
				if err != nil {
					fail(err)
					return
				}
				rounds.Add(1)
				note()
			}
		})
	}
	wg.Wait()
}

// readRound subscribes from last (the id of event from, or "" for live
// with at least p events published before), reads up to perRound events
// and checks that they follow each other and the resume point. A live round
// stops when publishing is done, as it cannot know what it still gets.
// wait is told (+1, -1) when the round starts and stops waiting for an
// event.
func readRound(b hub.Broker, last string, from, p, n, perRound int, done <-chan struct{}, wait func(int64)) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := b.Subscribe(last).Observe(rxgo.WithContext(ctx))
	timeout := time.NewTimer(stuck)
	defer timeout.Stop()
	prev := from // data of the last event seen; -1: none yet
	for i := 0; i < perRound && prev < n-1; i++ {
		var it rxgo.Item
		var finished <-chan struct{}
		if last == "" {
			finished = done
		}
		select {
		case it = <-ch:
		default:
			wait(1)
			select {
			case it = <-ch:
			case <-finished:
				wait(-1)
				return nil
			case <-timeout.C:
				wait(-1)
				return fmt.Errorf("resuming from %d: no event after %d", from, prev)
			}
			wait(-1)
		}
		if errors.Is(it.E, hub.ErrSlowSubscriber) {
			return nil
		}
		if it.E != nil {
			return fmt.Errorf("resuming from %d: error item %v", from, it.E)
		}
		ev := it.V.(encoder.MessageEvent)
		if ev.Type == hub.GapEventType {
			if i != 0 || last == "" {
				return fmt.Errorf("resuming from %d: gap event at %d", from, i)
			}
			prev = -1 // the window follows, from wherever it starts now
			continue
		}
		var got int
		switch d := ev.Data.(type) {
		case string:
			got, _ = strconv.Atoi(d)
		case []byte:
			got, _ = strconv.Atoi(string(d))
		case json.RawMessage:
			got, _ = strconv.Atoi(string(d))
		}
		switch {
		case prev >= 0 && got != prev+1:
			return fmt.Errorf("resuming from %d (%q): event %d after %d", from, last, got, prev)
		case prev < 0 && last == "" && got < p:
			return fmt.Errorf("live subscription after %d events got the older %d", p, got)
		}
		prev = got
	}
	return nil
}

func testGap(t *testing.T, s suite) {
	huge := string(make([]byte, 1<<20))
	for _, tc := range []struct {
		name string
		old  bool // publish more than the window holds
		id   func(ids, other []string) string
	}{
		{"an id older than the window", true, func(ids, _ []string) string { return ids[0] }},
		{"an id of another broker (epoch)", false, func(_, other []string) string { return other[0] }},
		{"an unknown id", false, func(_, _ []string) string { return "nope" }},
		{"a malformed id", false, func(_, _ []string) string { return "-\x7f-1-" }},
		{"a huge id, echoed at most 128 bytes", false, func(_, _ []string) string { return huge }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := s.open(t)
			n := 20
			if tc.old {
				n = s.window + 10
			}
			ids := publish(t, b, nil, numbers(1, n)...)
			retained := numbers(max(1, n-s.window+1), n)
			other := s.open(t) // another process
			id := tc.id(ids, publish(t, other, nil, "elsewhere"))

			ch := observe(t, b.Subscribe(id))
			gap := expectGap(t, ch, id)
			again := observe(t, b.Subscribe(gap.ID)) // resuming from the gap's id
			expectData(t, ch, retained...)
			expectData(t, again, retained...)
			expectNext(t, b, ch, again)
		})
	}
	t.Run("the id just before the window is no gap", func(t *testing.T) {
		b := s.open(t)
		ids := publish(t, b, nil, numbers(1, s.window+1)...)
		ch := observe(t, b.Subscribe(ids[0]))
		expectData(t, ch, numbers(2, s.window+1)...)
		expectNext(t, b, ch)
	})
	t.Run("a broker that has never had an event", func(t *testing.T) {
		b := s.open(t)
		other := s.open(t)
		id := publish(t, other, nil, "elsewhere")[0]
		ch := observe(t, b.Subscribe(id))
		gap := expectGap(t, ch, id)
		again := observe(t, b.Subscribe(gap.ID))
		expectNext(t, b, ch, again)
	})
}

// testOldest: hub.Oldest is history on join: every retained event that
// matches, no gap event, then live; on a broker without events, live.
func testOldest(t *testing.T, s suite) {
	b := s.open(t)
	empty := observe(t, b.Subscribe(hub.Oldest))
	publish(t, b, []string{"x"}, "a")
	publish(t, b, []string{"y"}, "b")
	publish(t, b, nil, "c")
	expectData(t, empty, "a", "b", "c")
	all := observe(t, b.Subscribe(hub.Oldest))
	x := observe(t, b.Subscribe(hub.Oldest, "x"))
	expectData(t, all, "a", "b", "c")
	expectData(t, x, "a", "c")
	expectNext(t, b, empty, all, x)

	publish(t, b, nil, numbers(1, s.window)...) // a, b, c and the marker leave the window
	expectData(t, observe(t, b.Subscribe(hub.Oldest)), numbers(1, s.window)...)
}

// testStart: a client cut off before its first event resumes from the
// start position the transport gave it, and misses nothing; on a broker
// that has never had an event too.
func testStart(t *testing.T, s suite) {
	for _, tc := range []struct {
		from        string
		before, cut []string // published before it starts, and while it is away
		want        []string // what the resume gets
	}{
		{"", nil, []string{"1", "2"}, []string{"1", "2"}},
		{"", []string{"0"}, []string{"1", "2"}, []string{"1", "2"}},
		{hub.Oldest, nil, []string{"1", "2"}, []string{"1", "2"}},
		{hub.Oldest, []string{"0"}, []string{"1", "2"}, []string{"0", "1", "2"}},
	} {
		t.Run(fmt.Sprintf("from %q after %d events", tc.from, len(tc.before)), func(t *testing.T) {
			b := s.open(t)
			publish(t, b, nil, tc.before...)
			it := pull(t, b.Subscribe(tc.from))
			start := it.StartID()
			it.Close() // cut off before its first event
			if start == "" {
				t.Fatalf("a subscription from %q has no start position", tc.from)
			}
			publish(t, b, nil, tc.cut...)
			ch := observe(t, b.Subscribe(start))
			expectData(t, ch, tc.want...)
			expectNext(t, b, ch)
		})
	}
}

func testTopics(t *testing.T, s suite) {
	b := s.open(t)
	a := observe(t, b.Subscribe("", "a"))
	ab := observe(t, b.Subscribe("", "a", "b", "a"))
	every := observe(t, b.Subscribe(""))
	first := publish(t, b, []string{"a"}, "to a")
	publish(t, b, []string{"b"}, "to b")
	publish(t, b, []string{"c"}, "to c")
	publish(t, b, []string{"a", "b"}, "to a and b")
	publish(t, b, []string{"b", "b", "c"}, "to b twice and c")
	publish(t, b, nil, "to none: everyone")

	expectData(t, a, "to a", "to a and b", "to none: everyone")
	expectData(t, ab, "to a", "to b", "to a and b", "to b twice and c", "to none: everyone")
	expectData(t, every, "to a", "to b", "to c", "to a and b", "to b twice and c", "to none: everyone")
	expectNext(t, b, a, ab, every)

	replay := observe(t, b.Subscribe(first[0], "b"))
	expectData(t, replay, "to b", "to a and b", "to b twice and c", "to none: everyone", "marker")
	expectNext(t, b, replay)
}

// testSlow: a subscriber that stops reading is cut off once it is more
// than maxLag events behind, without slowing the others, and resumes from
// its last event with no gap: the window covers twice the lag bound.
func testSlow(t *testing.T, s suite) {
	n := 2 * s.maxLag
	b := s.open(t)
	stuck := observe(t, b.Subscribe(""))
	healthy := observe(t, b.Subscribe(""))
	stuckPull := pull(t, b.Subscribe(""))
	for i := range n {
		publish(t, b, nil, strconv.Itoa(i))
		expectData(t, healthy, strconv.Itoa(i))
	}
	items := collect(t, stuck)
	if len(items) == 0 || len(items) > n {
		t.Fatalf("the stuck subscriber got %d items, want some events then the error", len(items))
	}
	for i, it := range items[:len(items)-1] {
		if got := text(t, event(t, it)); got != strconv.Itoa(i) {
			t.Fatalf("stuck item %d: %q", i, got)
		}
	}
	end := items[len(items)-1].E
	if !errors.Is(end, hub.ErrSlowSubscriber) {
		t.Fatalf("last item %+v, want ErrSlowSubscriber", items[len(items)-1])
	}
	var rc interface{ Reconnect() bool }
	if !errors.As(end, &rc) || !rc.Reconnect() {
		t.Error("ErrSlowSubscriber does not ask the transport to end quietly (Reconnect() bool)")
	}
	var resumed []<-chan rxgo.Item
	if got := len(items) - 1; got > 0 {
		ch := observe(t, b.Subscribe(event(t, items[got-1]).ID))
		expectData(t, ch, numbers(got, n-1)...)
		resumed = append(resumed, ch)
	}
	got, last := 0, stuckPull.StartID()
	for {
		it, st := stuckPull.Next()
		if st == observable.Empty {
			t.Fatalf("a pulled subscriber %d events behind is not cut off (Next is Empty)", n-got)
		}
		if st == observable.Done {
			t.Fatal("the pulled subscriber ended without ErrSlowSubscriber")
		}
		if it.E != nil {
			if !errors.Is(it.E, hub.ErrSlowSubscriber) {
				t.Fatalf("pulled error %v, want ErrSlowSubscriber", it.E)
			}
			break
		}
		got, last = got+1, event(t, it).ID
	}
	if _, st := stuckPull.Next(); st != observable.Done {
		t.Errorf("after the cut-off Next is %v, want Done", st)
	}
	// Resuming from its last event, or from its start position if it
	// was cut off before its first.
	ch := observe(t, b.Subscribe(last))
	expectData(t, ch, numbers(got, n-1)...)
	resumed = append(resumed, ch)
	expectNext(t, b, append(resumed, healthy)...)
}

func testClose(t *testing.T, s suite) {
	b := s.open(t)
	every := observe(t, b.Subscribe(""))
	some := observe(t, b.Subscribe("", "x", "y"))
	publish(t, b, []string{"x"}, "last")
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	for name, ch := range map[string]<-chan rxgo.Item{"every": every, "x y": some} {
		items := collect(t, ch)
		if len(items) != 1 || text(t, event(t, items[0])) != "last" {
			t.Errorf("subscription %s got %v after Close, want the last event, then completion", name, items)
		}
	}
	if _, err := b.Publish(t.Context(), encoder.MessageEvent{Data: "x"}); !errors.Is(err, hub.ErrClosed) {
		t.Errorf("Publish after Close: %v, want ErrClosed", err)
	}
	if items := collect(t, observe(t, b.Subscribe(""))); len(items) != 0 {
		t.Errorf("a subscription after Close got %v, want to complete at once", items)
	}
}

type unmarshalable struct{ F func() }

func testBadInput(t *testing.T, s suite) {
	b := s.open(t)
	live := observe(t, b.Subscribe(""))
	first := publish(t, b, nil, "before")
	for _, tc := range []struct {
		name   string
		ev     encoder.MessageEvent
		topics []string
		want   error
	}{
		{"a func value", encoder.MessageEvent{Data: func() {}}, nil, nil},
		{"a struct holding a func", encoder.MessageEvent{Data: unmarshalable{F: func() {}}}, nil, nil},
		{"a channel", encoder.MessageEvent{Data: make(chan int)}, nil, nil},
		{"invalid json.RawMessage", encoder.MessageEvent{Data: json.RawMessage(`{"a":`)}, nil, nil},
		{"an id set by the caller", encoder.MessageEvent{ID: "mine", Data: "x"}, nil, hub.ErrIDSet},
		{"a type that injects fields", encoder.MessageEvent{Type: "x\ndata: y", Data: "x"}, nil, encoder.ErrInvalidType},
		{"an empty topic", encoder.MessageEvent{Data: "x"}, []string{"a", ""}, hub.ErrEmptyTopic},
		// Small as raw data (NATS's default payload limit is 1 MiB), but
		// every line break becomes a "data: " line: over the limit every
		// subscriber's stream has.
		{"data that encodes over the event size limit", encoder.MessageEvent{Data: strings.Repeat("\n", encoder.DefaultMaxEventSize/6)}, nil, encoder.ErrEventTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := b.Publish(t.Context(), tc.ev, tc.topics...)
			if err == nil {
				t.Fatalf("Publish = %q, nil; want an error", id)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("Publish: %v, want %v", err, tc.want)
			}
			var fe *encoder.FieldError
			if tc.want == nil && !errors.As(err, &fe) {
				t.Errorf("Publish: %v, want an *encoder.FieldError", err)
			}
		})
	}
	publish(t, b, nil, "after")
	expectData(t, live, "before", "after")
	replay := observe(t, b.Subscribe(first[0]))
	expectData(t, replay, "after")
	expectNext(t, b, live, replay)

	if _, err := collectErr(t, b.Subscribe("", "")); !errors.Is(err, hub.ErrEmptyTopic) {
		t.Errorf("Subscribe with an empty topic ended with %v, want ErrEmptyTopic", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := b.Publish(ctx, encoder.MessageEvent{Data: "x"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Publish with a done context: %v, want context.Canceled", err)
	}
}

// collectErr returns the items of obs and the error it ends with.
func collectErr(t *testing.T, obs rxgo.Observable) ([]rxgo.Item, error) {
	t.Helper()
	items := collect(t, observe(t, obs))
	if len(items) > 0 && items[len(items)-1].E != nil {
		return items[:len(items)-1], items[len(items)-1].E
	}
	return items, nil
}

func testEncoding(t *testing.T, s suite) {
	b := s.open(t)
	ch := observe(t, b.Subscribe(""))
	raw := []byte("raw bytes")
	msg := map[string]any{"html": "<b>&</b>", "n": 1}
	for _, ev := range []encoder.MessageEvent{
		{Data: "a string"},
		{Data: raw},
		{Data: json.RawMessage(`{"ok":true}`)},
		{Data: msg, Type: "json"},
		{Comment: "no data"},
	} {
		if _, err := b.Publish(t.Context(), ev); err != nil {
			t.Fatal(err)
		}
	}
	copy(raw, "XXX") // the publisher reuses its buffer
	msg["n"] = 2
	for i, want := range []string{"a string", "raw bytes", `{"ok":true}`, `{"html":"<b>&</b>","n":1}`} {
		ev := event(t, receive(t, ch))
		if got := text(t, ev); got != want {
			t.Errorf("event %d: data %q, want %q", i, got, want)
		}
		if ev.ID == "" {
			t.Errorf("event %d has no id", i)
		}
	}
	if ev := event(t, receive(t, ch)); ev.Comment != "no data" || ev.Data != nil {
		t.Errorf("comment-only event %+v", ev)
	}
	expectNext(t, b, ch)
}

// testConcurrentPublishers: eight publishers publish at once, in rounds
// that keep every subscriber within an eighth of the window; live
// subscribers and subscribers that keep leaving and resuming from their
// last id, with and without topics, must each get every acknowledged event
// that matches exactly once, each publisher's in the order it published
// them, and all of them in one order, the broker's.
func testConcurrentPublishers(t *testing.T, s suite) {
	const publishers = 8
	perRound := max(1, s.window/8/publishers)
	rounds := max(1, 1200/(perRound*publishers))
	b := s.open(t)
	topicsOf := func(p int) []string { // publisher p's topics
		switch p % 4 {
		case 0:
			return nil // every subscription
		case 1, 3:
			return []string{"odd"}
		}
		return []string{"even", "more"}
	}
	type sub struct {
		topics  []string
		resumes bool
		got     []string // "p:k" in arrival order
		ready   chan struct{}
	}
	subs := []*sub{
		{}, {}, {topics: []string{"odd"}}, {topics: []string{"even", "odd"}},
		{resumes: true}, {resumes: true}, {resumes: true, topics: []string{"odd"}}, {resumes: true, topics: []string{"more"}},
	}
	var mu sync.Mutex // guards every sub's got
	progress := make(chan struct{}, 1)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i, sb := range subs {
		sb.ready = make(chan struct{})
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), 11))
			last := ""
			for first := true; ; first = false {
				ctx, cancel := context.WithCancel(context.Background())
				ch := b.Subscribe(last, sb.topics...).Observe(rxgo.WithContext(ctx))
				if first {
					close(sb.ready) // in place: it gets every event published from now on
				}
				leaveAfter := -1
				if sb.resumes {
					leaveAfter = 1 + rng.IntN(40)
				}
				read, ok := 0, true
				for ok && read != leaveAfter {
					var it rxgo.Item
					select {
					case it, ok = <-ch:
					case <-stop:
						cancel()
						return
					}
					switch {
					case !ok:
						t.Errorf("subscription %d ended", i)
					case it.E != nil:
						var rc interface{ Reconnect() bool }
						if !errors.As(it.E, &rc) || !rc.Reconnect() {
							t.Errorf("subscription %d: error item %v", i, it.E)
							cancel()
							return
						}
						ok = false // cut off: resume
					default:
						ev := it.V.(encoder.MessageEvent)
						if ev.Type == hub.GapEventType {
							t.Errorf("subscription %d resuming from %q got a gap", i, last)
						}
						d, _ := ev.Data.(string)
						mu.Lock()
						sb.got = append(sb.got, d)
						mu.Unlock()
						last, read = ev.ID, read+1
						select {
						case progress <- struct{}{}:
						default:
						}
					}
				}
				cancel()
			}
		})
	}
	for _, sb := range subs {
		<-sb.ready
	}
	// want returns the events sb must get of the first r rounds.
	want := func(sb *sub, r int) int {
		n := 0
		for p := range publishers {
			if matches(sb.topics, topicsOf(p)) {
				n += r * perRound
			}
		}
		return n
	}
	for r := range rounds {
		var pubs sync.WaitGroup
		for p := range publishers {
			pubs.Go(func() {
				for k := r * perRound; k < (r+1)*perRound; k++ {
					if _, err := b.Publish(context.Background(), encoder.MessageEvent{Data: fmt.Sprintf("%d:%d", p, k)}, topicsOf(p)...); err != nil {
						t.Errorf("publisher %d: %v", p, err)
						return
					}
				}
			})
		}
		pubs.Wait()
		timeout := time.NewTimer(stuck)
		for behind := true; behind; {
			behind = false
			mu.Lock()
			for _, sb := range subs {
				behind = behind || len(sb.got) < want(sb, r+1)
			}
			mu.Unlock()
			if behind {
				select {
				case <-progress:
				case <-timeout.C:
					t.Error("subscribers did not catch up")
					behind = false
				}
			}
		}
		timeout.Stop()
		if t.Failed() {
			break
		}
	}
	close(stop)
	wg.Wait()
	if t.Failed() {
		return
	}
	order := map[string]int{} // the broker's order, from a subscriber to everything
	for i, d := range subs[0].got {
		order[d] = i
	}
	for i, sb := range subs {
		next := make([]int, publishers) // each publisher's next k
		prev := -1
		for _, d := range sb.got {
			var p, k int
			if _, err := fmt.Sscanf(d, "%d:%d", &p, &k); err != nil || p < 0 || p >= publishers {
				t.Fatalf("subscription %d: event %q", i, d)
			}
			if !matches(sb.topics, topicsOf(p)) {
				t.Fatalf("subscription %d to %q got %q, published to %q", i, sb.topics, d, topicsOf(p))
			}
			if k != next[p] {
				t.Fatalf("subscription %d: publisher %d's event %d after its %d (lost, repeated or reordered)", i, p, k, next[p]-1)
			}
			next[p]++
			if o, ok := order[d]; !ok || o < prev {
				t.Fatalf("subscription %d got %q out of the order the others got it in", i, d)
			} else {
				prev = o
			}
		}
		if len(sb.got) != want(sb, rounds) {
			t.Errorf("subscription %d got %d events, want %d", i, len(sb.got), want(sb, rounds))
		}
	}
}

// matches is the topic rule (no topics means all, on both sides), written
// here apart from the brokers' own code, so that the suite checks them
// against the rule rather than against themselves.
func matches(want, topics []string) bool {
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
