package observable_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/reactivex/rxgo/v2"
	"go.uber.org/goleak"

	"github.com/rxsse/rxsse/observable"
)

func TestDeferTurnsAProducerPanicIntoAnErrorItemThatEndsTheStream(t *testing.T) {
	defer goleak.VerifyNone(t)
	var nilMap map[string]int
	tests := []struct {
		name   string
		panics func()
		is     error // what errors.Is must find through the PanicError
		as     any   // what errors.As must find through the PanicError
		value  any
	}{
		{"a string", func() { panic("oops") }, nil, nil, "oops"},
		{"an error", func() { panic(errBoom) }, errBoom, nil, errBoom},
		{"a runtime error", func() { nilMap["x"] = 1 }, nil, new(runtime.Error), nil},
		{"nil", func() { panic(nil) }, nil, new(*runtime.PanicNilError), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ranSecond := false
			items := collect(t, observable.Defer(
				func(ctx context.Context, next chan<- rxgo.Item) {
					rxgo.Of(1).SendContext(ctx, next)
					tt.panics()
				},
				func(context.Context, chan<- rxgo.Item) { ranSecond = true },
			).Observe(rxgo.WithContext(ctx)))

			if len(items) != 2 || items[0].V != 1 {
				t.Fatalf("items = %+v, want 1 then an error", items)
			}
			if ranSecond {
				t.Error("the producer after the panicking one ran")
			}
			var pe *observable.PanicError
			if !errors.As(items[1].E, &pe) {
				t.Fatalf("error %v is not a *PanicError", items[1].E)
			}
			if tt.value != nil && pe.Value != tt.value {
				t.Errorf("Value = %v, want %v", pe.Value, tt.value)
			}
			if !strings.Contains(string(pe.Stack), "panic_test.go") {
				t.Errorf("Stack does not show where it panicked:\n%s", pe.Stack)
			}
			if tt.is != nil && !errors.Is(pe, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", pe, tt.is)
			}
			if tt.as != nil && !errors.As(pe, tt.as) {
				t.Errorf("errors.As(%v, %T) = false", pe, tt.as)
			}
		})
	}
}

func TestDeferRunsEveryProducerInTurnEachTimeItIsObserved(t *testing.T) {
	defer goleak.VerifyNone(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	emit := func(v int) rxgo.Producer {
		return func(ctx context.Context, next chan<- rxgo.Item) { rxgo.Of(v).SendContext(ctx, next) }
	}
	obs := observable.Defer(emit(1), emit(2))
	for range 2 {
		if got := values(t, collect(t, obs.Observe(rxgo.WithContext(ctx)))); len(got) != 2 || got[0] != 1 || got[1] != 2 {
			t.Fatalf("values = %v, want [1 2]", got)
		}
	}
}

func TestDeferStopsItsProducerWhenTheObserveContextEnds(t *testing.T) {
	defer goleak.VerifyNone(t)
	ctx, cancel := context.WithCancel(context.Background())
	items := observable.Defer(func(ctx context.Context, next chan<- rxgo.Item) {
		for i := 0; rxgo.Of(i).SendContext(ctx, next); i++ {
		}
	}).Observe(rxgo.WithContext(ctx))
	receive(t, items)
	cancel()
	collect(t, items) // Closes once the producer has seen the cancelled context.
}

// Every source of the package is guarded: a function chained on it that
// panics ends the stream with a *PanicError.
func TestEverySourceOfThePackageIsGuarded(t *testing.T) {
	defer goleak.VerifyNone(t)
	sources := []struct {
		name string
		obs  func() rxgo.Observable
	}{
		{"Interval", func() rxgo.Observable { return observable.Interval(time.Second) }},
		{"Timer", func() rxgo.Observable { return observable.Timer(time.Second) }},
		{"Defer", func() rxgo.Observable {
			return observable.Defer(func(ctx context.Context, next chan<- rxgo.Item) { rxgo.Of(0).SendContext(ctx, next) })
		}},
		{"Merge", func() rxgo.Observable { return observable.Merge(rxgo.Just(0)()) }},
		{"Concat", func() rxgo.Observable { return observable.Concat(rxgo.Just(0)()) }},
		{"StartWith", func() rxgo.Observable { return observable.StartWith(rxgo.Empty(), 0) }},
		{"Guard", func() rxgo.Observable { return observable.Guard(rxgo.Just(0)()) }},
	}
	for _, src := range sources {
		t.Run(src.name, func(t *testing.T) {
			// In virtual time: Interval and Timer fire at once.
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				items := src.obs().
					Map(func(_ context.Context, v any) (any, error) { return v.(int) + 1, nil }).
					Filter(func(v any) bool { return 1/(v.(int)-1) > 0 }).
					Observe(rxgo.WithContext(ctx))
				item := receive(t, items)
				var pe *observable.PanicError
				if !errors.As(item.E, &pe) {
					t.Fatalf("item = %+v, want a *PanicError", item)
				}
				cancel()
				collect(t, items)
			})
		})
	}
}

func TestGuardOfNilIsNil(t *testing.T) {
	if observable.Guard(nil) != nil {
		t.Fatal("Guard(nil) != nil")
	}
}

func TestPanicErrorSaysWhatPanickedButNotWhere(t *testing.T) {
	pe := &observable.PanicError{Value: "oops", Stack: []byte("goroutine 1 [running]:")}
	if got, want := pe.Error(), "panic: oops"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	if pe.Unwrap() != nil {
		t.Fatalf("Unwrap() of a string panic = %v, want nil", pe.Unwrap())
	}
}
