package fanout_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/reactivex/rxgo/v2"
	"go.uber.org/goleak"

	"github.com/rxsse/rxsse/internal/fanout"
	"github.com/rxsse/rxsse/observable"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var errSlow = errors.New("slow")

func appendSeqs(t *testing.T, l *fanout.Log, topics []string, seqs ...uint64) {
	t.Helper()
	for _, s := range seqs {
		if _, err := l.Append(fanout.Event{Seq: s, Topics: topics, Item: rxgo.Of(s)}); err != nil {
			t.Fatalf("Append(%d): %v", s, err)
		}
	}
}

// drain returns the values Next has ready, and the state it stopped at.
func drain(it observable.Iterator) ([]any, observable.State, error) {
	var vs []any
	for {
		item, st := it.Next()
		if st != observable.Value {
			return vs, st, nil
		}
		if item.E != nil {
			return vs, st, item.E
		}
		vs = append(vs, item.V)
	}
}

func expect(t *testing.T, it observable.Iterator, want ...uint64) {
	t.Helper()
	vs, st, err := drain(it)
	var got []uint64
	for _, v := range vs {
		got = append(got, v.(uint64))
	}
	if !slices.Equal(got, want) || err != nil || st != observable.Empty {
		t.Fatalf("got %v (err %v, state %v), want %v then Empty", got, err, st, want)
	}
}

func ready(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestReplayThenLiveWithSparseSequenceNumbers(t *testing.T) {
	l := fanout.New(fanout.Config{Replay: 3, ErrSlow: errSlow})
	defer l.Close()
	appendSeqs(t, l, nil, 2, 5, 9, 10)
	if first, last := l.Bounds(); first != 5 || last != 10 {
		t.Errorf("Bounds = %d, %d; want 5, 10", first, last)
	}
	it, err := l.Subscribe(t.Context(), 6, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	if it.Replayed() != 2 || it.After() != 6 {
		t.Errorf("Replayed %d After %d, want 2 and 6", it.Replayed(), it.After())
	}
	expect(t, it, 9, 10)
	wait := it.Ready()
	if ready(wait) {
		t.Fatal("Ready is ready with nothing new")
	}
	appendSeqs(t, l, nil, 12)
	if !ready(wait) {
		t.Fatal("Append did not wake the subscriber")
	}
	expect(t, it, 12)

	if _, err := l.Subscribe(t.Context(), 4, nil); !errors.Is(err, fanout.ErrTooOld) {
		t.Errorf("Subscribe after an evicted event: %v, want ErrTooOld", err)
	}
	if _, err := l.Subscribe(t.Context(), 13, nil); !errors.Is(err, fanout.ErrAhead) {
		t.Errorf("Subscribe after the last event: %v, want ErrAhead", err)
	}
	old, err := l.SubscribeOldest(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if old.After() != 5 {
		t.Errorf("SubscribeOldest After %d, want 5 (the last evicted)", old.After())
	}
	expect(t, old, 9, 10, 12)
}

func TestGroupsGetOnlyTheirTopicsOnceAndLagCountsOnlyThem(t *testing.T) {
	var ended []fanout.EndReason
	l := fanout.New(fanout.Config{MaxLag: 3, ErrSlow: errSlow, OnEnd: func(r fanout.EndReason) { ended = append(ended, r) }})
	a, _ := l.Subscribe(t.Context(), fanout.Live, []string{"a"})
	ab, _ := l.Subscribe(t.Context(), fanout.Live, []string{"b", "a", "b"})
	quiet, _ := l.Subscribe(t.Context(), fanout.Live, []string{"q"})
	n, _ := l.Append(fanout.Event{Seq: 1, Topics: []string{"a", "b"}, Item: rxgo.Of(uint64(1))})
	if n != 2 {
		t.Errorf("delivered %d, want 2 (a and ab; q does not match)", n)
	}
	appendSeqs(t, l, []string{"b"}, 2)
	appendSeqs(t, l, nil, 3)
	expect(t, a, 1, 3)
	expect(t, ab, 1, 2, 3)
	for s := uint64(4); s < 100; s++ {
		appendSeqs(t, l, []string{"other"}, s)
	}
	expect(t, quiet, 3) // 96 events of other topics are no lag for it
	appendSeqs(t, l, []string{"a"}, 100, 101, 102, 103)
	vs, _, err := drain(a) // 4 behind with MaxLag 3
	if len(vs) != 0 || !errors.Is(err, errSlow) {
		t.Fatalf("a got %v, %v; want cut off at once", vs, err)
	}
	if _, st := a.Next(); st != observable.Done {
		t.Errorf("after the cut-off: %v, want Done", st)
	}
	ab.Close()
	l.Close()
	if vs, st, _ := drain(quiet); len(vs) != 0 || st != observable.Done {
		t.Errorf("after Close: %v %v, want Done", vs, st)
	}
	if !slices.Equal(ended, []fanout.EndReason{fanout.EndCutOff, fanout.EndLeft, fanout.EndClosed}) {
		t.Errorf("ended %v", ended)
	}
	if _, err := l.Append(fanout.Event{Seq: 200}); !errors.Is(err, fanout.ErrClosed) {
		t.Errorf("Append after Close: %v", err)
	}
}

func TestASubscriptionEndsWithItsContextAndCloseLetsItFinishReading(t *testing.T) {
	l := fanout.New(fanout.Config{Replay: 10, ErrSlow: errSlow})
	ctx, cancel := context.WithCancel(t.Context())
	gone, _ := l.Subscribe(ctx, fanout.Live, nil)
	stays, _ := l.Subscribe(t.Context(), fanout.Live, nil)
	appendSeqs(t, l, nil, 1)
	cancel()
	if _, st, _ := drain(gone); st != observable.Done {
		t.Errorf("after its context ended: %v, want Done", st)
	}
	appendSeqs(t, l, nil, 2)
	l.Close()
	vs, st, _ := drain(stays)
	if !slices.Equal(vs, []any{uint64(1), uint64(2)}) || st != observable.Done {
		t.Errorf("after Close: %v %v, want the unread events 1 and 2, then Done", vs, st)
	}
	if _, err := l.Subscribe(t.Context(), fanout.Live, nil); !errors.Is(err, fanout.ErrClosed) {
		t.Errorf("Subscribe after Close: %v", err)
	}
}

func TestReplayAgeAndOrder(t *testing.T) {
	now := time.Unix(0, 0)
	l := fanout.New(fanout.Config{Replay: 10, ReplayAge: time.Minute, Now: func() time.Time { return now }})
	defer l.Close()
	for s, at := range []int{0, 30, 61} {
		l.Append(fanout.Event{Seq: uint64(s + 1), Time: time.Unix(int64(at), 0), Item: rxgo.Of(uint64(s + 1))})
	}
	now = time.Unix(61, 0)
	if _, err := l.Subscribe(t.Context(), 0, nil); !errors.Is(err, fanout.ErrTooOld) {
		t.Errorf("resuming before an expired event: %v, want ErrTooOld", err)
	}
	it, err := l.Subscribe(t.Context(), 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	expect(t, it, 2, 3)
	it.Close()
	if _, err := l.Append(fanout.Event{Seq: 3}); !errors.Is(err, fanout.ErrOrder) {
		t.Errorf("Append of an old seq: %v, want ErrOrder", err)
	}
}

// A loss upstream (events 4 to 6 never appended) must reach every live
// subscription as a cut-off, caught up or behind, and no resume may be
// served across it; a subscription started after it is unaffected.
func TestBreakCutsEverySubscriptionAndForgetsTheWindow(t *testing.T) {
	var ended []fanout.EndReason
	l := fanout.New(fanout.Config{Replay: 10, ErrSlow: errSlow, OnEnd: func(r fanout.EndReason) { ended = append(ended, r) }})
	defer l.Close()
	appendSeqs(t, l, nil, 1, 2)
	caughtUp, _ := l.Subscribe(t.Context(), fanout.Live, nil)
	behind, _ := l.Subscribe(t.Context(), fanout.Live, []string{"a"})
	defer caughtUp.Close()
	defer behind.Close()
	appendSeqs(t, l, []string{"a"}, 3)
	expect(t, caughtUp, 3)
	wake := caughtUp.Ready()

	l.Break(7)
	if !ready(wake) {
		t.Error("Break did not wake a waiting subscription")
	}
	appendSeqs(t, l, nil, 7, 8)
	for name, it := range map[string]*fanout.Iterator{"caught up": caughtUp, "behind": behind} {
		vs, st, err := drain(it)
		if len(vs) != 0 || !errors.Is(err, errSlow) {
			t.Errorf("%s: got %v, %v (state %v); want the cut-off error and nothing else", name, vs, err, st)
		}
	}
	if len(ended) != 2 || ended[0] != fanout.EndCutOff || ended[1] != fanout.EndCutOff {
		t.Errorf("ends reported: %v, want two cut-offs", ended)
	}
	if _, err := l.Subscribe(t.Context(), 3, nil); !errors.Is(err, fanout.ErrTooOld) {
		t.Errorf("resume from before the loss: %v, want ErrTooOld", err)
	}
	if first, last := l.Bounds(); first != 7 || last != 8 {
		t.Errorf("Bounds = %d, %d; want 7, 8", first, last)
	}
	after, err := l.Subscribe(t.Context(), 6, nil)
	if err != nil {
		t.Fatalf("resume from the last lost event: %v", err)
	}
	defer after.Close()
	expect(t, after, 7, 8)
	l.Break(9) // follows the last event: nothing is lost
	appendSeqs(t, l, nil, 9)
	expect(t, after, 9)
}

// A log that starts mid-stream accepts a resume from its start, and one
// that advances past sequence numbers that carried no event accepts a
// resume from there; neither is "ahead".
func TestStartAndAdvanceAreResumePoints(t *testing.T) {
	l := fanout.New(fanout.Config{Replay: 4, Start: 41, ErrSlow: errSlow})
	defer l.Close()
	if _, err := l.Subscribe(t.Context(), 42, nil); !errors.Is(err, fanout.ErrAhead) {
		t.Errorf("resume after the start: %v, want ErrAhead", err)
	}
	from, err := l.Subscribe(t.Context(), 41, nil)
	if err != nil {
		t.Fatalf("resume from the start: %v", err)
	}
	defer from.Close()
	l.Advance(43)
	l.Advance(40) // backwards: nothing
	after, err := l.Subscribe(t.Context(), 43, nil)
	if err != nil {
		t.Fatalf("resume from an advanced position: %v", err)
	}
	defer after.Close()
	if _, err := l.Append(fanout.Event{Seq: 43, Item: rxgo.Of(uint64(43))}); !errors.Is(err, fanout.ErrOrder) {
		t.Errorf("Append at an advanced position: %v, want ErrOrder", err)
	}
	appendSeqs(t, l, nil, 44)
	expect(t, from, 44)
	expect(t, after, 44)
}

func TestFailedEndsAtOnceWithItsErrorOrByCompleting(t *testing.T) {
	boom := errors.New("boom")
	it := fanout.Failed(boom)
	if item, st := it.Next(); st != observable.Value || !errors.Is(item.E, boom) {
		t.Fatalf("first Next = %+v, %v; want the error item", item, st)
	}
	if _, st := it.Next(); st != observable.Done {
		t.Fatalf("second Next = %v, want Done", st)
	}
	if _, st := fanout.Failed(nil).Next(); st != observable.Done {
		t.Fatalf("Failed(nil).Next() = %v, want Done", st)
	}
	select {
	case <-it.Ready():
	default:
		t.Fatal("Ready is not ready")
	}
}
