package observable_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/observable"
	"github.com/rxsse/rxsse/observable/clocktest"
)

// quiet is a logger for hubs whose cut-offs and gaps are expected.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func newHub(t testing.TB, opts ...observable.HubOption) *observable.Hub {
	t.Helper()
	h := observable.NewHub(append([]observable.HubOption{observable.WithHubLogger(quiet)}, opts...)...)
	t.Cleanup(func() { h.Close() })
	return h
}

// publish publishes events with the given data, failing the test on error,
// and returns their ids.
func publish(t testing.TB, h *observable.Hub, opts []observable.PublishOption, data ...string) []string {
	t.Helper()
	ids := make([]string, len(data))
	for i, d := range data {
		id, err := h.Publish(context.Background(), encoder.MessageEvent{Data: d}, opts...)
		if err != nil {
			t.Fatalf("publish %q: %v", d, err)
		}
		ids[i] = id
	}
	return ids
}

// observe starts a subscription that ends with the test.
func observe(t testing.TB, obs rxgo.Observable) <-chan rxgo.Item {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return obs.Observe(rxgo.WithContext(ctx))
}

// event returns item as a MessageEvent, failing the test otherwise.
func event(t testing.TB, item rxgo.Item) encoder.MessageEvent {
	t.Helper()
	if item.E != nil {
		t.Fatalf("error item: %v", item.E)
	}
	ev, ok := item.V.(encoder.MessageEvent)
	if !ok {
		t.Fatalf("item %#v, want an encoder.MessageEvent", item.V)
	}
	return ev
}

// expectData receives len(want) events and compares their data.
func expectData(t testing.TB, ch <-chan rxgo.Item, want ...string) {
	t.Helper()
	for i, w := range want {
		if got := event(t, receive(t, ch)).Data; got != w {
			t.Fatalf("event %d: data %v, want %q", i, got, w)
		}
	}
}

// expectNothing fails if ch holds an item now. Everything the hub delivers
// is queued before Publish or Observe returns, so no wait is needed.
func expectNothing(t testing.TB, ch <-chan rxgo.Item) {
	t.Helper()
	select {
	case it, ok := <-ch:
		t.Fatalf("got %+v (open %v), want nothing queued", it, ok)
	default:
	}
}

func TestHubResumesAfterTheLastEventID(t *testing.T) {
	h := newHub(t)
	ids := publish(t, h, nil, "a", "b", "c", "d")
	if !slices.Equal(ids, []string{"1", "2", "3", "4"}) {
		t.Fatalf("ids %v, want 1..4", ids)
	}
	ch := observe(t, h.Subscribe(ids[1]))
	expectData(t, ch, "c", "d")
	expectNothing(t, ch)
	publish(t, h, nil, "e")
	expectData(t, ch, "e")
}

func TestHubWithAnEmptyLastEventIDIsLiveOnly(t *testing.T) {
	h := newHub(t)
	publish(t, h, nil, "old")
	ch := observe(t, h.Subscribe(""))
	expectNothing(t, ch)
	publish(t, h, nil, "new")
	expectData(t, ch, "new")
}

func TestHubKeepsPublisherChosenIDs(t *testing.T) {
	h := newHub(t)
	for _, id := range []string{"m-1", "m-2", "m-3"} {
		got, err := h.Publish(t.Context(), encoder.MessageEvent{ID: id, Data: id})
		if err != nil || got != id {
			t.Fatalf("Publish(ID %q) = %q, %v", id, got, err)
		}
	}
	ch := observe(t, h.Subscribe("m-1"))
	if ev := event(t, receive(t, ch)); ev.ID != "m-2" {
		t.Errorf("first replayed id %q, want m-2", ev.ID)
	}
	expectData(t, ch, "m-3")
}

func TestHubFlagsAGapForAnIDItCannotResumeFrom(t *testing.T) {
	cases := []struct {
		name, lastEventID string
		wantGapID         string
		wantData          []string
	}{
		{"an unknown id replays everything retained", "nope", "2", []string{"c", "d", "e"}},
		{"an id from the future (a restarted server) too", "99", "2", []string{"c", "d", "e"}},
		{"an id older than the window too", "1", "2", []string{"c", "d", "e"}},
		{"the id just before the window is no gap", "2", "", []string{"c", "d", "e"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHub(t, observable.WithReplayCount(3))
			publish(t, h, nil, "a", "b", "c", "d", "e")
			ch := observe(t, h.Subscribe(tc.lastEventID))
			if tc.wantGapID != "" {
				gap := event(t, receive(t, ch))
				want := encoder.MessageEvent{Type: observable.GapEventType, ID: tc.wantGapID,
					Data: fmt.Sprintf(`{"lastEventId":%q}`, tc.lastEventID)}
				if gap != want {
					t.Fatalf("first event %+v, want %+v", gap, want)
				}
			}
			expectData(t, ch, tc.wantData...)
			expectNothing(t, ch)
		})
	}
}

func TestHubGapIDResumesWithoutAnotherGap(t *testing.T) {
	h := newHub(t, observable.WithReplayCount(2))
	publish(t, h, nil, "a", "b", "c")
	gap := event(t, receive(t, observe(t, h.Subscribe("zzz"))))
	ch := observe(t, h.Subscribe(gap.ID))
	expectData(t, ch, "b", "c")
	expectNothing(t, ch)
}

func TestHubReplayWindowIsBoundedByCountWhateverThePublishRate(t *testing.T) {
	h := newHub(t, observable.WithReplayCount(100))
	for i := range 10_000 {
		publish(t, h, nil, strconv.Itoa(i))
	}
	ch := observe(t, h.Subscribe("0")) // long gone: a gap, then the window
	if ev := event(t, receive(t, ch)); ev.Type != observable.GapEventType {
		t.Fatalf("first event %+v, want a gap", ev)
	}
	for i := 9_900; i < 10_000; i++ {
		expectData(t, ch, strconv.Itoa(i))
	}
	expectNothing(t, ch)
}

func TestHubReplayWindowIsBoundedByAge(t *testing.T) {
	clock := clocktest.New(time.Unix(0, 0))
	h := newHub(t, observable.WithReplayAge(time.Minute), observable.WithHubClock(clock))
	publish(t, h, nil, "a") // at 0s
	clock.Advance(30 * time.Second)
	publish(t, h, nil, "b") // at 30s
	clock.Advance(30 * time.Second)

	// At 60s "a" is exactly a minute old: still retained.
	expectData(t, observe(t, h.Subscribe("0")), "a", "b")

	clock.Advance(time.Nanosecond) // now "a" is older than a minute
	ch := observe(t, h.Subscribe("1"))
	expectData(t, ch, "b") // resuming right after "a" lost nothing
	expectNothing(t, ch)
	ch = observe(t, h.Subscribe("0"))
	if ev := event(t, receive(t, ch)); ev.Type != observable.GapEventType {
		t.Fatalf("resuming before \"a\": %+v, want a gap", ev)
	}
	expectData(t, ch, "b")

	clock.Advance(time.Hour) // everything expired
	ch = observe(t, h.Subscribe("2"))
	expectNothing(t, ch) // the latest id: nothing missed
	publish(t, h, nil, "c")
	expectData(t, ch, "c")
}

func TestHubReplayCountZeroRetainsNothing(t *testing.T) {
	h := newHub(t, observable.WithReplayCount(0))
	publish(t, h, nil, "a", "b")
	expectNothing(t, observe(t, h.Subscribe("2")))
	ch := observe(t, h.Subscribe("1"))
	if ev := event(t, receive(t, ch)); ev.Type != observable.GapEventType || ev.ID != "2" {
		t.Fatalf("got %+v, want a gap at id 2", ev)
	}
	expectNothing(t, ch)
}

func TestHubDeliversEachMatchingEventOncePerSubscriber(t *testing.T) {
	h := newHub(t)
	a := observe(t, h.Subscribe("", "a"))
	ab := observe(t, h.Subscribe("", "a", "b", "a"))
	every := observe(t, h.Subscribe(""))
	publish(t, h, []observable.PublishOption{observable.Topic("a")}, "to a")
	publish(t, h, []observable.PublishOption{observable.Topic("b")}, "to b")
	publish(t, h, []observable.PublishOption{observable.Topic("c")}, "to c")
	publish(t, h, []observable.PublishOption{observable.Topic("a", "b")}, "to a and b")
	publish(t, h, nil, "to none")
	if _, err := h.PublishTo(t.Context(), "a", encoder.MessageEvent{Data: "PublishTo a"}); err != nil {
		t.Fatal(err)
	}

	expectData(t, a, "to a", "to a and b", "PublishTo a")
	expectNothing(t, a)
	expectData(t, ab, "to a", "to b", "to a and b", "PublishTo a")
	expectNothing(t, ab)
	expectData(t, every, "to a", "to b", "to c", "to a and b", "to none", "PublishTo a")
	expectNothing(t, every)

	// Replay filters by topic the same way.
	replay := observe(t, h.Subscribe("1", "b"))
	expectData(t, replay, "to b", "to a and b")
	expectNothing(t, replay)
}

func TestHubRejectsEventsThatWouldInjectFields(t *testing.T) {
	h := newHub(t)
	ch := observe(t, h.Subscribe(""))
	for _, ev := range []encoder.MessageEvent{
		{ID: "1\nevent: x", Data: "x"},
		{ID: "a\x00", Data: "x"},
		{Type: "x\r\ndata: y", Data: "x"},
	} {
		var fe *encoder.FieldError
		if _, err := h.Publish(t.Context(), ev); !errors.As(err, &fe) {
			t.Errorf("Publish(%+v) = %v, want an *encoder.FieldError", ev, err)
		}
	}
	expectNothing(t, ch)
}

func TestHubPublishFailsOnADoneContextAndAfterClose(t *testing.T) {
	h := newHub(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := h.Publish(ctx, encoder.MessageEvent{Data: "x"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Publish with a done context = %v, want context.Canceled", err)
	}
	h.Close()
	if _, err := h.Publish(t.Context(), encoder.MessageEvent{Data: "x"}); !errors.Is(err, observable.ErrHubClosed) {
		t.Errorf("Publish after Close = %v, want ErrHubClosed", err)
	}
}

func TestHubCloseCompletesEverySubscription(t *testing.T) {
	h := newHub(t)
	a := observe(t, h.Subscribe(""))
	b := observe(t, h.Subscribe("", "x", "y"))
	publish(t, h, []observable.PublishOption{observable.Topic("x")}, "last")
	h.Close()
	h.Close() // a second Close does nothing
	if got := values(t, collect(t, a)); len(got) != 1 {
		t.Errorf("a got %v, want the last event then completion", got)
	}
	if got := values(t, collect(t, b)); len(got) != 1 {
		t.Errorf("b got %v, want the last event then completion", got)
	}
	if got := collect(t, observe(t, h.Subscribe(""))); len(got) != 0 {
		t.Errorf("a subscription after Close got %v, want to complete at once", got)
	}
}

func TestHubSubscriptionEndsWithItsContext(t *testing.T) {
	obs := &countingObserver{}
	h := newHub(t, observable.WithHubObserver(obs))
	ctx, cancel := context.WithCancel(t.Context())
	ch := h.Subscribe("").Observe(rxgo.WithContext(ctx))
	cancel()
	if got := collect(t, ch); len(got) != 0 {
		t.Errorf("got %v after cancel, want the channel closed", got)
	}
	publish(t, h, nil, "after")
	if s := obs.snapshot(); s.subscribed != 1 || s.left != 1 || s.lastDelivered != 0 {
		t.Errorf("observer saw %+v, want 1 subscribed, 1 left, last publish delivered to 0", s)
	}
}

func TestHubSubscriptionWorksUnderChainedOperators(t *testing.T) {
	h := newHub(t)
	publish(t, h, nil, "a", "b")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ch := h.Subscribe("1").
		Map(func(_ context.Context, v any) (any, error) {
			return "mapped " + v.(encoder.MessageEvent).Data.(string), nil
		}).
		Observe(rxgo.WithContext(ctx))
	if got := receive(t, ch).V; got != "mapped b" {
		t.Fatalf("got %v, want mapped b", got)
	}
	publish(t, h, nil, "c")
	if got := receive(t, ch).V; got != "mapped c" {
		t.Fatalf("got %v, want mapped c", got)
	}
}

// A stuck subscriber is cut off after its buffer; a healthy one gets every
// event, and Publish never waits.
func TestHubCutsOffAStuckSubscriberWithoutSlowingOthers(t *testing.T) {
	obs := &countingObserver{}
	h := newHub(t, observable.WithSubscriberBuffer(4), observable.WithHubObserver(obs))
	stuck := observe(t, h.Subscribe(""))
	healthy := observe(t, h.Subscribe(""))
	for i := range 1000 {
		publish(t, h, nil, strconv.Itoa(i))
		expectData(t, healthy, strconv.Itoa(i))
	}
	items := collect(t, stuck) // closed after the cut-off
	if len(items) != 5 {
		t.Fatalf("stuck subscriber got %d items, want 4 events and the error", len(items))
	}
	for i, it := range items[:4] {
		if ev := event(t, it); ev.Data != strconv.Itoa(i) {
			t.Errorf("stuck item %d = %+v", i, ev)
		}
	}
	if !errors.Is(items[4].E, observable.ErrSlowSubscriber) {
		t.Errorf("last item %+v, want ErrSlowSubscriber", items[4])
	}
	var quiet interface{ Reconnect() bool }
	if !errors.As(items[4].E, &quiet) || !quiet.Reconnect() {
		t.Error("ErrSlowSubscriber does not ask the transport to end quietly")
	}
	if s := obs.snapshot(); s.cutOff != 1 || s.published != 1000 {
		t.Errorf("observer saw %+v, want 1 cut-off, 1000 published", s)
	}

	// Resuming from its last event loses nothing.
	resumed := observe(t, h.Subscribe(event(t, items[3]).ID))
	for i := 4; i < 1000; i++ {
		expectData(t, resumed, strconv.Itoa(i))
	}
	expectNothing(t, resumed)
}

// Publishers, subscribers that come and go and resume from random points:
// every subscription sees a contiguous run of ids from its resume point,
// with no gap and no duplicate, whatever the interleaving.
func TestHubConcurrentPublishSubscribeUnsubscribe(t *testing.T) {
	const publishers, perPublisher, subscribers = 4, 500, 16
	h := newHub(t, observable.WithReplayCount(publishers*perPublisher), observable.WithSubscriberBuffer(publishers*perPublisher))
	ctx := t.Context()
	var wg sync.WaitGroup
	published := make(chan struct{})
	var pubWG sync.WaitGroup
	for range publishers {
		pubWG.Go(func() {
			for i := range perPublisher {
				if _, err := h.Publish(ctx, encoder.MessageEvent{Data: i}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	go func() { pubWG.Wait(); close(published) }()

	errs := make(chan error, subscribers)
	for w := range subscribers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			last := ""
			for round := 0; ; round++ {
				select {
				case <-published:
					errs <- nil
					return
				default:
				}
				if rng.IntN(4) == 0 {
					last = "" // a fresh client
				}
				var err error
				if last, err = watchSome(ctx, h, last, rng.IntN(50)); err != nil {
					errs <- fmt.Errorf("subscriber %d round %d: %w", w, round, err)
					return
				}
			}
		})
	}
	wg.Wait()
	for range subscribers {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// watchSome subscribes from last, reads up to n events (fewer if it has
// caught up), checks that their ids follow each other and follow last, then
// leaves. It returns the last id seen, where the next round resumes.
func watchSome(ctx context.Context, h *observable.Hub, last string, n int) (string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := h.Subscribe(last).Observe(rxgo.WithContext(ctx))
	prev := -1
	if last != "" {
		prev, _ = strconv.Atoi(last)
	}
	for range n {
		var it rxgo.Item
		select {
		case it = <-ch:
		default:
			return last, nil // caught up
		}
		if it.E != nil {
			return last, it.E
		}
		ev := it.V.(encoder.MessageEvent)
		if ev.Type == observable.GapEventType {
			return last, fmt.Errorf("unexpected gap %+v resuming from %q", ev, last)
		}
		id, _ := strconv.Atoi(ev.ID)
		if prev >= 0 && id != prev+1 {
			return last, fmt.Errorf("id %d after %d", id, prev)
		}
		prev, last = id, ev.ID
	}
	return last, nil
}

// Observing a subscription starts no goroutine that outlives Observe.
func TestHubSubscriptionCostsNoGoroutine(t *testing.T) {
	h := newHub(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	before := settledGoroutines(-1)
	chans := make([]<-chan rxgo.Item, 100)
	for i := range chans {
		chans[i] = h.Subscribe("").Observe(rxgo.WithContext(ctx))
	}
	if after := settledGoroutines(before); after > before {
		t.Errorf("%d goroutines after 100 subscriptions, %d before", after, before)
	}
	publish(t, h, nil, "x")
	for _, ch := range chans {
		expectData(t, ch, "x")
	}
}

// settledGoroutines returns the goroutine count once it is want (or after
// a bounded number of yields, for goroutines that are just exiting).
func settledGoroutines(want int) int {
	n := runtime.NumGoroutine()
	for i := 0; i < 10_000 && n != want; i++ {
		runtime.Gosched()
		n = runtime.NumGoroutine()
		if want < 0 {
			break
		}
	}
	return n
}

// countingObserver is a HubObserver for tests.
type countingObserver struct {
	mu sync.Mutex
	s  observerCounts
}

type observerCounts struct {
	subscribed, left, cutOff, closed, published, replayed, gaps, lastDelivered int
}

func (o *countingObserver) Subscribed(replayed int, gap bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.s.subscribed++
	o.s.replayed += replayed
	if gap {
		o.s.gaps++
	}
}

func (o *countingObserver) Unsubscribed(reason observable.EndReason) {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch reason {
	case observable.EndLeft:
		o.s.left++
	case observable.EndCutOff:
		o.s.cutOff++
	case observable.EndClosed:
		o.s.closed++
	}
}

func (o *countingObserver) Published(delivered int, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.s.published++
	o.s.lastDelivered = delivered
}

func (o *countingObserver) snapshot() observerCounts {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.s
}
