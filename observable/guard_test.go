package observable

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"testing"

	"github.com/cenkalti/backoff/v4"
	"github.com/reactivex/rxgo/v2"
)

// num reads an int, or the int64 of Count.
func num(v any) int {
	if n, ok := v.(int64); ok {
		return int(n)
	}
	return v.(int)
}

func double(_ context.Context, v any) (any, error) { return num(v) * 2, nil }
func sum(_ context.Context, acc, v any) (any, error) {
	if acc == nil {
		return v, nil
	}
	return acc.(int) + v.(int), nil
}
func even(v any) bool      { return num(v)%2 == 0 }
func small(v any) bool     { return v.(int) < 3 }
func compare(a, b any) int { return a.(int) - b.(int) }
func parity(v any) (any, error) {
	return v.(int) % 2, nil
}

// of returns a cold Observable of vs, each one item (rxgo.Just spreads a
// slice into items).
func of(vs ...any) func() rxgo.Observable {
	return func() rxgo.Observable {
		return rxgo.Defer([]rxgo.Producer{func(ctx context.Context, next chan<- rxgo.Item) {
			for _, v := range vs {
				rxgo.Of(v).SendContext(ctx, next)
			}
		}})
	}
}

// same fails the test unless got and want hold the same values and errors.
func same(t *testing.T, got, want []rxgo.Item) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range got {
		if !reflect.DeepEqual(got[i].V, want[i].V) || !errors.Is(got[i].E, want[i].E) && got[i].E != want[i].E {
			t.Fatalf("item %d: got %+v, want %+v", i, got, want)
		}
	}
}

// buffered is an rxgo option that changes nothing in the results, to take
// the path of the operators that keep rxgo's options.
var buffered = rxgo.WithBufferedChannel(1)

// Where a guarded operator evaluates the user's function differently from
// rxgo (a stage ahead, or reimplemented), it must still give rxgo's results.
func TestGuardedOperatorsGiveRxgosResults(t *testing.T) {
	src := func() rxgo.Observable { return rxgo.Just(1, 2, 3, 4, 3, 1)() }
	failing := func() rxgo.Observable { return rxgo.Just(1, errBoom)() }
	tests := []struct {
		name string
		src  func() rxgo.Observable
		op   func(rxgo.Observable) rxgo.Iterable
	}{
		{"Map", src, func(o rxgo.Observable) rxgo.Iterable { return o.Map(double) }},
		{"Scan", src, func(o rxgo.Observable) rxgo.Iterable { return o.Scan(sum) }},
		{"Reduce", src, func(o rxgo.Observable) rxgo.Iterable { return o.Reduce(sum) }},
		{"Distinct", src, func(o rxgo.Observable) rxgo.Iterable {
			return o.Distinct(func(_ context.Context, v any) (any, error) { return v, nil })
		}},
		{"DistinctUntilChanged", src, func(o rxgo.Observable) rxgo.Iterable {
			return o.DistinctUntilChanged(func(_ context.Context, v any) (any, error) { return parity(v) })
		}},
		{"Filter", src, func(o rxgo.Observable) rxgo.Iterable { return o.Filter(even) }},
		{"Filter passes errors", failing, func(o rxgo.Observable) rxgo.Iterable { return o.Filter(even) }},
		{"Find", src, func(o rxgo.Observable) rxgo.Iterable { return o.Find(even) }},
		{"Find nothing", src, func(o rxgo.Observable) rxgo.Iterable { return o.Find(func(any) bool { return false }) }},
		{"All true", src, func(o rxgo.Observable) rxgo.Iterable { return o.All(func(v any) bool { return v.(int) > 0 }) }},
		{"All false", src, func(o rxgo.Observable) rxgo.Iterable { return o.All(even) }},
		{"Contains", src, func(o rxgo.Observable) rxgo.Iterable { return o.Contains(even) }},
		{"Contains nothing", src, func(o rxgo.Observable) rxgo.Iterable { return o.Contains(func(any) bool { return false }) }},
		{"Filter with options", src, func(o rxgo.Observable) rxgo.Iterable { return o.Filter(even, buffered) }},
		{"Filter with options passes errors", failing, func(o rxgo.Observable) rxgo.Iterable { return o.Filter(even, buffered) }},
		{"SkipWhile", src, func(o rxgo.Observable) rxgo.Iterable { return o.SkipWhile(small) }},
		{"SkipWhile with options", src, func(o rxgo.Observable) rxgo.Iterable { return o.SkipWhile(small, buffered) }},
		{"SkipWhile passes errors", failing, func(o rxgo.Observable) rxgo.Iterable { return o.SkipWhile(small) }},
		{"TakeWhile", src, func(o rxgo.Observable) rxgo.Iterable { return o.TakeWhile(small) }},
		{"TakeWhile with options", src, func(o rxgo.Observable) rxgo.Iterable { return o.TakeWhile(small, buffered) }},
		{"TakeUntil", src, func(o rxgo.Observable) rxgo.Iterable { return o.TakeUntil(even) }},
		{"TakeUntil with options", src, func(o rxgo.Observable) rxgo.Iterable { return o.TakeUntil(even, buffered) }},
		{"Max", src, func(o rxgo.Observable) rxgo.Iterable { return o.Max(compare) }},
		{"Min", src, func(o rxgo.Observable) rxgo.Iterable { return o.Min(compare) }},
		{"Max of nothing", rxgo.Empty, func(o rxgo.Observable) rxgo.Iterable { return o.Max(compare) }},
		{"ToMap", src, func(o rxgo.Observable) rxgo.Iterable { return o.ToMap(double) }},
		{"ToMapWithValueSelector", src, func(o rxgo.Observable) rxgo.Iterable { return o.ToMapWithValueSelector(double, double) }},
		{"Marshal", src, func(o rxgo.Observable) rxgo.Iterable { return o.Marshal(json.Marshal) }},
		{"Unmarshal", of([]byte("1"), []byte("2")), func(o rxgo.Observable) rxgo.Iterable {
			return o.Unmarshal(json.Unmarshal, func() any { return new(int) })
		}},
		{"ZipFromIterable", src, func(o rxgo.Observable) rxgo.Iterable {
			return o.ZipFromIterable(rxgo.Just(10, 20, 30, 40, 50, 60)(), sum)
		}},
		{"FlatMap", src, func(o rxgo.Observable) rxgo.Iterable {
			return o.FlatMap(func(i rxgo.Item) rxgo.Observable { return rxgo.Just(i.V, i.V)() })
		}},
		{"OnErrorReturn", failing, func(o rxgo.Observable) rxgo.Iterable {
			return o.OnErrorReturn(func(err error) any { return err.Error() })
		}},
		{"OnErrorResumeNext", failing, func(o rxgo.Observable) rxgo.Iterable {
			return o.OnErrorResumeNext(func(error) rxgo.Observable { return rxgo.Just(7, 8)() })
		}},
		{"Retry", failing, func(o rxgo.Observable) rxgo.Iterable {
			return o.Retry(2, func(err error) bool { return errors.Is(err, errBoom) })
		}},
		{"Retry refused", failing, func(o rxgo.Observable) rxgo.Iterable {
			return o.Retry(2, func(error) bool { return false })
		}},
		{"BackOffRetry", failing, func(o rxgo.Observable) rxgo.Iterable {
			return o.BackOffRetry(backoff.WithMaxRetries(&backoff.ZeroBackOff{}, 2))
		}},
		{"Serialize", func() rxgo.Observable { return rxgo.Just(1, 2, 3)() }, func(o rxgo.Observable) rxgo.Iterable {
			return o.Serialize(1, func(v any) int { return v.(int) })
		}},
		{"Single.Map", src, func(o rxgo.Observable) rxgo.Iterable { return o.Count().Map(double) }},
		{"Single.Filter", src, func(o rxgo.Observable) rxgo.Iterable { return o.Count().Filter(even) }},
		{"Single.Filter rejecting", src, func(o rxgo.Observable) rxgo.Iterable {
			return o.Count().Filter(func(any) bool { return false })
		}},
		{"OptionalSingle.Map", src, func(o rxgo.Observable) rxgo.Iterable { return o.First().Map(double) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := observe(t, tt.op(tt.src()))
			got := observe(t, tt.op(Guard(tt.src())))
			same(t, got, want)
		})
	}
}

func TestAPanicEndsTheStreamWithAPanicError(t *testing.T) {
	boomOn := func(bad int) func(v any) {
		return func(v any) {
			if v == bad {
				panic(fmt.Sprint("bad ", bad))
			}
		}
	}
	tests := []struct {
		name string
		op   func(rxgo.Observable) rxgo.Iterable
		want []any // the values before the *PanicError
	}{
		{"Map", func(o rxgo.Observable) rxgo.Iterable {
			return o.Map(func(_ context.Context, v any) (any, error) { boomOn(3)(v); return v, nil })
		}, []any{1, 2}},
		{"Filter", func(o rxgo.Observable) rxgo.Iterable {
			return o.Filter(func(v any) bool { boomOn(3)(v); return true })
		}, []any{1, 2}},
		{"Scan", func(o rxgo.Observable) rxgo.Iterable {
			return o.Scan(func(ctx context.Context, acc, v any) (any, error) { boomOn(3)(v); return sum(ctx, acc, v) })
		}, []any{1, 3}},
		{"Reduce", func(o rxgo.Observable) rxgo.Iterable {
			return o.Reduce(func(ctx context.Context, acc, v any) (any, error) { boomOn(3)(v); return sum(ctx, acc, v) })
		}, nil},
		{"Filter with options", func(o rxgo.Observable) rxgo.Iterable {
			return o.Filter(func(v any) bool { boomOn(3)(v); return true }, buffered)
		}, []any{1, 2}},
		{"SkipWhile", func(o rxgo.Observable) rxgo.Iterable {
			return o.SkipWhile(func(v any) bool { boomOn(2)(v); return true })
		}, nil},
		{"SkipWhile with options", func(o rxgo.Observable) rxgo.Iterable {
			return o.SkipWhile(func(v any) bool { boomOn(2)(v); return true }, buffered)
		}, nil},
		{"TakeWhile", func(o rxgo.Observable) rxgo.Iterable {
			return o.TakeWhile(func(v any) bool { boomOn(2)(v); return true })
		}, []any{1}},
		{"TakeWhile with options", func(o rxgo.Observable) rxgo.Iterable {
			return o.TakeWhile(func(v any) bool { boomOn(2)(v); return true }, buffered)
		}, []any{1}},
		{"TakeUntil", func(o rxgo.Observable) rxgo.Iterable {
			return o.TakeUntil(func(v any) bool { boomOn(2)(v); return false })
		}, []any{1}},
		{"TakeUntil with options", func(o rxgo.Observable) rxgo.Iterable {
			return o.TakeUntil(func(v any) bool { boomOn(2)(v); return false }, buffered)
		}, []any{1}},
		{"DistinctUntilChanged", func(o rxgo.Observable) rxgo.Iterable {
			return o.DistinctUntilChanged(func(_ context.Context, v any) (any, error) { boomOn(4)(v); return v, nil })
		}, []any{1, 2, 3}},
		{"Max", func(o rxgo.Observable) rxgo.Iterable {
			return o.Max(func(a, b any) int { boomOn(3)(b); return compare(a, b) })
		}, nil},
		{"Retry", func(o rxgo.Observable) rxgo.Iterable {
			return rxgo.Just(1, errBoom)().Map(func(_ context.Context, v any) (any, error) { return v, nil }).
				Retry(1, func(error) bool { panic("no") })
		}, []any{1}},
		{"FlatMap", func(o rxgo.Observable) rxgo.Iterable {
			return o.FlatMap(func(i rxgo.Item) rxgo.Observable { boomOn(2)(i.V); return rxgo.Just(i.V)() })
		}, []any{1}},
		{"Single.Map", func(o rxgo.Observable) rxgo.Iterable {
			return o.Count().Map(func(context.Context, any) (any, error) { panic("no") })
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := Guard(rxgo.Just(1, 2, 3, 4)())
			if tt.name == "Retry" {
				src = Guard(rxgo.Just(1, errBoom)())
				tt.op = func(o rxgo.Observable) rxgo.Iterable { return o.Retry(1, func(error) bool { panic("no") }) }
			}
			items := observe(t, tt.op(src))
			endsWithPanic(t, items)
			var got []any
			for _, item := range items[:len(items)-1] {
				got = append(got, item.V)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("values before the panic = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestForEachHandsAPanicInNextFuncToErrFunc(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var seen []any
	var got error
	completed := false
	<-Guard(rxgo.Just(1, 2, 3)()).ForEach(
		func(v any) {
			if v == 2 {
				panic("two")
			}
			seen = append(seen, v)
		},
		func(err error) { got = err },
		func() { completed = true },
		rxgo.WithContext(ctx),
	)
	var pe *PanicError
	if !errors.As(got, &pe) || pe.Value != "two" {
		t.Fatalf("errFunc got %v, want the *PanicError of %q", got, "two")
	}
	if !slices.Equal(seen, []any{1}) || !completed {
		t.Fatalf("seen %v, completed %v; want [1], true", seen, completed)
	}
}

func TestDoOnNextStopsAtAPanic(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var seen []any
	<-Guard(rxgo.Just(1, 2, 3)()).DoOnNext(func(v any) {
		if v == 2 {
			panic("two")
		}
		seen = append(seen, v)
	}, rxgo.WithContext(ctx))
	if !slices.Equal(seen, []any{1}) {
		t.Fatalf("seen %v, want [1]", seen)
	}
}

func TestGroupsGetEveryItemOnce(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src := Guard(rxgo.Just(1, 2, 3, 4, 5)())
	tests := []struct {
		name string
		obs  rxgo.Observable
	}{
		{"GroupBy", src.GroupBy(2, func(i rxgo.Item) int { return i.V.(int) % 2 })},
		{"GroupByDynamic", src.GroupByDynamic(func(i rxgo.Item) string { return strconv.Itoa(i.V.(int) % 2) })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			streams, inner := everything(t, ctx, []reflect.Value{reflect.ValueOf(tt.obs)})
			if len(inner) != 2 || len(streams) != 3 {
				t.Fatalf("%d groups, %d streams; want 2 groups", len(inner), len(streams))
			}
			var all []int
			for _, items := range streams[:] {
				for _, item := range items {
					if n, ok := item.V.(int); ok {
						all = append(all, n)
					}
				}
			}
			slices.Sort(all)
			if !slices.Equal(all, []int{1, 2, 3, 4, 5}) {
				t.Fatalf("items in the groups = %v, want 1..5 once each", all)
			}
		})
	}
}

func TestGuardIsIdempotentAndKeepsNil(t *testing.T) {
	w := Guard(rxgo.Just(1)())
	if Guard(w) != w {
		t.Fatal("Guard of a guarded Observable wraps it again")
	}
	if Guard(nil) != nil {
		t.Fatal("Guard(nil) != nil")
	}
}

// rxgo's Singles keep one channel for all their subscriptions: the second
// panics on a goroutine of rxgo's and kills the process. Guarded ones can be
// observed again, as every cold Observable can.
func TestASingleCanBeObservedTwice(t *testing.T) {
	src := Guard(rxgo.Just(1, 2)())
	for name, it := range map[string]rxgo.Iterable{
		"Count":            src.Count(),
		"Count.Map":        src.Count().Map(double),
		"Count.Filter":     src.Count().Filter(even),
		"First":            src.First(),
		"Count.Filter.Map": src.Count().Filter(even).Map(double),
		"Reduce":           src.Reduce(sum),
		"Contains":         src.Contains(even),
	} {
		t.Run(name, func(t *testing.T) {
			first := observe(t, it)
			same(t, observe(t, it), first)
		})
	}
}
