package observable_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/reactivex/rxgo/v2"
	"go.uber.org/goleak"

	"github.com/rxsse/rxsse/observable"
	"github.com/rxsse/rxsse/observable/clocktest"
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
	defer goleak.VerifyNone(t)
	clock := clocktest.New(epoch)
	ctx, cancel := context.WithCancel(context.Background())
	ch := observable.Concat(
		observable.Timer(time.Second, observable.WithClock(clock)),
		observable.Interval(time.Minute, observable.WithClock(clock)),
	).Observe(rxgo.WithContext(ctx))

	clock.BlockUntil(1) // Only the Timer.
	clock.Advance(time.Minute)
	if item := receive(t, ch); item.V != 0 {
		t.Fatalf("Timer item = %+v, want 0", item)
	}
	// The Interval starts now, so its first tick is a minute from now, not
	// from the subscription.
	clock.BlockUntil(1)
	clock.Advance(time.Minute)
	if item := receive(t, ch); item.V != 0 {
		t.Fatalf("Interval item = %+v, want 0", item)
	}
	stopped(t, cancel, ch, clock)
}

func TestConcatForwardsAnErrorThenEndsWithoutSubscribingFurther(t *testing.T) {
	defer goleak.VerifyNone(t)
	clock := clocktest.New(epoch)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	items := collect(t, observable.Concat(
		rxgo.Just(1, errBoom, 2)(),
		observable.Interval(time.Second, observable.WithClock(clock)),
	).Observe(rxgo.WithContext(ctx)))
	if len(items) != 2 || items[0].V != 1 || !errors.Is(items[1].E, errBoom) {
		t.Fatalf("items = %+v, want 1 then the error", items)
	}
	noWaiters(t, clock)
}

func TestConcatStopsTheCurrentInputWhenCancelledMidStream(t *testing.T) {
	defer goleak.VerifyNone(t)
	clock := clocktest.New(epoch)
	ctx, cancel := context.WithCancel(context.Background())
	ch := observable.Concat(
		observable.Interval(time.Second, observable.WithClock(clock)).Map(double),
		observable.Interval(time.Second, observable.WithClock(clock)),
	).Observe(rxgo.WithContext(ctx))
	clock.BlockUntil(1)
	clock.Advance(time.Second)
	receive(t, ch)
	stopped(t, cancel, ch, clock)
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
	if len(items) != 1 || !errors.Is(items[0].E, observable.ErrNilObservable) {
		t.Fatalf("items = %+v, want one error wrapping ErrNilObservable", items)
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
	defer goleak.VerifyNone(t)
	clock := clocktest.New(epoch)
	obs := observable.StartWith(observable.Interval(time.Second, observable.WithClock(clock)), "first")
	noWaiters(t, clock)

	ctx, cancel := context.WithCancel(context.Background())
	ch := obs.Observe(rxgo.WithContext(ctx))
	if item := receive(t, ch); item.V != "first" {
		t.Fatalf("item = %+v, want first", item)
	}
	clock.BlockUntil(1)
	clock.Advance(time.Second)
	if item := receive(t, ch); item.V != 0 {
		t.Fatalf("item = %+v, want 0", item)
	}
	stopped(t, cancel, ch, clock)
}

func TestStartWithANilInputEmitsTheItemsThenAnError(t *testing.T) {
	defer goleak.VerifyNone(t)
	items := collect(t, observable.StartWith(nil, 1).Observe())
	if len(items) != 2 || items[0].V != 1 || !errors.Is(items[1].E, observable.ErrNilObservable) {
		t.Fatalf("items = %+v, want 1 then an error wrapping ErrNilObservable", items)
	}
}
