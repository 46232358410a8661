package observable_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/reactivex/rxgo/v2"
	"go.uber.org/goleak"

	"github.com/rxsse/rxsse/observable"
	"github.com/rxsse/rxsse/observable/clocktest"
)

var errBoom = errors.New("boom")

// sortedInts returns the values of items, which must be ints, sorted.
func sortedInts(t testing.TB, items []rxgo.Item) []int {
	t.Helper()
	var ints []int
	for _, v := range values(t, items) {
		ints = append(ints, v.(int))
	}
	slices.Sort(ints)
	return ints
}

func TestMergeEmitsEveryItemOfEveryInputAndCompletes(t *testing.T) {
	defer goleak.VerifyNone(t)
	tests := []struct {
		name   string
		inputs []rxgo.Observable
		want   []int
	}{
		{"no inputs complete at once", nil, nil},
		{"one input", []rxgo.Observable{rxgo.Just(1, 2)()}, []int{1, 2}},
		{"several inputs", []rxgo.Observable{rxgo.Just(1, 2, 3)(), rxgo.Empty(), rxgo.Range(4, 3)}, []int{1, 2, 3, 4, 5, 6}},
		{"the same input twice", []rxgo.Observable{rxgo.Just(1)(), rxgo.Just(1)()}, []int{1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			got := sortedInts(t, collect(t, observable.Merge(tt.inputs...).Observe(rxgo.WithContext(ctx))))
			if !slices.Equal(got, tt.want) {
				t.Fatalf("values = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMergeOfAnIntervalAndJustInterleavesThem(t *testing.T) {
	defer goleak.VerifyNone(t)
	clock := clocktest.New(epoch)
	ctx, cancel := context.WithCancel(context.Background())
	ch := observable.Merge(
		observable.Interval(time.Second, observable.WithClock(clock)),
		rxgo.Just("hello")(),
	).Observe(rxgo.WithContext(ctx))

	if item := receive(t, ch); item.V != "hello" {
		t.Fatalf("first item = %+v, want hello", item)
	}
	clock.BlockUntil(1)
	for want := range 3 {
		clock.Advance(time.Second)
		if item := receive(t, ch); item.V != want {
			t.Fatalf("item = %+v, want %d", item, want)
		}
	}
	stopped(t, cancel, ch, clock)
}

func TestMergeStopsEveryInputWhenCancelledMidStream(t *testing.T) {
	defer goleak.VerifyNone(t)
	clock := clocktest.New(epoch)
	ctx, cancel := context.WithCancel(context.Background())
	ch := observable.Merge(
		observable.Interval(time.Second, observable.WithClock(clock)),
		observable.Interval(time.Second, observable.WithClock(clock)).Map(double),
	).Observe(rxgo.WithContext(ctx))

	clock.BlockUntil(2)
	clock.Advance(time.Second)
	if got := sortedInts(t, []rxgo.Item{receive(t, ch), receive(t, ch)}); !slices.Equal(got, []int{0, 0}) {
		t.Fatalf("values = %v, want [0 0]", got)
	}
	stopped(t, cancel, ch, clock)
}

func TestMergeForwardsTheFirstErrorThenEndsAndStopsTheOtherInputs(t *testing.T) {
	defer goleak.VerifyNone(t)
	clock := clocktest.New(epoch)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := observable.Merge(
		observable.Interval(time.Second, observable.WithClock(clock)),
		observable.Timer(time.Second, observable.WithClock(clock)).
			Map(func(context.Context, any) (any, error) { return nil, errBoom }),
	).Observe(rxgo.WithContext(ctx))

	clock.BlockUntil(2)
	clock.Advance(time.Second)
	items := collect(t, ch) // The Interval's 0 may come before the error.
	if len(items) == 0 || len(items) > 2 || !errors.Is(items[len(items)-1].E, errBoom) {
		t.Fatalf("items = %+v, want at most 0 then the error", items)
	}
	clock.BlockUntil(0) // The Interval was cancelled without our cancel.
}

func TestMergeDrainsAnInputThatIgnoresTheContextSoItFinishes(t *testing.T) {
	defer goleak.VerifyNone(t)
	// This producer sends without looking at its context, like some rxgo
	// operators do: only draining lets it finish.
	stubborn := rxgo.Defer([]rxgo.Producer{func(_ context.Context, next chan<- rxgo.Item) {
		for i := range 5 {
			next <- rxgo.Of(i)
		}
	}})
	ctx, cancel := context.WithCancel(context.Background())
	ch := observable.Merge(stubborn).Observe(rxgo.WithContext(ctx))
	receive(t, ch)
	cancel()
	collect(t, ch)
}

func TestMergeGivesUpDrainingAnInputThatNeverCloses(t *testing.T) {
	// synctest.Test fails if the drain goroutine outlives the bubble. Its
	// bounded wait (a second) passes in virtual time.
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		ch := observable.Merge(rxgo.Just(1)(), rxgo.Never()).Observe(rxgo.WithContext(ctx))
		receive(t, ch)
		start := time.Now()
		cancel()
		collect(t, ch)
		if time.Since(start) != 0 {
			t.Fatalf("the output closed after %v, want at once", time.Since(start))
		}
		time.Sleep(time.Second)
		synctest.Wait()
	})
}

func TestMergeIsColdAndSubscribesWhenObserved(t *testing.T) {
	defer goleak.VerifyNone(t)
	clock := clocktest.New(epoch)
	merged := observable.Merge(observable.Interval(time.Second, observable.WithClock(clock)))
	noWaiters(t, clock)

	ctxA, cancelA := context.WithCancel(context.Background())
	a := merged.Observe(rxgo.WithContext(ctxA))
	ctxB, cancelB := context.WithCancel(context.Background())
	b := merged.Observe(rxgo.WithContext(ctxB))
	clock.BlockUntil(2)
	clock.Advance(time.Second)
	if va, vb := receive(t, a).V, receive(t, b).V; va != 0 || vb != 0 {
		t.Fatalf("values = %v and %v, want 0 and 0", va, vb)
	}
	cancelA()
	collect(t, a)
	stopped(t, cancelB, b, clock)
}

func TestMergeWithANilInputEmitsAnError(t *testing.T) {
	defer goleak.VerifyNone(t)
	items := collect(t, observable.Merge(rxgo.Just(1)(), nil).Observe())
	if len(items) != 1 || !errors.Is(items[0].E, observable.ErrNilObservable) {
		t.Fatalf("items = %+v, want one error wrapping ErrNilObservable", items)
	}
}

func TestMergeInterleavesByTimeUnderSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		tag := func(s string) rxgo.Func {
			return func(_ context.Context, v any) (any, error) { return s, nil }
		}
		ch := observable.Merge(
			observable.Interval(2*time.Second).Map(tag("a")),
			observable.Interval(3*time.Second).Map(tag("b")),
		).Observe(rxgo.WithContext(ctx))
		var got []any
		for range 3 {
			got = append(got, receive(t, ch).V)
		}
		if want := []any{"a", "b", "a"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("values = %v, want %v", got, want)
		}
		cancel()
		collect(t, ch)
	})
}

// BenchmarkMerge measures the cost of one item going through a Merge of two
// inputs, against the same items straight from rxgo.Range.
func BenchmarkMerge(b *testing.B) {
	benchmarks := []struct {
		name  string
		build func(n int) rxgo.Observable
	}{
		{"Range", func(n int) rxgo.Observable { return rxgo.Range(0, n) }},
		{"Merge", func(n int) rxgo.Observable {
			return observable.Merge(rxgo.Range(0, n/2), rxgo.Range(0, n-n/2))
		}},
		{"Concat", func(n int) rxgo.Observable {
			return observable.Concat(rxgo.Range(0, n/2), rxgo.Range(0, n-n/2))
		}},
	}
	for _, bm := range benchmarks {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			count := 0
			for range bm.build(b.N).Observe(rxgo.WithContext(ctx)) {
				count++
			}
			if count != b.N {
				b.Fatalf("%d items, want %d", count, b.N)
			}
		})
	}
}
