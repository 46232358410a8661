package pull

import (
	"context"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/internal/safe"
)

// Observable is a Source built from a function that starts a subscription.
// Map and Filter called on it without options are fused: they run inline in
// Next, on the goroutine that pulls, and the result is again an
// *Observable. Every other operator, and Map or Filter with rxgo options,
// is rxgo's own, guarded so that a panic in a function it is given becomes
// an error item (see internal/safe), observing this Observable through one
// relay goroutine.
type Observable struct {
	// The embedded Observable serves rxgo's operators: its producer pulls
	// a fresh subscription and relays it.
	rxgo.Observable
	start   func(ctx context.Context) Iterator
	onPanic func(v any) error
}

var _ Source = (*Observable)(nil)

// New returns an Observable whose subscriptions start calls start: each
// Pull, Observe or operator subscription calls it once. onPanic turns a
// value recovered from a panic in a fused function into the error item
// that ends the stream.
func New(start func(ctx context.Context) Iterator, onPanic func(v any) error) *Observable {
	o := &Observable{start: start, onPanic: onPanic}
	o.Observable = safe.Wrap(rxgo.Defer([]rxgo.Producer{func(ctx context.Context, next chan<- rxgo.Item) {
		relay(ctx, start(ctx), next)
	}}))
	return o
}

// Pull starts a subscription bound to ctx.
func (o *Observable) Pull(ctx context.Context) Iterator { return o.start(ctx) }

// Observe starts a subscription at once, so that nothing happening after
// Observe returns is missed, and relays it on one goroutine to the channel
// it returns. The subscription ends with the context in opts
// (rxgo.WithContext), when the stream ends, or never without one.
func (o *Observable) Observe(opts ...rxgo.Option) <-chan rxgo.Item {
	it := o.start(context.Background())
	return rxgo.Defer([]rxgo.Producer{func(ctx context.Context, next chan<- rxgo.Item) {
		relay(ctx, it, next)
	}}).Observe(opts...)
}

// Map returns the Observable of fn applied to each value. Without opts it
// is fused: fn runs inline, an error it returns or a panic (turned into an
// error by onPanic) ends the stream with that error item, and an upstream
// error item passes through and ends it. With opts it is rxgo's Map.
func (o *Observable) Map(fn rxgo.Func, opts ...rxgo.Option) rxgo.Observable {
	if len(opts) > 0 {
		return o.Observable.Map(fn, opts...)
	}
	return New(func(ctx context.Context) Iterator {
		return &mapIterator{ctx: ctx, in: o.start(ctx), fn: fn, onPanic: o.onPanic}
	}, o.onPanic)
}

// Filter returns the Observable of the values for which fn is true. Without
// opts it is fused: fn runs inline, a panic (turned into an error by
// onPanic) ends the stream with that error item, and an upstream error item
// passes through and ends it. With opts it is rxgo's Filter.
func (o *Observable) Filter(fn rxgo.Predicate, opts ...rxgo.Option) rxgo.Observable {
	if len(opts) > 0 {
		return o.Observable.Filter(fn, opts...)
	}
	return New(func(ctx context.Context) Iterator {
		return &filterIterator{in: o.start(ctx), fn: fn, onPanic: o.onPanic}
	}, o.onPanic)
}

// relay sends what it yields to next until it is done or ctx ends, then
// closes it.
func relay(ctx context.Context, it Iterator, next chan<- rxgo.Item) {
	defer it.Close()
	for {
		item, st := it.Next()
		switch st {
		case Value:
			if !item.SendContext(ctx, next) {
				return
			}
		case Done:
			return
		case Empty:
			select {
			case <-ctx.Done():
				return
			case <-it.Ready():
			}
		}
	}
}

// mapIterator is a fused Map.
type mapIterator struct {
	ctx     context.Context
	in      Iterator
	fn      rxgo.Func
	onPanic func(any) error
	done    bool
}

func (m *mapIterator) Ready() <-chan struct{} { return m.in.Ready() }

func (m *mapIterator) Next() (rxgo.Item, State) {
	if m.done {
		return rxgo.Item{}, Done
	}
	item, st := m.in.Next()
	if st != Value {
		return item, st
	}
	if item.E == nil {
		v, err := m.apply(item.V)
		if err == nil {
			return rxgo.Of(v), Value
		}
		item = rxgo.Error(err)
	}
	m.Close()
	return item, Value
}

// apply calls fn, turning a panic into an error.
func (m *mapIterator) apply(v any) (out any, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, m.onPanic(r)
		}
	}()
	return m.fn(m.ctx, v)
}

// StartID forwards the upstream subscription's start position: a fused Map
// does not change where a client resumes from.
func (m *mapIterator) StartID() string { return StartID(m.in) }

func (m *mapIterator) Close() {
	m.done = true
	m.in.Close()
}

// filterIterator is a fused Filter.
type filterIterator struct {
	in      Iterator
	fn      rxgo.Predicate
	onPanic func(any) error
	done    bool
}

func (f *filterIterator) Ready() <-chan struct{} { return f.in.Ready() }

func (f *filterIterator) Next() (rxgo.Item, State) {
	for !f.done {
		item, st := f.in.Next()
		if st != Value {
			return item, st
		}
		if item.E == nil {
			keep, err := f.test(item.V)
			if err == nil {
				if keep {
					return item, Value
				}
				continue
			}
			item = rxgo.Error(err)
		}
		f.Close()
		return item, Value
	}
	return rxgo.Item{}, Done
}

// test calls fn, turning a panic into an error.
func (f *filterIterator) test(v any) (keep bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			keep, err = false, f.onPanic(r)
		}
	}()
	return f.fn(v), nil
}

// StartID forwards the upstream subscription's start position.
func (f *filterIterator) StartID() string { return StartID(f.in) }

func (f *filterIterator) Close() {
	f.done = true
	f.in.Close()
}
