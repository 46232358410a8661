package observable_test

import (
	"context"
	"errors"
	"reflect"
	"runtime"
	"testing"
	"testing/synctest"
	"time"

	"github.com/reactivex/rxgo/v2"
	"go.uber.org/goleak"

	"github.com/rxsse/rxsse/observable"
)

// Every test that needs time runs in a testing/synctest bubble: time there
// is virtual and moves only when every goroutine of the bubble is blocked, so
// a tick comes exactly one period after the last, at once, and
// synctest.Test fails if a goroutine of the bubble is left behind.

// at fails the test unless the virtual time since start is want.
func at(t testing.TB, start time.Time, want time.Duration, what string) {
	t.Helper()
	if got := time.Since(start); got != want {
		t.Fatalf("%s at %v, want %v", what, got, want)
	}
}

func TestIntervalEmitsCountingIntegersOncePerPeriod(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		start := time.Now()
		ch := observable.Interval(time.Second).Observe(rxgo.WithContext(ctx))
		for want := range 5 {
			if item := receive(t, ch); item.V != want {
				t.Fatalf("item = %+v, want %d", item, want)
			}
			at(t, start, time.Duration(want+1)*time.Second, "item")
		}
		cancel()
		collect(t, ch)
		at(t, start, 5*time.Second, "the end") // At once, not at the next tick.
	})
}

func TestIntervalIsColdEachSubscriptionCountsFromZero(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		ticks := observable.Interval(time.Second)
		time.Sleep(500 * time.Millisecond) // Building it started nothing.

		ctxA, cancelA := context.WithCancel(t.Context())
		a := ticks.Observe(rxgo.WithContext(ctxA))
		if item := receive(t, a); item.V != 0 {
			t.Fatalf("a: %+v, want 0", item)
		}
		at(t, start, 1500*time.Millisecond, "a's 0") // A period after a subscribed.

		time.Sleep(250 * time.Millisecond)
		ctxB, cancelB := context.WithCancel(t.Context())
		b := ticks.Observe(rxgo.WithContext(ctxB))
		if item := receive(t, a); item.V != 1 {
			t.Fatalf("a: %+v, want 1", item)
		}
		at(t, start, 2500*time.Millisecond, "a's 1")
		if item := receive(t, b); item.V != 0 {
			t.Fatalf("b: %+v, want 0", item)
		}
		at(t, start, 2750*time.Millisecond, "b's 0")

		cancelA()
		collect(t, a)
		if item := receive(t, b); item.V != 1 { // b's ticker is still running.
			t.Fatalf("b: %+v, want 1", item)
		}
		at(t, start, 3750*time.Millisecond, "b's 1")
		cancelB()
		collect(t, b)
	})
}

func TestIntervalWithANonPositivePeriodEmitsAnError(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, period := range []time.Duration{0, -time.Second} {
		t.Run(period.String(), func(t *testing.T) {
			items := collect(t, observable.Interval(period).Observe())
			if len(items) != 1 || !errors.Is(items[0].E, observable.ErrInvalidArgument) {
				t.Fatalf("items = %+v, want one error wrapping ErrInvalidArgument", items)
			}
		})
	}
}

func TestTimerEmitsZeroOnceAfterTheDelayAndCompletes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		start := time.Now()
		ch := observable.Timer(time.Minute).Observe(rxgo.WithContext(ctx))

		time.Sleep(time.Minute - time.Nanosecond)
		synctest.Wait()
		select {
		case item := <-ch:
			t.Fatalf("item %+v before the delay", item)
		default:
		}
		if got := values(t, collect(t, ch)); !reflect.DeepEqual(got, []any{0}) {
			t.Fatalf("values = %v, want [0]", got)
		}
		at(t, start, time.Minute, "the item and the end")
	})
}

func TestTimerWithANonPositiveDelayEmitsAtOnce(t *testing.T) {
	for _, delay := range []time.Duration{0, -time.Second} {
		t.Run(delay.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				if got := values(t, collect(t, observable.Timer(delay).Observe())); !reflect.DeepEqual(got, []any{0}) {
					t.Fatalf("values = %v, want [0]", got)
				}
				at(t, start, 0, "the item and the end")
			})
		})
	}
}

func TestTimerCancelledBeforeItFiresStopsAndEmitsNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		start := time.Now()
		ch := observable.Timer(time.Minute).Observe(rxgo.WithContext(ctx))
		time.Sleep(30 * time.Second)
		cancel()
		if items := collect(t, ch); len(items) != 0 {
			t.Fatalf("items = %+v, want none", items)
		}
		at(t, start, 30*time.Second, "the end") // At once, not when the timer was due.
	})
}

func double(_ context.Context, v any) (any, error) { return v.(int) * 2, nil }
func even(v any) bool                              { return v.(int)%2 == 0 }
func sum(_ context.Context, acc, v any) (any, error) {
	if acc == nil {
		return v, nil
	}
	return acc.(int) + v.(int), nil
}

// pipelines are rxgo operator chains on top of an Interval.
var pipelines = []struct {
	name      string
	build     func(rxgo.Observable) rxgo.Observable
	want      []any // first values
	completes bool  // whether the pipeline completes after want
}{
	{"Map", func(o rxgo.Observable) rxgo.Observable { return o.Map(double) }, []any{0, 2, 4}, false},
	{"Filter", func(o rxgo.Observable) rxgo.Observable { return o.Filter(even) }, []any{0, 2, 4}, false},
	// rxgo's Take completes only when the item after the last one it takes
	// arrives: one tick late.
	{"Take", func(o rxgo.Observable) rxgo.Observable { return o.Take(3) }, []any{0, 1, 2}, true},
	{"Scan", func(o rxgo.Observable) rxgo.Observable { return o.Scan(sum) }, []any{0, 1, 3, 6}, false},
	{"Map Filter Take", func(o rxgo.Observable) rxgo.Observable {
		return o.Map(double).Filter(func(v any) bool { return v.(int)%4 == 0 }).Take(2)
	}, []any{0, 4}, true},
	{"Merge and StartWith", func(o rxgo.Observable) rxgo.Observable {
		return observable.StartWith(observable.Merge(o.Filter(even)), "hello")
	}, []any{"hello", 0, 2}, false},
}

func TestIntervalPipelinesStopAndLeakNothingOnCancel(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, p := range pipelines {
		t.Run(p.name, func(t *testing.T) {
			// synctest.Test itself fails if a goroutine of the bubble is left.
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				ch := p.build(observable.Interval(time.Second)).Observe(rxgo.WithContext(ctx))
				var vs []any
				for range p.want {
					vs = append(vs, receive(t, ch).V)
				}
				if !reflect.DeepEqual(vs, p.want) {
					t.Fatalf("values = %v, want %v", vs, p.want)
				}
				if p.completes {
					if rest := collect(t, ch); len(rest) != 0 {
						t.Fatalf("items after completion: %+v", rest)
					}
				}
				cancel()
				collect(t, ch)
			})
		})
	}
}

// idleSources are clock-driven streams as a controller returns them, with
// the goroutines one idle subscription to each holds.
var idleSources = []struct {
	name       string
	build      func() rxgo.Observable
	goroutines int
}{
	{"Interval", func() rxgo.Observable { return observable.Interval(time.Hour) }, 1},
	{"Interval-Map", func() rxgo.Observable { return observable.Interval(time.Hour).Map(double) }, 2},
	{"Merge-Interval-Interval", func() rxgo.Observable {
		return observable.Merge(observable.Interval(time.Hour), observable.Interval(time.Hour))
	}, 3},
}

// TestAnIdleSubscriptionHoldsOnlyItsGoroutines measures what a subscription
// that waits for its next tick holds: its goroutines, checked, and the heap
// and stack bytes, logged (go test -v). synctest.Wait returns once every
// subscription has started its ticker and blocked.
func TestAnIdleSubscriptionHoldsOnlyItsGoroutines(t *testing.T) {
	const n = 500
	for _, src := range idleSources {
		t.Run(src.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				chans := make([]<-chan rxgo.Item, n)
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				g := runtime.NumGoroutine()
				for i := range chans {
					chans[i] = src.build().Observe(rxgo.WithContext(ctx))
				}
				synctest.Wait()
				runtime.GC()
				runtime.ReadMemStats(&after)
				goroutines := runtime.NumGoroutine() - g
				t.Logf("per idle subscription: %.1f goroutines, %.0f B heap, %.0f B stack", float64(goroutines)/n,
					float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/n,
					float64(int64(after.StackInuse)-int64(before.StackInuse))/n)
				if goroutines != src.goroutines*n {
					t.Errorf("%d subscriptions hold %d goroutines, want %d each", n, goroutines, src.goroutines)
				}
				cancel()
				for _, ch := range chans {
					collect(t, ch)
				}
			})
		})
	}
}

// BenchmarkIntervalSubscription measures subscribing to a clock-driven
// stream and cancelling at once. TestAnIdleSubscriptionHoldsOnlyItsGoroutines
// measures what an idle subscription holds.
func BenchmarkIntervalSubscription(b *testing.B) {
	for _, src := range idleSources {
		b.Run(src.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ctx, cancel := context.WithCancel(context.Background())
				ch := src.build().Observe(rxgo.WithContext(ctx))
				cancel()
				for range ch {
				}
			}
		})
	}
}
