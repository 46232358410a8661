package hub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/internal/publish"
	"github.com/rxsse/rxsse/observable"
	"github.com/rxsse/rxsse/observable/hub"
)

func newHub(t testing.TB, opts ...hub.Option) *hub.Hub {
	t.Helper()
	h := hub.New(append([]hub.Option{hub.WithLogger(quiet)}, opts...)...)
	t.Cleanup(func() { h.Close() })
	return h
}

// puller is how the transport recognises a pulled Observable.
type puller interface {
	Pull(ctx context.Context) observable.Iterator
}

// pullAll returns what it has ready, the error it ended with, and the state
// it stopped at.
func pullAll(t *testing.T, it observable.Iterator) (vals []any, st observable.State, err error) {
	t.Helper()
	for {
		item, st := it.Next()
		if st != observable.Value {
			return vals, st, nil
		}
		if item.E != nil {
			return vals, st, item.E
		}
		vals = append(vals, item.V)
	}
}

func dataOf(vals []any) []string {
	var s []string
	for _, v := range vals {
		switch v := v.(type) {
		case encoder.MessageEvent:
			s = append(s, v.Data.(string))
		default:
			s = append(s, v.(string))
		}
	}
	return s
}

func subscribe(t *testing.T, h *hub.Hub, lastEventID string, topics ...string) observable.Iterator {
	t.Helper()
	src, ok := h.Subscribe(lastEventID, topics...).(puller)
	if !ok {
		t.Fatal("Subscribe does not return a pulled Observable")
	}
	it := src.Pull(t.Context())
	t.Cleanup(it.Close)
	return it
}

func TestIDsAreEpochDashSequenceAndEachHubHasItsOwnEpoch(t *testing.T) {
	a, b := newHub(t), newHub(t)
	idA := publishData(t, a, "x", "y")
	idB := publishData(t, b, "x")
	re := regexp.MustCompile(`^([a-z2-7]{8})-(\d+)$`)
	for _, id := range append(idA, idB...) {
		if !re.MatchString(id) {
			t.Errorf("id %q, want <8 lowercase base32>-<n>", id)
		}
	}
	if !strings.HasSuffix(idA[0], "-1") || !strings.HasSuffix(idA[1], "-2") || !strings.HasSuffix(idB[0], "-1") {
		t.Errorf("ids %v %v, want sequences from 1", idA, idB)
	}
	if epochA, _, _ := strings.Cut(idA[0], "-"); strings.HasPrefix(idB[0], epochA+"-") {
		t.Errorf("two hubs share the epoch of %q and %q", idA[0], idB[0])
	}
}

// In a testing/synctest bubble, time.Sleep moves the virtual time the hub
// reads.
func TestReplayWindowIsBoundedByAge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHub(t, hub.WithReplayAge(time.Minute))
		ids := publishData(t, h, "a") // at 0s
		time.Sleep(30 * time.Second)
		ids = append(ids, publishData(t, h, "b")...) // at 30s
		time.Sleep(30 * time.Second)

		if got, _, _ := pullAll(t, subscribe(t, h, "bogus")); len(got) != 3 { // a gap, a, b: a is exactly a minute old
			t.Fatalf("at 60s: %v, want the gap, a and b", got)
		}
		time.Sleep(time.Nanosecond) // now "a" is older than a minute
		if got, _, _ := pullAll(t, subscribe(t, h, "bogus")); len(got) != 2 || !equal(dataOf(got[1:]), "b") {
			t.Errorf("at 60s + 1ns: %v, want the gap and b", got)
		}
		if got, _, _ := pullAll(t, subscribe(t, h, ids[0])); !equal(dataOf(got), "b") {
			t.Errorf("resuming right after the expired a: %v, want b", got)
		}
		time.Sleep(time.Hour) // everything expired
		if got, _, _ := pullAll(t, subscribe(t, h, "bogus")); len(got) != 1 {
			t.Errorf("an hour later: %v, want the gap alone", got)
		}
		it := subscribe(t, h, ids[1])
		if got, _, _ := pullAll(t, it); len(got) != 0 {
			t.Errorf("resuming from the latest id: %v, want nothing missed", got)
		}
		publishData(t, h, "c")
		if got, _, _ := pullAll(t, it); !equal(dataOf(got), "c") {
			t.Errorf("live: %v, want c", got)
		}
	})
}

func equal(got []string, want ...string) bool {
	return strings.Join(got, ",") == strings.Join(want, ",")
}

// Retention cannot be turned off or made smaller than the lag bound: a
// subscriber cut off for lagging must find its position in the window.
func TestReplayCountBelowTheLagBoundIsRaisedToIt(t *testing.T) {
	for _, n := range []int{0, -1, 3} {
		h := newHub(t, hub.WithReplayCount(n), hub.WithBuffer(4))
		ids := publishData(t, h, "a", "b", "c", "d", "e", "f")
		got, _, _ := pullAll(t, subscribe(t, h, ids[1]))
		if !equal(dataOf(got), "c", "d", "e", "f") {
			t.Errorf("WithReplayCount(%d), WithBuffer(4): resuming 4 events back got %v, want c, d, e, f", n, got)
		}
		got, _, _ = pullAll(t, subscribe(t, h, ids[0]))
		if len(got) == 0 || got[0].(encoder.MessageEvent).Type != hub.GapEventType {
			t.Errorf("WithReplayCount(%d), WithBuffer(4): resuming 5 events back got %v, want a gap first", n, got)
		}
	}
}

// Map and Filter on a subscription run inline where it is pulled and keep
// it pulled; a panic in them ends the stream with an
// *observable.PanicError item and ends the subscription.
func TestMapAndFilterAreFusedAndPanicsBecomeErrorItems(t *testing.T) {
	obs := newCountingObserver()
	h := newHub(t, hub.WithObserver(obs))
	upper := func(_ context.Context, v any) (any, error) {
		d := v.(encoder.MessageEvent).Data.(string)
		if d == "boom" {
			panic("mapper exploded")
		}
		return strings.ToUpper(d), nil
	}
	notB := func(v any) bool {
		if v == "BANG" {
			var none []int
			_ = none[len(v.(string))] // a runtime error: index out of range
		}
		return v != "B"
	}
	chain := h.Subscribe("").Map(upper).Filter(notB)
	src, ok := chain.(puller)
	if !ok {
		t.Fatalf("Map(...).Filter(...) is a %T, want a pulled Observable", chain)
	}
	it := src.Pull(t.Context())
	defer it.Close()
	publishData(t, h, "a", "b", "c")
	if got, st, err := pullAll(t, it); !equal(dataOf(got), "A", "C") || err != nil || st != observable.Empty {
		t.Fatalf("got %v %v %v, want A C then Empty", got, err, st)
	}
	publishData(t, h, "boom")
	_, _, err := pullAll(t, it)
	var pe *observable.PanicError
	if !errors.As(err, &pe) || pe.Value != "mapper exploded" {
		t.Fatalf("after a panicking Map: %v, want an *observable.PanicError", err)
	}
	if _, st := it.Next(); st != observable.Done {
		t.Errorf("after the panic: %v, want Done", st)
	}
	obs.waitEnded(t, hub.EndLeft, 1) // the subscription was released

	it2 := src.Pull(t.Context())
	defer it2.Close()
	publishData(t, h, "bang")
	_, _, err = pullAll(t, it2)
	var re runtime.Error
	if !errors.As(err, &pe) || !errors.As(err, &re) {
		t.Fatalf("after a panicking Filter: %v, want an *observable.PanicError wrapping the runtime.Error", err)
	}
}

// The fused chain, observed through rxgo, and any other rxgo operator on a
// subscription work as rxgo's do.
func TestSubscriptionsWorkThroughRxgo(t *testing.T) {
	h := newHub(t)
	ids := publishData(t, h, "a", "b", "c")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	upper := func(_ context.Context, v any) (any, error) {
		return strings.ToUpper(v.(encoder.MessageEvent).Data.(string)), nil
	}
	fused := h.Subscribe(ids[0]).Map(upper).Observe(rxgo.WithContext(ctx))
	taken := h.Subscribe(ids[0]).Take(3).Map(upper).Observe(rxgo.WithContext(ctx))
	withOpts := h.Subscribe(ids[0]).Map(upper, rxgo.WithBufferedChannel(4)).Observe(rxgo.WithContext(ctx))
	publishData(t, h, "d")
	for name, ch := range map[string]<-chan rxgo.Item{"fused": fused, "Take": taken, "Map with options": withOpts} {
		var got []string
		for range 3 {
			got = append(got, (<-ch).V.(string))
		}
		if !equal(got, "B", "C", "D") {
			t.Errorf("%s: %v, want B C D", name, got)
		}
	}
	publishData(t, h, "e") // rxgo's Take completes on the item after the last it takes
	if _, ok := <-taken; ok {
		t.Error("Take(3) did not complete")
	}
}

// A pulled subscription, fused operators included, costs no goroutine.
func TestAPulledSubscriptionCostsNoGoroutine(t *testing.T) {
	h := newHub(t)
	ctx, cancel := context.WithCancel(t.Context())
	before := runtime.NumGoroutine()
	its := make([]observable.Iterator, 100)
	for i := range its {
		its[i] = h.Subscribe("").Map(func(_ context.Context, v any) (any, error) { return v, nil }).(puller).Pull(ctx)
	}
	if after := runtime.NumGoroutine(); after > before {
		t.Errorf("%d goroutines after 100 pulled subscriptions, %d before", after, before)
	}
	publishData(t, h, "x")
	for _, it := range its {
		if got, _, _ := pullAll(t, it); len(got) != 1 {
			t.Fatalf("got %v, want x", got)
		}
	}
	cancel()
	for _, it := range its {
		if _, st := it.Next(); st != observable.Done {
			t.Fatalf("after the context ended: %v, want Done", st)
		}
	}
}

func TestObserverCountsSubscriptionsEndsAndDeliveries(t *testing.T) {
	obs := newCountingObserver()
	h := newHub(t, hub.WithObserver(obs))
	ctx, cancel := context.WithCancel(t.Context())
	h.Subscribe("").(puller).Pull(ctx)
	subscribe(t, h, "", "room")
	subscribe(t, h, "stale")
	publishData(t, h, "to all three")
	if _, err := h.Publish(t.Context(), encoder.MessageEvent{Data: "x"}, "elsewhere"); err != nil {
		t.Fatal(err)
	}
	cancel()
	obs.waitEnded(t, hub.EndLeft, 1)
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if obs.subs != 3 || obs.gaps != 1 || obs.pub != 2 || obs.lastDel != 2 {
		t.Errorf("observer saw %d subscribed, %d gaps, %d published, last delivered to %d; want 3, 1, 2, 2", obs.subs, obs.gaps, obs.pub, obs.lastDel)
	}
}

// A client's Last-Event-ID is input of any size: the gap event and the log
// show at most 128 bytes of it.
func TestAHugeLastEventIDIsNeitherEchoedNorLoggedInFull(t *testing.T) {
	var logs bytes.Buffer
	h := newHub(t, hub.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	huge := strings.Repeat("é", 1<<19) // 1 MiB
	got, _, _ := pullAll(t, subscribe(t, h, huge))
	gap := got[0].(encoder.MessageEvent)
	if n := len(gap.Data.(json.RawMessage)); gap.Type != hub.GapEventType || n > 200 {
		t.Errorf("gap event of %d bytes: %.80s", n, gap.Data)
	}
	if logs.Len() > 1000 || !strings.Contains(logs.String(), "resume gap") {
		t.Errorf("logged %d bytes: %.200s", logs.Len(), logs.String())
	}
}

// The gap event the brokers build (internal/publish) has the type the
// package declares, GapEventType.
func TestTheGapEventHasGapEventType(t *testing.T) {
	if ev := publish.Gap("e", 1, "x"); ev.Type != hub.GapEventType {
		t.Errorf("the gap event's type is %q, want hub.GapEventType %q", ev.Type, hub.GapEventType)
	}
}

// The gap event's data is a hub.Gap, the type routes declare it with: it
// decodes with no unknown field and encodes back to the same bytes.
func TestTheGapEventsDataIsAGap(t *testing.T) {
	data := publish.Gap("e", 1, "4-x").Data.(json.RawMessage)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var gap hub.Gap
	if err := dec.Decode(&gap); err != nil || gap.LastEventID != "4-x" {
		t.Fatalf("decoding %s into a hub.Gap: %+v, %v", data, gap, err)
	}
	if again, _ := json.Marshal(gap); !bytes.Equal(again, data) {
		t.Errorf("a hub.Gap encodes as %s, the gap event's data is %s", again, data)
	}
}
