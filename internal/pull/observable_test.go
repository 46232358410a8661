package pull_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/reactivex/rxgo/v2"
	"go.uber.org/goleak"

	"github.com/rxsse/rxsse/internal/pull"
	"github.com/rxsse/rxsse/internal/safe"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// sliceIterator yields its items, then is Empty until more are added (via
// add, which wakes it), then Done once closed.
type sliceIterator struct {
	items  []rxgo.Item
	wake   chan struct{}
	closed bool
	ended  bool // complete after the items
}

func newSlice(items ...rxgo.Item) *sliceIterator {
	return &sliceIterator{items: items, wake: make(chan struct{})}
}

func (s *sliceIterator) Ready() <-chan struct{} { return s.wake }

func (s *sliceIterator) Next() (rxgo.Item, pull.State) {
	if s.closed {
		return rxgo.Item{}, pull.Done
	}
	if len(s.items) == 0 {
		if s.ended {
			return rxgo.Item{}, pull.Done
		}
		return rxgo.Item{}, pull.Empty
	}
	it := s.items[0]
	s.items = s.items[1:]
	return it, pull.Value
}

func (s *sliceIterator) Close() { s.closed = true }

var errPanic = errors.New("panicked")

func onPanic(v any) error { return fmt.Errorf("%w: %v", errPanic, v) }

func source(it *sliceIterator) *pull.Observable {
	return pull.New(func(context.Context) pull.Iterator { return it }, onPanic)
}

func drain(it pull.Iterator) (vals []any, st pull.State, err error) {
	for {
		item, st := it.Next()
		if st != pull.Value {
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
	chain := source(up).
		Map(func(_ context.Context, v any) (any, error) { return v.(int) * 10, nil }).
		Filter(func(v any) bool { return v.(int) != 20 })
	src, ok := chain.(pull.Source)
	if !ok {
		t.Fatalf("%T is not a pull.Source", chain)
	}
	it := src.Pull(t.Context())
	vals, st, err := drain(it)
	if fmt.Sprint(vals) != "[10 30 40]" || st != pull.Empty || err != nil {
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
		chain func(*pull.Observable) rxgo.Observable
		want  error
	}{
		{"an upstream error item passes Map", func(o *pull.Observable) rxgo.Observable {
			return o.Map(func(_ context.Context, v any) (any, error) { return v, nil })
		}, boom},
		{"an upstream error item passes Filter", func(o *pull.Observable) rxgo.Observable {
			return o.Filter(func(any) bool { return true })
		}, boom},
		{"Map returning an error", func(o *pull.Observable) rxgo.Observable {
			return o.Map(func(_ context.Context, v any) (any, error) {
				if v == 2 {
					return nil, boom
				}
				return v, nil
			})
		}, boom},
		{"Map panicking", func(o *pull.Observable) rxgo.Observable {
			return o.Map(func(_ context.Context, v any) (any, error) {
				if v == 2 {
					panic("no")
				}
				return v, nil
			})
		}, errPanic},
		{"Filter panicking", func(o *pull.Observable) rxgo.Observable {
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
			it := tc.chain(source(up)).(pull.Source).Pull(t.Context())
			vals, _, err := drain(it)
			if fmt.Sprint(vals) != "[1]" || !errors.Is(err, tc.want) {
				t.Fatalf("got %v, %v; want [1] then %v", vals, err, tc.want)
			}
			if _, st := it.Next(); st != pull.Done || !up.closed {
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
	if _, ok := obs.(pull.Source); ok {
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
	var pe *safe.PanicError
	if !errors.As(last.E, &pe) || pe.Value != "boom" {
		t.Errorf("last item = %+v, want the *PanicError of the Map", last)
	}
}

func TestFailedEndsAtOnceWithItsErrorOrByCompleting(t *testing.T) {
	boom := errors.New("boom")
	it := pull.Failed(boom)
	if item, st := it.Next(); st != pull.Value || !errors.Is(item.E, boom) {
		t.Fatalf("first Next = %+v, %v; want the error item", item, st)
	}
	if _, st := it.Next(); st != pull.Done {
		t.Fatalf("second Next = %v, want Done", st)
	}
	if _, st := pull.Failed(nil).Next(); st != pull.Done {
		t.Fatalf("Failed(nil).Next() = %v, want Done", st)
	}
	select {
	case <-it.Ready():
	default:
		t.Fatal("Ready is not ready")
	}
}
