package observable

import (
	"context"

	"github.com/reactivex/rxgo/v2"
)

// State says what an Iterator's Next returned.
type State int

const (
	// Empty: no item is ready now; wait on Ready, then call Next again.
	Empty State = iota
	// Value: Next returned an item, a value or an error.
	Value
	// Done: the stream has ended (it completed, or its error item was
	// returned); Next keeps returning Done.
	Done
)

// Iterator is one running subscription of a pulled Observable (see Pulled):
// the consumer takes the items that are ready without blocking, and waits
// on Ready when there are none. It is used by one goroutine at a time.
type Iterator interface {
	// Next returns the next item that is ready, without blocking: Value
	// with an item, Empty when nothing is ready now, Done once the stream
	// has ended.
	Next() (rxgo.Item, State)
	// Ready returns a channel that becomes readable (receives or is closed)
	// when Next may have something new. The channel may change after a
	// call to Next: call Ready again before every wait.
	Ready() <-chan struct{}
	// Close ends the subscription early and releases what it holds. It may
	// be called more than once, and after Done.
	Close()
	// StartID returns, before the first Next, the event id a client should
	// resume from to miss nothing of this subscription: the position it
	// started at, or "" when there is none to tell (the client already has
	// it, or the source has no ids). A broker subscription started live or
	// from hub.Oldest has one: the transport writes it as an id-only block
	// ("id: <id>" and a blank line, which a browser records without
	// dispatching anything) before the first event, so that a client cut
	// off before it has received an event still resumes from where it
	// started.
	StartID() string
}

// Pulled returns a cold Observable whose subscriptions start calls: each
// subscription calls it once, with a context that ends the subscription.
// The transport pulls such an Observable on the goroutine that writes the
// response instead of observing it through rxgo's channels: a stream costs
// no goroutine of its own, no channel hand-off per item, and every item
// Next has ready goes out in one write. The brokers of this module and
// Range are built on it; a source of your own, a hub.Broker backed by
// another system say, gets the same fast path by returning Pulled from
// Subscribe.
//
// start must return a non-nil Iterator whose subscription ends, releasing
// what it holds, when ctx ends. The transport gives it the stream's context
// and closes the iterator when it stops early.
//
// Map and Filter chained on the result without rxgo options are fused: they
// run inline in Next, on the goroutine that pulls, an error or a panic in
// them (turned into a *PanicError) ends the stream with that error item,
// and the result is pulled again. StartID passes through them. Every other
// operator, and Map or Filter with options, is rxgo's, guarded (see Guard),
// and observes a subscription relayed on one goroutine.
//
// Observe starts a subscription at once, so that nothing happening after
// Observe returns is missed, with a context that never ends: it relays the
// subscription on one goroutine to the channel it returns, and closes the
// Iterator when the stream ends or the context given with rxgo.WithContext
// does.
//
// The transport recognises a pulled Observable by a method
//
//	Pull(ctx context.Context) Iterator
//
// that starts a subscription bound to ctx; the result of Pulled has it.
func Pulled(start func(ctx context.Context) Iterator) rxgo.Observable {
	return newPulled(start)
}

// pulled is the Observable Pulled returns.
type pulled struct {
	// The embedded Observable serves rxgo's operators: its producer pulls
	// a fresh subscription and relays it.
	rxgo.Observable
	start func(ctx context.Context) Iterator
}

func newPulled(start func(ctx context.Context) Iterator) *pulled {
	return &pulled{
		Observable: Guard(rxgo.Defer([]rxgo.Producer{func(ctx context.Context, next chan<- rxgo.Item) {
			relay(ctx, start(ctx), next)
		}})),
		start: start,
	}
}

// Pull starts a subscription bound to ctx.
func (o *pulled) Pull(ctx context.Context) Iterator { return o.start(ctx) }

// Observe starts a subscription at once and relays it on one goroutine to
// the channel it returns, until the stream or the context in opts ends.
func (o *pulled) Observe(opts ...rxgo.Option) <-chan rxgo.Item {
	it := o.start(context.Background())
	return rxgo.Defer([]rxgo.Producer{func(ctx context.Context, next chan<- rxgo.Item) {
		relay(ctx, it, next)
	}}).Observe(opts...)
}

// Map returns the Observable of fn applied to each value: fused without
// opts (see Pulled), rxgo's guarded Map with them.
func (o *pulled) Map(fn rxgo.Func, opts ...rxgo.Option) rxgo.Observable {
	if len(opts) > 0 {
		return o.Observable.Map(fn, opts...)
	}
	return newPulled(func(ctx context.Context) Iterator {
		return &mapIterator{ctx: ctx, in: o.start(ctx), fn: fn}
	})
}

// Filter returns the Observable of the values for which fn is true: fused
// without opts (see Pulled), rxgo's guarded Filter with them.
func (o *pulled) Filter(fn rxgo.Predicate, opts ...rxgo.Option) rxgo.Observable {
	if len(opts) > 0 {
		return o.Observable.Filter(fn, opts...)
	}
	return newPulled(func(ctx context.Context) Iterator {
		return &filterIterator{in: o.start(ctx), fn: fn}
	})
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
	ctx  context.Context
	in   Iterator
	fn   rxgo.Func
	done bool
}

func (m *mapIterator) Ready() <-chan struct{} { return m.in.Ready() }

// StartID forwards the upstream's: a Map does not change where a client
// resumes from.
func (m *mapIterator) StartID() string { return m.in.StartID() }

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

// apply calls fn, turning a panic into a *PanicError.
func (m *mapIterator) apply(v any) (out any, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, recovered(r)
		}
	}()
	return m.fn(m.ctx, v)
}

func (m *mapIterator) Close() {
	m.done = true
	m.in.Close()
}

// filterIterator is a fused Filter.
type filterIterator struct {
	in   Iterator
	fn   rxgo.Predicate
	done bool
}

func (f *filterIterator) Ready() <-chan struct{} { return f.in.Ready() }

// StartID forwards the upstream's.
func (f *filterIterator) StartID() string { return f.in.StartID() }

func (f *filterIterator) Next() (rxgo.Item, State) {
	for !f.done {
		item, st := f.in.Next()
		if st != Value {
			return item, st
		}
		if item.E == nil {
			ok, err := f.test(item.V)
			if err == nil {
				if ok {
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

// test calls fn, turning a panic into a *PanicError.
func (f *filterIterator) test(v any) (ok bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			ok, err = false, recovered(r)
		}
	}()
	return f.fn(v), nil
}

func (f *filterIterator) Close() {
	f.done = true
	f.in.Close()
}
