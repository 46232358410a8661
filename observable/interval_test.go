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
	"github.com/rxsse/rxsse/observable/clocktest"
)

var epoch = time.Unix(0, 0)

// noWaiters fails the test unless c has no active timer or ticker right now.
func noWaiters(t testing.TB, c *clocktest.Clock) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.BlockUntilContext(ctx, 0); err != nil {
		t.Fatal("the clock has active timers, want none")
	}
}

// stopped cancels a subscription and waits for its stream to close and for
// its timers to stop.
func stopped(t testing.TB, cancel context.CancelFunc, ch <-chan rxgo.Item, c *clocktest.Clock) {
	t.Helper()
	cancel()
	collect(t, ch)
	ctx, done := context.WithTimeout(context.Background(), stuck)
	defer done()
	if err := c.BlockUntilContext(ctx, 0); err != nil {
		t.Fatal("timers still active after cancel")
	}
}

func TestIntervalEmitsCountingIntegersOncePerPeriod(t *testing.T) {
	defer goleak.VerifyNone(t)
	clock := clocktest.New(epoch)
	ctx, cancel := context.WithCancel(context.Background())
	ch := observable.Interval(time.Second, observable.WithClock(clock)).Observe(rxgo.WithContext(ctx))

	clock.BlockUntil(1)
	for want := range 5 {
		clock.Advance(time.Second)
		if item := receive(t, ch); item.V != want {
			t.Fatalf("item = %+v, want %d", item, want)
		}
	}
	stopped(t, cancel, ch, clock)
}

func TestIntervalIsColdEachSubscriptionCountsFromZero(t *testing.T) {
	defer goleak.VerifyNone(t)
	clock := clocktest.New(epoch)
	ticks := observable.Interval(time.Second, observable.WithClock(clock))
	noWaiters(t, clock) // Building it started nothing.

	ctxA, cancelA := context.WithCancel(context.Background())
	a := ticks.Observe(rxgo.WithContext(ctxA))
	clock.BlockUntil(1)
	clock.Advance(time.Second)
	if item := receive(t, a); item.V != 0 {
		t.Fatalf("a: %+v, want 0", item)
	}

	ctxB, cancelB := context.WithCancel(context.Background())
	b := ticks.Observe(rxgo.WithContext(ctxB))
	clock.BlockUntil(2)
	clock.Advance(time.Second)
	if item := receive(t, a); item.V != 1 {
		t.Fatalf("a: %+v, want 1", item)
	}
	if item := receive(t, b); item.V != 0 {
		t.Fatalf("b: %+v, want 0", item)
	}

	cancelA()
	collect(t, a)
	clock.BlockUntil(1) // b's ticker is still running.
	clock.Advance(time.Second)
	if item := receive(t, b); item.V != 1 {
		t.Fatalf("b: %+v, want 1", item)
	}
	stopped(t, cancelB, b, clock)
}

func TestIntervalWithANonPositivePeriodEmitsAnError(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, period := range []time.Duration{0, -time.Second} {
		t.Run(period.String(), func(t *testing.T) {
			items := collect(t, observable.Interval(period).Observe())
			if len(items) != 1 || !errors.Is(items[0].E, observable.ErrInvalidPeriod) {
				t.Fatalf("items = %+v, want one error wrapping ErrInvalidPeriod", items)
			}
		})
	}
}

func TestTimerEmitsZeroOnceAfterTheDelayAndCompletes(t *testing.T) {
	defer goleak.VerifyNone(t)
	clock := clocktest.New(epoch)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := observable.Timer(time.Minute, observable.WithClock(clock)).Observe(rxgo.WithContext(ctx))

	clock.BlockUntil(1)
	clock.Advance(time.Minute - time.Nanosecond)
	select {
	case item := <-ch:
		t.Fatalf("item %+v before the delay", item)
	default:
	}
	clock.Advance(time.Nanosecond)
	if got := values(t, collect(t, ch)); !reflect.DeepEqual(got, []any{0}) {
		t.Fatalf("values = %v, want [0]", got)
	}
	noWaiters(t, clock)
}

func TestTimerWithANonPositiveDelayEmitsAtOnce(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, delay := range []time.Duration{0, -time.Second} {
		t.Run(delay.String(), func(t *testing.T) {
			clock := clocktest.New(epoch)
			ch := observable.Timer(delay, observable.WithClock(clock)).Observe()
			if got := values(t, collect(t, ch)); !reflect.DeepEqual(got, []any{0}) {
				t.Fatalf("values = %v, want [0]", got)
			}
		})
	}
}

func TestTimerCancelledBeforeItFiresStopsAndEmitsNothing(t *testing.T) {
	defer goleak.VerifyNone(t)
	clock := clocktest.New(epoch)
	ctx, cancel := context.WithCancel(context.Background())
	ch := observable.Timer(time.Minute, observable.WithClock(clock)).Observe(rxgo.WithContext(ctx))
	clock.BlockUntil(1)
	cancel()
	if items := collect(t, ch); len(items) != 0 {
		t.Fatalf("items = %+v, want none", items)
	}
	clock.BlockUntil(0)
}

func TestIntervalTicksInVirtualTimeUnderSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		start := time.Now()
		ch := observable.Interval(time.Second).Observe(rxgo.WithContext(ctx))
		for want := range 3 {
			item := receive(t, ch)
			if item.V != want {
				t.Fatalf("item = %+v, want %d", item, want)
			}
			if got, wantAt := time.Since(start), time.Duration(want+1)*time.Second; got != wantAt {
				t.Fatalf("item %d at %v, want %v", want, got, wantAt)
			}
		}
		cancel()
		collect(t, ch)
	})
}

func TestTimerFiresInVirtualTimeUnderSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		start := time.Now()
		got := values(t, collect(t, observable.Timer(5*time.Second).Observe(rxgo.WithContext(ctx))))
		if !reflect.DeepEqual(got, []any{0}) || time.Since(start) != 5*time.Second {
			t.Fatalf("values %v after %v, want [0] after 5s", got, time.Since(start))
		}
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
	ticks     int   // ticks the pipeline needs to emit want
	want      []any // first values
	completes bool  // whether the pipeline completes after want
}{
	{"Map", func(o rxgo.Observable) rxgo.Observable { return o.Map(double) }, 3, []any{0, 2, 4}, false},
	{"Filter", func(o rxgo.Observable) rxgo.Observable { return o.Filter(even) }, 5, []any{0, 2, 4}, false},
	// rxgo's Take completes only when the item after the last one it takes
	// arrives: one tick late.
	{"Take", func(o rxgo.Observable) rxgo.Observable { return o.Take(3) }, 4, []any{0, 1, 2}, true},
	{"Scan", func(o rxgo.Observable) rxgo.Observable { return o.Scan(sum) }, 4, []any{0, 1, 3, 6}, false},
	{"Map Filter Take", func(o rxgo.Observable) rxgo.Observable {
		return o.Map(double).Filter(func(v any) bool { return v.(int)%4 == 0 }).Take(2)
	}, 5, []any{0, 4}, true},
	{"Merge and StartWith", func(o rxgo.Observable) rxgo.Observable {
		return observable.StartWith(observable.Merge(o.Filter(even)), "hello")
	}, 3, []any{"hello", 0, 2}, false},
}

func TestIntervalPipelinesStopAndLeakNothingOnCancelWithAFakeClock(t *testing.T) {
	for _, p := range pipelines {
		t.Run(p.name, func(t *testing.T) {
			defer goleak.VerifyNone(t)
			clock := clocktest.New(epoch)
			// The tap tells when the Interval has taken a tick, so the next
			// Advance cannot be dropped by the fake ticker.
			tapped := make(chan any, p.ticks)
			source := observable.Interval(time.Second, observable.WithClock(clock)).
				Map(func(_ context.Context, v any) (any, error) { tapped <- v; return v, nil })
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ch := p.build(source).Observe(rxgo.WithContext(ctx))

			// Read concurrently: unbuffered stages hold only a few items.
			got := make(chan rxgo.Item, 64)
			go func() {
				defer close(got)
				for item := range ch {
					got <- item
				}
			}()
			clock.BlockUntil(1)
			for range p.ticks {
				clock.Advance(time.Second)
				<-tapped
			}
			var vs []any
			for range p.want {
				vs = append(vs, receive(t, got).V)
			}
			if !reflect.DeepEqual(vs, p.want) {
				t.Fatalf("values = %v, want %v", vs, p.want)
			}
			if p.completes {
				if rest := collect(t, got); len(rest) != 0 {
					t.Fatalf("items after completion: %+v", rest)
				}
			}
			stopped(t, cancel, got, clock)
		})
	}
}

func TestIntervalPipelinesStopAndLeakNothingOnCancelUnderSynctest(t *testing.T) {
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

// BenchmarkIntervalSubscription measures the life of a subscription to a
// clock-driven stream: ns/op is subscribing and cancelling at once, and the
// custom metrics are what a subscription holds while idle, measured once over
// a batch.
func BenchmarkIntervalSubscription(b *testing.B) {
	benchmarks := []struct {
		name    string
		tickers int // per subscription
		build   func(observable.Clock) rxgo.Observable
	}{
		{"Interval", 1, func(c observable.Clock) rxgo.Observable {
			return observable.Interval(time.Hour, observable.WithClock(c))
		}},
		{"Interval-Map", 1, func(c observable.Clock) rxgo.Observable {
			return observable.Interval(time.Hour, observable.WithClock(c)).Map(double)
		}},
		{"Merge-Interval-Interval", 2, func(c observable.Clock) rxgo.Observable {
			return observable.Merge(
				observable.Interval(time.Hour, observable.WithClock(c)),
				observable.Interval(time.Hour, observable.WithClock(c)),
			)
		}},
	}
	for _, bm := range benchmarks {
		b.Run(bm.name, func(b *testing.B) {
			goroutines, heap, stack := idleCost(bm.tickers, bm.build)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				ctx, cancel := context.WithCancel(context.Background())
				ch := bm.build(observable.RealClock{}).Observe(rxgo.WithContext(ctx))
				cancel()
				for range ch {
				}
			}
			b.ReportMetric(goroutines, "idle-goroutines/sub")
			b.ReportMetric(heap, "idle-heap-B/sub")
			b.ReportMetric(stack, "idle-stack-B/sub")
		})
	}
}

// idleCost returns the goroutines, heap bytes and stack bytes that one idle
// subscription holds, averaged over a batch. The sources get a fake clock
// only so that it can tell when every subscription has started its tickers;
// a real clock adds a runtime timer to each.
func idleCost(tickers int, build func(observable.Clock) rxgo.Observable) (goroutines, heap, stack float64) {
	const n = 2000
	chans := make([]<-chan rxgo.Item, n)
	clock := clocktest.New(epoch)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	g := runtime.NumGoroutine()

	for i := range chans {
		chans[i] = build(clock).Observe(rxgo.WithContext(ctx))
	}
	clock.BlockUntil(n * tickers)
	runtime.GC()
	runtime.ReadMemStats(&after)
	goroutines = float64(runtime.NumGoroutine()-g) / n
	heap = (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / n
	stack = (float64(after.StackInuse) - float64(before.StackInuse)) / n

	cancel()
	for _, ch := range chans {
		for range ch {
		}
	}
	clock.BlockUntil(0)
	return goroutines, heap, stack
}
