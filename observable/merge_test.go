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
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		start := time.Now()
		ch := observable.Merge(
			observable.Interval(time.Second),
			rxgo.Just("hello")(),
		).Observe(rxgo.WithContext(ctx))

		if item := receive(t, ch); item.V != "hello" {
			t.Fatalf("first item = %+v, want hello", item)
		}
		at(t, start, 0, "hello")
		for want := range 3 {
			if item := receive(t, ch); item.V != want {
				t.Fatalf("item = %+v, want %d", item, want)
			}
			at(t, start, time.Duration(want+1)*time.Second, "the tick")
		}
		cancel()
		collect(t, ch)
	})
}

func TestMergeStopsEveryInputWhenCancelledMidStream(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var inputs spy
		ctx, cancel := context.WithCancel(t.Context())
		ch := observable.Merge(
			inputs.watch(observable.Interval(time.Second)),
			inputs.watch(observable.Interval(time.Second).Map(double)),
		).Observe(rxgo.WithContext(ctx))

		if got := sortedInts(t, []rxgo.Item{receive(t, ch), receive(t, ch)}); !slices.Equal(got, []int{0, 0}) {
			t.Fatalf("values = %v, want [0 0]", got)
		}
		cancel()
		collect(t, ch)
		synctest.Wait()
		if n := inputs.live.Load(); n != 0 {
			t.Fatalf("%d inputs still running after cancel, want none", n)
		}
	})
}

func TestMergeForwardsTheFirstErrorThenEndsAndStopsTheOtherInputs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var ticks spy
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		ch := observable.Merge(
			ticks.watch(observable.Interval(time.Second)),
			observable.Timer(time.Second).
				Map(func(context.Context, any) (any, error) { return nil, errBoom }),
		).Observe(rxgo.WithContext(ctx))

		items := collect(t, ch) // The Interval's 0 may come before the error.
		if len(items) == 0 || len(items) > 2 || !errors.Is(items[len(items)-1].E, errBoom) {
			t.Fatalf("items = %+v, want at most 0 then the error", items)
		}
		synctest.Wait()
		if n := ticks.live.Load(); n != 0 { // Cancelled without our cancel.
			t.Fatal("the Interval still runs after the error, want it stopped")
		}
	})
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
	synctest.Test(t, func(t *testing.T) {
		var ticks spy
		merged := observable.Merge(ticks.watch(observable.Interval(time.Second)))
		synctest.Wait()
		if n := ticks.started.Load(); n != 0 {
			t.Fatalf("building Merge subscribed to its input %d times, want none", n)
		}

		ctxA, cancelA := context.WithCancel(t.Context())
		a := merged.Observe(rxgo.WithContext(ctxA))
		ctxB, cancelB := context.WithCancel(t.Context())
		b := merged.Observe(rxgo.WithContext(ctxB))
		if va, vb := receive(t, a).V, receive(t, b).V; va != 0 || vb != 0 {
			t.Fatalf("values = %v and %v, want 0 and 0", va, vb)
		}
		if n := ticks.started.Load(); n != 2 {
			t.Fatalf("two subscriptions subscribed to the input %d times, want 2", n)
		}
		cancelA()
		collect(t, a)
		synctest.Wait()
		if n := ticks.live.Load(); n != 1 {
			t.Fatalf("%d inputs running after one of two subscriptions left, want 1", n)
		}
		cancelB()
		collect(t, b)
	})
}

func TestMergeWithANilInputEmitsAnError(t *testing.T) {
	defer goleak.VerifyNone(t)
	items := collect(t, observable.Merge(rxgo.Just(1)(), nil).Observe())
	if len(items) != 1 || !errors.Is(items[0].E, observable.ErrInvalidArgument) {
		t.Fatalf("items = %+v, want one error wrapping ErrInvalidArgument", items)
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
