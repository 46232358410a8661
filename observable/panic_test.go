package observable_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/reactivex/rxgo/v2"
	"go.uber.org/goleak"

	"github.com/rxsse/rxsse/observable"
)

func TestSafeMapTurnsAPanicIntoAnErrorItem(t *testing.T) {
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
			items := collect(t, rxgo.Just(1, 2, 3)().Map(observable.SafeMap(func(_ context.Context, v any) (any, error) {
				if v == 2 {
					tt.panics()
				}
				return v, nil
			})).Observe(rxgo.WithContext(ctx)))

			if len(items) != 2 || items[0].V != 1 {
				t.Fatalf("items = %+v, want 1 then an error", items)
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

func TestSafeMapPassesResultsAndErrorsThrough(t *testing.T) {
	fn := observable.SafeMap(func(_ context.Context, v any) (any, error) {
		if v == 0 {
			return nil, errBoom
		}
		return v.(int) * 10, nil
	})
	if v, err := fn(context.Background(), 2); v != 20 || err != nil {
		t.Errorf("fn(2) = %v, %v; want 20, nil", v, err)
	}
	if _, err := fn(context.Background(), 0); err != errBoom {
		t.Errorf("fn(0) error = %v, want %v", err, errBoom)
	}
}

func TestSafeFunc2TurnsAPanicInScanIntoAnErrorItem(t *testing.T) {
	defer goleak.VerifyNone(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	items := collect(t, rxgo.Just(1, 2, 0, 3)().Scan(observable.SafeFunc2(func(_ context.Context, acc, v any) (any, error) {
		return 12 / v.(int), nil
	})).Observe(rxgo.WithContext(ctx)))
	var pe *observable.PanicError
	if got := values(t, items[:2]); len(items) != 3 || got[0] != 12 || got[1] != 6 || !errors.As(items[2].E, &pe) {
		t.Fatalf("items = %+v, want 12, 6, then a *PanicError", items)
	}
}

func TestSafePredicateDropsTheItemAndReportsThePanic(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, report := range []bool{true, false} {
		ctx, cancel := context.WithCancel(context.Background())
		var reported []*observable.PanicError
		onPanic := func(pe *observable.PanicError) { reported = append(reported, pe) }
		if !report {
			onPanic = nil
		}
		items := collect(t, rxgo.Just(1, 2, 3)().Filter(observable.SafePredicate(func(v any) bool {
			if v == 2 {
				panic("no twos")
			}
			return true
		}, onPanic)).Observe(rxgo.WithContext(ctx)))
		cancel()

		if got := values(t, items); len(got) != 2 || got[0] != 1 || got[1] != 3 {
			t.Fatalf("values = %v, want [1 3]", got)
		}
		if report && (len(reported) != 1 || reported[0].Value != "no twos") {
			t.Fatalf("reported %+v, want the one panic", reported)
		}
	}
}

func TestPanicErrorSaysWhatPanickedButNotWhere(t *testing.T) {
	pe := &observable.PanicError{Value: "oops", Stack: []byte("goroutine 1 [running]:")}
	if got, want := pe.Error(), "observable: panic: oops"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	if pe.Unwrap() != nil {
		t.Fatalf("Unwrap() of a string panic = %v, want nil", pe.Unwrap())
	}
}
