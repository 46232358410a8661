package observable_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/observable"
)

// puller is how the transport recognises a pulled Observable.
type puller interface {
	Pull(ctx context.Context) observable.Iterator
}

// sliceIterator yields its items, then is Empty (or Done once ended), then
// Done once closed.
type sliceIterator struct {
	items  []rxgo.Item
	wake   chan struct{}
	closed bool
	ended  bool   // complete after the items
	start  string // its StartID
}

func newSlice(items ...rxgo.Item) *sliceIterator {
	return &sliceIterator{items: items, wake: make(chan struct{})}
}

func (s *sliceIterator) Ready() <-chan struct{} { return s.wake }

func (s *sliceIterator) Next() (rxgo.Item, observable.State) {
	if s.closed {
		return rxgo.Item{}, observable.Done
	}
	if len(s.items) == 0 {
		if s.ended {
			return rxgo.Item{}, observable.Done
		}
		return rxgo.Item{}, observable.Empty
	}
	it := s.items[0]
	s.items = s.items[1:]
	return it, observable.Value
}

func (s *sliceIterator) Close() { s.closed = true }

func (s *sliceIterator) StartID() string { return s.start }

func source(it *sliceIterator) rxgo.Observable {
	return observable.Pulled(func(context.Context) observable.Iterator { return it })
}

// errPanic stands for any *observable.PanicError in the table below.
var errPanic = errors.New("a *PanicError")

// isErr reports whether err is want, or a *PanicError if want is errPanic.
func isErr(err, want error) bool {
	if want == errPanic {
		var pe *observable.PanicError
		return errors.As(err, &pe) && pe.Value == "no" && len(pe.Stack) > 0
	}
	return errors.Is(err, want)
}

func drain(it observable.Iterator) (vals []any, st observable.State, err error) {
	for {
		item, st := it.Next()
		if st != observable.Value {
			return vals, st, nil
		}
		if item.E != nil {
			return vals, st, item.E
		}
		vals = append(vals, item.V)
	}
}

func TestFusedMapAndFilterRunInlineAndStayPullable(t *testing.T) {
	up := newSlice(rxgo.Of(1), rxgo.Of(2), rxgo.Of(3), rxgo.Of(4))
	up.start = "e-7"
	chain := source(up).
		Map(func(_ context.Context, v any) (any, error) { return v.(int) * 10, nil }).
		Filter(func(v any) bool { return v.(int) != 20 })
	src, ok := chain.(puller)
	if !ok {
		t.Fatalf("%T is not pulled", chain)
	}
	it := src.Pull(t.Context())
	if got := it.StartID(); got != "e-7" {
		t.Errorf("StartID = %q through Map and Filter, want the upstream's %q", got, "e-7")
	}
	vals, st, err := drain(it)
	if fmt.Sprint(vals) != "[10 30 40]" || st != observable.Empty || err != nil {
		t.Fatalf("got %v %v %v", vals, st, err)
	}
	if it.Ready() != up.wake {
		t.Error("Ready is not the upstream's")
	}
	it.Close()
	if !up.closed {
		t.Error("Close did not reach the upstream")
	}
}

func TestErrorsAndPanicsEndTheFusedStreamAndReleaseTheUpstream(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		name  string
		chain func(rxgo.Observable) rxgo.Observable
		want  error
	}{
		{"an upstream error item passes Map", func(o rxgo.Observable) rxgo.Observable {
			return o.Map(func(_ context.Context, v any) (any, error) { return v, nil })
		}, boom},
		{"an upstream error item passes Filter", func(o rxgo.Observable) rxgo.Observable {
			return o.Filter(func(any) bool { return true })
		}, boom},
		{"Map returning an error", func(o rxgo.Observable) rxgo.Observable {
			return o.Map(func(_ context.Context, v any) (any, error) {
				if v == 2 {
					return nil, boom
				}
				return v, nil
			})
		}, boom},
		{"Map panicking", func(o rxgo.Observable) rxgo.Observable {
			return o.Map(func(_ context.Context, v any) (any, error) {
				if v == 2 {
					panic("no")
				}
				return v, nil
			})
		}, errPanic},
		{"Filter panicking", func(o rxgo.Observable) rxgo.Observable {
			return o.Filter(func(v any) bool {
				if v == 2 {
					panic("no")
				}
				return true
			})
		}, errPanic},
	} {
		t.Run(tc.name, func(t *testing.T) {
			items := []rxgo.Item{rxgo.Of(1), rxgo.Of(2), rxgo.Of(3)}
			if tc.want == boom && tc.name[:3] == "an " {
				items[1] = rxgo.Error(boom)
			}
			up := newSlice(items...)
			it := tc.chain(source(up)).(puller).Pull(t.Context())
			vals, _, err := drain(it)
			if fmt.Sprint(vals) != "[1]" || !isErr(err, tc.want) {
				t.Fatalf("got %v, %v; want [1] then %v", vals, err, tc.want)
			}
			if _, st := it.Next(); st != observable.Done || !up.closed {
				t.Errorf("after the error: %v, upstream closed %v; want Done and closed", st, up.closed)
			}
		})
	}
}

func TestObservedThroughRxgoTheRelayEndsWithTheContext(t *testing.T) {
	up := newSlice(rxgo.Of("a"))
	ctx, cancel := context.WithCancel(t.Context())
	ch := source(up).Map(func(_ context.Context, v any) (any, error) { return v.(string) + "!", nil }).
		Observe(rxgo.WithContext(ctx))
	select {
	case it := <-ch:
		if it.V != "a!" {
			t.Fatalf("got %+v", it)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no item")
	}
	cancel() // the relay waits on Ready: the context ends it
	for range ch {
	}
	if !up.closed {
		t.Error("the relay did not close the iterator")
	}
}

func TestMapWithOptionsIsRxgos(t *testing.T) {
	up := newSlice(rxgo.Of(1), rxgo.Of(2))
	up.ended = true
	obs := source(up).Map(func(_ context.Context, v any) (any, error) { return v.(int) + 1, nil }, rxgo.WithBufferedChannel(2))
	if _, ok := obs.(puller); ok {
		t.Error("Map with options is fused; want rxgo's")
	}
	var got []any
	for it := range obs.Observe() {
		got = append(got, it.V)
	}
	if fmt.Sprint(got) != "[2 3]" {
		t.Errorf("got %v", got)
	}
}

func TestAPanicInAnOperatorThatIsNotFusedEndsTheStreamNotTheProcess(t *testing.T) {
	up := newSlice(rxgo.Of(1), rxgo.Of(2))
	up.ended = true
	obs := source(up).Take(2).Map(func(context.Context, any) (any, error) { panic("boom") })
	var last rxgo.Item
	for it := range obs.Observe(rxgo.WithContext(t.Context())) {
		last = it
	}
	var pe *observable.PanicError
	if !errors.As(last.E, &pe) || pe.Value != "boom" {
		t.Errorf("last item = %+v, want the *PanicError of the Map", last)
	}
}

func TestGuardKeepsAPulledObservablePulled(t *testing.T) {
	obs := source(newSlice())
	if g := observable.Guard(obs); g != obs {
		t.Errorf("Guard(Pulled(...)) is a %T, want the pulled Observable itself (its operators are guarded already)", g)
	}
}
