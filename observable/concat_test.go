package observable_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"testing/synctest"
	"time"

	"github.com/reactivex/rxgo/v2"
	"go.uber.org/goleak"

	"github.com/rxsse/rxsse/observable"
)

func TestConcatEmitsItsInputsOneAfterTheOther(t *testing.T) {
	defer goleak.VerifyNone(t)
	tests := []struct {
		name   string
		inputs []rxgo.Observable
		want   []any
	}{
		{"no inputs complete at once", nil, []any{}},
		{"one input", []rxgo.Observable{rxgo.Just(1, 2)()}, []any{1, 2}},
		{"several inputs in order", []rxgo.Observable{rxgo.Just(1, 2)(), rxgo.Empty(), rxgo.Just("a")()}, []any{1, 2, "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			got := values(t, collect(t, observable.Concat(tt.inputs...).Observe(rxgo.WithContext(ctx))))
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("values = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestConcatSubscribesToAnInputOnlyAfterThePreviousCompleted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var ticks spy
		ctx, cancel := context.WithCancel(t.Context())
		start := time.Now()
		ch := observable.Concat(
			observable.Timer(time.Second),
			ticks.watch(observable.Interval(5*time.Second)),
		).Observe(rxgo.WithContext(ctx))

		synctest.Wait()
		if n := ticks.started.Load(); n != 0 {
			t.Fatal("Concat subscribed to the Interval before the Timer completed")
		}
		if item := receive(t, ch); item.V != 0 {
			t.Fatalf("Timer item = %+v, want 0", item)
		}
		at(t, start, time.Second, "the Timer's item")
		// The Interval starts now, so its first tick is a period from now, not
		// from the subscription.
		if item := receive(t, ch); item.V != 0 {
			t.Fatalf("Interval item = %+v, want 0", item)
		}
		at(t, start, 6*time.Second, "the Interval's first item")
		cancel()
		collect(t, ch)
	})
}

func TestConcatForwardsAnErrorThenEndsWithoutSubscribingFurther(t *testing.T) {
	defer goleak.VerifyNone(t)
	var ticks spy
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	items := collect(t, observable.Concat(
		rxgo.Just(1, errBoom, 2)(),
		ticks.watch(observable.Interval(time.Second)),
	).Observe(rxgo.WithContext(ctx)))
	if len(items) != 2 || items[0].V != 1 || !errors.Is(items[1].E, errBoom) {
		t.Fatalf("items = %+v, want 1 then the error", items)
	}
	if n := ticks.started.Load(); n != 0 {
		t.Fatal("Concat subscribed to the input after the error")
	}
}

func TestConcatStopsTheCurrentInputWhenCancelledMidStream(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var first, second spy
		ctx, cancel := context.WithCancel(t.Context())
		ch := observable.Concat(
			first.watch(observable.Interval(time.Second).Map(double)),
			second.watch(observable.Interval(time.Second)),
		).Observe(rxgo.WithContext(ctx))
		receive(t, ch)
		cancel()
		collect(t, ch)
		synctest.Wait()
		if n := first.live.Load(); n != 0 {
			t.Fatal("the first input still runs after cancel")
		}
		if n := second.started.Load(); n != 0 {
			t.Fatal("the second input was subscribed to")
		}
	})
}

func TestConcatIsColdEachSubscriptionStartsOver(t *testing.T) {
	defer goleak.VerifyNone(t)
	concat := observable.Concat(rxgo.Just(1)(), rxgo.Just(2)())
	for range 2 {
		if got := values(t, collect(t, concat.Observe())); !reflect.DeepEqual(got, []any{1, 2}) {
			t.Fatalf("values = %v, want [1 2]", got)
		}
	}
}

func TestConcatWithANilInputEmitsAnErrorBeforeSubscribing(t *testing.T) {
	defer goleak.VerifyNone(t)
	items := collect(t, observable.Concat(rxgo.Just(1)(), nil).Observe())
	if len(items) != 1 || !errors.Is(items[0].E, observable.ErrInvalidArgument) {
		t.Fatalf("items = %+v, want one error wrapping ErrInvalidArgument", items)
	}
}

func TestStartWithEmitsItsItemsThenTheInput(t *testing.T) {
	defer goleak.VerifyNone(t)
	errValue := errors.New("a value")
	tests := []struct {
		name  string
		input rxgo.Observable
		items []any
		want  []any
	}{
		{"no items", rxgo.Just(3)(), nil, []any{3}},
		{"items first", rxgo.Just(3)(), []any{1, 2}, []any{1, 2, 3}},
		{"an empty input", rxgo.Empty(), []any{1}, []any{1}},
		{"a slice is one item and an error a value", rxgo.Empty(), []any{[]int{1, 2}, errValue}, []any{[]int{1, 2}, errValue}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			got := values(t, collect(t, observable.StartWith(tt.input, tt.items...).Observe(rxgo.WithContext(ctx))))
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("values = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestStartWithSubscribesOnlyWhenObservedAndStopsOnCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var ticks spy
		obs := observable.StartWith(ticks.watch(observable.Interval(time.Second)), "first")
		synctest.Wait()
		if n := ticks.started.Load(); n != 0 {
			t.Fatal("building StartWith subscribed to its input")
		}

		ctx, cancel := context.WithCancel(t.Context())
		start := time.Now()
		ch := obs.Observe(rxgo.WithContext(ctx))
		if item := receive(t, ch); item.V != "first" {
			t.Fatalf("item = %+v, want first", item)
		}
		if item := receive(t, ch); item.V != 0 {
			t.Fatalf("item = %+v, want 0", item)
		}
		at(t, start, time.Second, "the tick")
		cancel()
		collect(t, ch)
		synctest.Wait()
		if n := ticks.live.Load(); n != 0 {
			t.Fatal("the input still runs after cancel")
		}
	})
}

func TestStartWithANilInputEmitsTheItemsThenAnError(t *testing.T) {
	defer goleak.VerifyNone(t)
	items := collect(t, observable.StartWith(nil, 1).Observe())
	if len(items) != 2 || items[0].V != 1 || !errors.Is(items[1].E, observable.ErrInvalidArgument) {
		t.Fatalf("items = %+v, want 1 then an error wrapping ErrInvalidArgument", items)
	}
}
