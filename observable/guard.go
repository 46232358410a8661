package observable

import (
	"context"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/reactivex/rxgo/v2"
)

// Guard returns obs with its operators guarded, as the Observables of this
// package (Interval, Timer, Defer, Merge, Concat, StartWith) are: every
// operator that takes a function (Map, Filter, Scan, Reduce, FlatMap,
// DoOnNext, ...) runs it under recover, so that a panic in it becomes a
// *PanicError error item that ends the stream instead of killing the
// process, and returns a guarded Observable (or Single, OptionalSingle) in
// turn:
//
//	observable.Guard(rxgo.FromChannel(ch)).Map(render).Filter(visible)
//
// Guard reaches only downstream: functions obs already runs (an rxgo.Defer
// producer, a Map applied before Guard) are as unsafe as they were. Write
// producers with Defer instead. Guard replaces SafeMap, SafeFunc2 and
// SafePredicate: obs.Map(SafeMap(f)) is now Guard(obs).Map(f). Guard of a
// guarded Observable (any Observable of this package, pulled ones
// included) returns it as it is; Guard(nil) is nil.
func Guard(obs rxgo.Observable) rxgo.Observable {
	switch o := obs.(type) {
	case nil:
		return nil
	case *guarded, *pulled:
		return o
	default:
		return &guarded{o}
	}
}

// guarded is an Observable whose operators run user functions under recover.
// It wraps every method of rxgo.Observable by hand, so that the compiler
// checks that none is missing; guard_reflect_test checks by reflection that
// each one taking a function turns its panic into a *PanicError.
type guarded struct{ o rxgo.Observable }

// Observe observes the wrapped Observable.
func (g *guarded) Observe(opts ...rxgo.Option) <-chan rxgo.Item { return g.o.Observe(opts...) }

// Functions that can return an error run under recover in rxgo's own
// operator: the panic becomes the error, which the operator emits as an
// error item and stops on, so rxgo's options keep their meaning.

// Map is rxgo's Map with apply run under recover.
func (g *guarded) Map(apply rxgo.Func, opts ...rxgo.Option) rxgo.Observable {
	return Guard(g.o.Map(guardFunc(apply), opts...))
}

// Scan is rxgo's Scan with apply run under recover.
func (g *guarded) Scan(apply rxgo.Func2, opts ...rxgo.Option) rxgo.Observable {
	return Guard(g.o.Scan(guardFunc2(apply), opts...))
}

// Reduce is rxgo's Reduce with apply run under recover.
func (g *guarded) Reduce(apply rxgo.Func2, opts ...rxgo.Option) rxgo.OptionalSingle {
	return wrapOptional(func() rxgo.OptionalSingle { return g.o.Reduce(guardFunc2(apply), opts...) })
}

// Distinct is rxgo's Distinct with apply run under recover.
func (g *guarded) Distinct(apply rxgo.Func, opts ...rxgo.Option) rxgo.Observable {
	return Guard(g.o.Distinct(guardFunc(apply), opts...))
}

// DistinctUntilChanged is rxgo's DistinctUntilChanged with apply run under
// recover.
func (g *guarded) DistinctUntilChanged(apply rxgo.Func, opts ...rxgo.Option) rxgo.Observable {
	return Guard(g.o.DistinctUntilChanged(guardFunc(apply), opts...))
}

// ToMap is rxgo's ToMap with keySelector run under recover.
func (g *guarded) ToMap(keySelector rxgo.Func, opts ...rxgo.Option) rxgo.Single {
	return wrapSingle(func() rxgo.Single { return g.o.ToMap(guardFunc(keySelector), opts...) })
}

// ToMapWithValueSelector is rxgo's ToMapWithValueSelector with both
// selectors run under recover.
func (g *guarded) ToMapWithValueSelector(keySelector, valueSelector rxgo.Func, opts ...rxgo.Option) rxgo.Single {
	return wrapSingle(func() rxgo.Single {
		return g.o.ToMapWithValueSelector(guardFunc(keySelector), guardFunc(valueSelector), opts...)
	})
}

// Marshal is rxgo's Marshal with marshaller run under recover.
func (g *guarded) Marshal(marshaller rxgo.Marshaller, opts ...rxgo.Option) rxgo.Observable {
	return Guard(g.o.Map(guardFunc(func(_ context.Context, v any) (any, error) {
		return marshaller(v)
	}), opts...))
}

// Unmarshal is rxgo's Unmarshal with factory and unmarshaller run under
// recover.
func (g *guarded) Unmarshal(unmarshaller rxgo.Unmarshaller, factory func() any, opts ...rxgo.Option) rxgo.Observable {
	return Guard(g.o.Map(guardFunc(func(_ context.Context, v any) (any, error) {
		out := factory()
		if err := unmarshaller(v.([]byte), out); err != nil {
			return nil, err
		}
		return out, nil
	}), opts...))
}

// ZipFromIterable is rxgo's ZipFromIterable with zipper run under recover.
func (g *guarded) ZipFromIterable(iterable rxgo.Iterable, zipper rxgo.Func2, opts ...rxgo.Option) rxgo.Observable {
	return Guard(g.o.ZipFromIterable(iterable, guardFunc2(zipper), opts...))
}

// FlatMap is rxgo's FlatMap with apply run under recover: a panic stands for
// an inner Observable that emits the *PanicError.
func (g *guarded) FlatMap(apply rxgo.ItemToObservable, opts ...rxgo.Option) rxgo.Observable {
	return Guard(g.o.FlatMap(toObservable(apply), opts...))
}

// OnErrorResumeNext is rxgo's OnErrorResumeNext with resumeSequence run
// under recover: a panic resumes with an Observable that emits the
// *PanicError.
func (g *guarded) OnErrorResumeNext(resumeSequence rxgo.ErrorToObservable, opts ...rxgo.Option) rxgo.Observable {
	return Guard(g.o.OnErrorResumeNext(errorToObservable(resumeSequence), opts...).Map(unpanic))
}

// Functions that cannot return an error (predicates, comparators, key
// functions) are evaluated one stage ahead, in a Map whose function can
// return the panic as an error; the rxgo operator the caller asked for, with
// its options, then reads the result. The predicate thus runs once for every
// item that reaches it, on a goroutine of its own. Filter, SkipWhile,
// TakeWhile and TakeUntil without options run as one sequential stage of
// their own instead, which costs half as much per item.

// Filter is rxgo's Filter with apply run under recover.
func (g *guarded) Filter(apply rxgo.Predicate, opts ...rxgo.Option) rxgo.Observable {
	if len(opts) == 0 {
		return Guard(sequential(g.o, filterStep(apply)))
	}
	return Guard(g.o.Map(keep(apply)).Filter(isNotSkip, opts...))
}

// Find is rxgo's Find with find run under recover.
func (g *guarded) Find(find rxgo.Predicate, opts ...rxgo.Option) rxgo.OptionalSingle {
	return wrapOptional(func() rxgo.OptionalSingle { return g.o.Map(keep(find)).Find(isNotSkip, opts...) })
}

// All is rxgo's All with predicate run under recover.
func (g *guarded) All(predicate rxgo.Predicate, opts ...rxgo.Option) rxgo.Single {
	return wrapSingle(func() rxgo.Single { return g.o.Map(truth(predicate)).All(isTrue, opts...) })
}

// Contains is rxgo's Contains with equal run under recover.
func (g *guarded) Contains(equal rxgo.Predicate, opts ...rxgo.Option) rxgo.Single {
	return wrapSingle(func() rxgo.Single { return g.o.Map(truth(equal)).Contains(isTrue, opts...) })
}

// SkipWhile is rxgo's SkipWhile with apply run under recover.
func (g *guarded) SkipWhile(apply rxgo.Predicate, opts ...rxgo.Option) rxgo.Observable {
	if len(opts) == 0 {
		return Guard(sequential(g.o, skipWhileStep(apply)))
	}
	return Guard(g.o.Map(judge(apply)).SkipWhile(verdict, opts...).Map(unjudge))
}

// TakeWhile is rxgo's TakeWhile with apply run under recover.
func (g *guarded) TakeWhile(apply rxgo.Predicate, opts ...rxgo.Option) rxgo.Observable {
	if len(opts) == 0 {
		return Guard(sequential(g.o, takeWhileStep(apply)))
	}
	return Guard(g.o.Map(judge(apply)).TakeWhile(verdict, opts...).Map(unjudge))
}

// TakeUntil is rxgo's TakeUntil with apply run under recover.
func (g *guarded) TakeUntil(apply rxgo.Predicate, opts ...rxgo.Option) rxgo.Observable {
	if len(opts) == 0 {
		return Guard(sequential(g.o, takeUntilStep(apply)))
	}
	return Guard(g.o.Map(judge(apply)).TakeUntil(verdict, opts...).Map(unjudge))
}

// Max is rxgo's Max with comparator run under recover.
func (g *guarded) Max(comparator rxgo.Comparator, opts ...rxgo.Option) rxgo.OptionalSingle {
	return wrapOptional(func() rxgo.OptionalSingle { return g.o.Reduce(reduceExtreme(comparator, 1), opts...).Map(unbox) })
}

// Min is rxgo's Min with comparator run under recover.
func (g *guarded) Min(comparator rxgo.Comparator, opts ...rxgo.Option) rxgo.OptionalSingle {
	return wrapOptional(func() rxgo.OptionalSingle { return g.o.Reduce(reduceExtreme(comparator, -1), opts...).Map(unbox) })
}

// Serialize is rxgo's Serialize with identifier run under recover.
func (g *guarded) Serialize(from int, identifier func(any) int, opts ...rxgo.Option) rxgo.Observable {
	return Guard(g.o.Map(identify(identifier)).Serialize(from, idOf, opts...).Map(unidentify))
}

// Join is rxgo's Join with joiner and timeExtractor run under recover, on
// both inputs.
func (g *guarded) Join(joiner rxgo.Func2, right rxgo.Observable, timeExtractor func(any) time.Time, window rxgo.Duration, opts ...rxgo.Option) rxgo.Observable {
	join := guardFunc2(func(ctx context.Context, l, r any) (any, error) {
		return joiner(ctx, l.(timed).v, r.(timed).v)
	})
	return Guard(g.o.Map(stamp(timeExtractor)).Join(join, right.Map(stamp(timeExtractor)), timeOf, window, opts...))
}

// OnErrorReturn is rxgo's OnErrorReturn with resumeFunc run under recover:
// a panic in it is emitted as a *PanicError error item, which ends the
// stream.
func (g *guarded) OnErrorReturn(resumeFunc rxgo.ErrorFunc, opts ...rxgo.Option) rxgo.Observable {
	return Guard(g.o.OnErrorReturn(errorFunc(resumeFunc), opts...).Map(unpanic))
}

// Retry is rxgo's Retry with shouldRetry run under recover: a panic in it
// ends the stream with the *PanicError instead of the error it was judging.
// Unlike rxgo's, it subscribes only when observed and honours the Observe
// context.
func (g *guarded) Retry(count int, shouldRetry func(error) bool, opts ...rxgo.Option) rxgo.Observable {
	return Guard(retry(g.o, count, shouldRetry, opts...))
}

// GroupBy is rxgo's GroupBy with distribution run under recover: a panic in
// it is sent to every group as a *PanicError error item and ends them. The
// groups are guarded Observables.
func (g *guarded) GroupBy(length int, distribution func(rxgo.Item) int, opts ...rxgo.Option) rxgo.Observable {
	return Guard(groupBy(g.o, length, distribution, opts...))
}

// GroupByDynamic is rxgo's GroupByDynamic with distribution run under
// recover: a panic in it is sent to every group opened so far and to the
// stream of groups as a *PanicError error item, and ends them all. The groups
// are guarded Observables.
func (g *guarded) GroupByDynamic(distribution func(rxgo.Item) string, opts ...rxgo.Option) rxgo.Observable {
	return Guard(groupByDynamic(g.o, distribution, opts...))
}

// Callbacks end the subscription when they panic. A panic in nextFunc is
// turned into an error item by a Map ahead of the subscriber, which ForEach
// hands to errFunc; a panic in errFunc or completedFunc is dropped.

// DoOnNext is rxgo's DoOnNext with nextFunc run under recover: a panic in it
// ends the subscription.
func (g *guarded) DoOnNext(nextFunc rxgo.NextFunc, opts ...rxgo.Option) rxgo.Disposed {
	return g.o.Map(callback(nextFunc)).DoOnNext(ignore, opts...)
}

// DoOnError is rxgo's DoOnError with errFunc run under recover.
func (g *guarded) DoOnError(errFunc rxgo.ErrFunc, opts ...rxgo.Option) rxgo.Disposed {
	return g.o.DoOnError(errFuncOf(errFunc), opts...)
}

// DoOnCompleted is rxgo's DoOnCompleted with completedFunc run under
// recover.
func (g *guarded) DoOnCompleted(completedFunc rxgo.CompletedFunc, opts ...rxgo.Option) rxgo.Disposed {
	return g.o.DoOnCompleted(completedFuncOf(completedFunc), opts...)
}

// ForEach is rxgo's ForEach with its callbacks run under recover: a panic in
// nextFunc ends the subscription and is handed to errFunc as a *PanicError.
func (g *guarded) ForEach(nextFunc rxgo.NextFunc, errFunc rxgo.ErrFunc, completedFunc rxgo.CompletedFunc, opts ...rxgo.Option) rxgo.Disposed {
	return g.o.Map(callback(nextFunc)).ForEach(ignore, errFuncOf(errFunc), completedFuncOf(completedFunc), opts...)
}

// Operators that take no function are rxgo's, with their result guarded.
// Those that emit Observables (windows) emit guarded ones.

// AverageFloat32 is rxgo's AverageFloat32.
func (g *guarded) AverageFloat32(opts ...rxgo.Option) rxgo.Single {
	return wrapSingle(func() rxgo.Single { return g.o.AverageFloat32(opts...) })
}

// AverageFloat64 is rxgo's AverageFloat64.
func (g *guarded) AverageFloat64(opts ...rxgo.Option) rxgo.Single {
	return wrapSingle(func() rxgo.Single { return g.o.AverageFloat64(opts...) })
}

// AverageInt is rxgo's AverageInt.
func (g *guarded) AverageInt(opts ...rxgo.Option) rxgo.Single {
	return wrapSingle(func() rxgo.Single { return g.o.AverageInt(opts...) })
}

// AverageInt8 is rxgo's AverageInt8.
func (g *guarded) AverageInt8(opts ...rxgo.Option) rxgo.Single {
	return wrapSingle(func() rxgo.Single { return g.o.AverageInt8(opts...) })
}

// AverageInt16 is rxgo's AverageInt16.
func (g *guarded) AverageInt16(opts ...rxgo.Option) rxgo.Single {
	return wrapSingle(func() rxgo.Single { return g.o.AverageInt16(opts...) })
}

// AverageInt32 is rxgo's AverageInt32.
func (g *guarded) AverageInt32(opts ...rxgo.Option) rxgo.Single {
	return wrapSingle(func() rxgo.Single { return g.o.AverageInt32(opts...) })
}

// AverageInt64 is rxgo's AverageInt64.
func (g *guarded) AverageInt64(opts ...rxgo.Option) rxgo.Single {
	return wrapSingle(func() rxgo.Single { return g.o.AverageInt64(opts...) })
}

// BackOffRetry is rxgo's BackOffRetry, reimplemented: rxgo's closes its
// channel twice, a panic, when its context ends. This one subscribes only
// when observed, honours the Observe context, and resets backOffCfg on each
// subscription, so concurrent subscriptions must not share one.
func (g *guarded) BackOffRetry(backOffCfg backoff.BackOff, opts ...rxgo.Option) rxgo.Observable {
	return Guard(backOffRetry(g.o, backOffCfg, opts...))
}

// BufferWithCount is rxgo's BufferWithCount.
func (g *guarded) BufferWithCount(count int, opts ...rxgo.Option) rxgo.Observable {
	return Guard(g.o.BufferWithCount(count, opts...))
}

// BufferWithTime is rxgo's BufferWithTime.
func (g *guarded) BufferWithTime(timespan rxgo.Duration, opts ...rxgo.Option) rxgo.Observable {
	return Guard(g.o.BufferWithTime(timespan, opts...))
}

// BufferWithTimeOrCount is rxgo's BufferWithTimeOrCount.
func (g *guarded) BufferWithTimeOrCount(timespan rxgo.Duration, count int, opts ...rxgo.Option) rxgo.Observable {
	return Guard(g.o.BufferWithTimeOrCount(timespan, count, opts...))
}

// Connect is rxgo's Connect.
func (g *guarded) Connect(ctx context.Context) (context.Context, rxgo.Disposable) {
	return g.o.Connect(ctx)
}

// Count is rxgo's Count.
func (g *guarded) Count(opts ...rxgo.Option) rxgo.Single {
	return wrapSingle(func() rxgo.Single { return g.o.Count(opts...) })
}

// Debounce is rxgo's Debounce.
func (g *guarded) Debounce(timespan rxgo.Duration, opts ...rxgo.Option) rxgo.Observable {
	return Guard(g.o.Debounce(timespan, opts...))
}

// DefaultIfEmpty is rxgo's DefaultIfEmpty.
func (g *guarded) DefaultIfEmpty(defaultValue any, opts ...rxgo.Option) rxgo.Observable {
	return Guard(g.o.DefaultIfEmpty(defaultValue, opts...))
}

// ElementAt is rxgo's ElementAt.
func (g *guarded) ElementAt(index uint, opts ...rxgo.Option) rxgo.Single {
	return wrapSingle(func() rxgo.Single { return g.o.ElementAt(index, opts...) })
}

// Error is rxgo's Error.
func (g *guarded) Error(opts ...rxgo.Option) error { return g.o.Error(opts...) }

// Errors is rxgo's Errors.
func (g *guarded) Errors(opts ...rxgo.Option) []error { return g.o.Errors(opts...) }

// First is rxgo's First.
func (g *guarded) First(opts ...rxgo.Option) rxgo.OptionalSingle {
	return wrapOptional(func() rxgo.OptionalSingle { return g.o.First(opts...) })
}

// FirstOrDefault is rxgo's FirstOrDefault.
func (g *guarded) FirstOrDefault(defaultValue any, opts ...rxgo.Option) rxgo.Single {
	return wrapSingle(func() rxgo.Single { return g.o.FirstOrDefault(defaultValue, opts...) })
}

// IgnoreElements is rxgo's IgnoreElements.
func (g *guarded) IgnoreElements(opts ...rxgo.Option) rxgo.Observable {
	return Guard(g.o.IgnoreElements(opts...))
}

// Last is rxgo's Last.
func (g *guarded) Last(opts ...rxgo.Option) rxgo.OptionalSingle {
	return wrapOptional(func() rxgo.OptionalSingle { return g.o.Last(opts...) })
}

// LastOrDefault is rxgo's LastOrDefault.
func (g *guarded) LastOrDefault(defaultValue any, opts ...rxgo.Option) rxgo.Single {
	return wrapSingle(func() rxgo.Single { return g.o.LastOrDefault(defaultValue, opts...) })
}

// OnErrorReturnItem is rxgo's OnErrorReturnItem.
func (g *guarded) OnErrorReturnItem(resume any, opts ...rxgo.Option) rxgo.Observable {
	return Guard(g.o.OnErrorReturnItem(resume, opts...))
}

// Repeat is rxgo's Repeat.
func (g *guarded) Repeat(count int64, frequency rxgo.Duration, opts ...rxgo.Option) rxgo.Observable {
	return Guard(g.o.Repeat(count, frequency, opts...))
}

// Run is rxgo's Run.
func (g *guarded) Run(opts ...rxgo.Option) rxgo.Disposed { return g.o.Run(opts...) }

// Sample is rxgo's Sample.
func (g *guarded) Sample(iterable rxgo.Iterable, opts ...rxgo.Option) rxgo.Observable {
	return Guard(g.o.Sample(iterable, opts...))
}

// Send is rxgo's Send.
func (g *guarded) Send(output chan<- rxgo.Item, opts ...rxgo.Option) { g.o.Send(output, opts...) }

// SequenceEqual is rxgo's SequenceEqual.
func (g *guarded) SequenceEqual(iterable rxgo.Iterable, opts ...rxgo.Option) rxgo.Single {
	return wrapSingle(func() rxgo.Single { return g.o.SequenceEqual(iterable, opts...) })
}

// Skip is rxgo's Skip.
func (g *guarded) Skip(nth uint, opts ...rxgo.Option) rxgo.Observable {
	return Guard(g.o.Skip(nth, opts...))
}

// SkipLast is rxgo's SkipLast.
func (g *guarded) SkipLast(nth uint, opts ...rxgo.Option) rxgo.Observable {
	return Guard(g.o.SkipLast(nth, opts...))
}

// StartWith is rxgo's StartWith.
func (g *guarded) StartWith(iterable rxgo.Iterable, opts ...rxgo.Option) rxgo.Observable {
	return Guard(g.o.StartWith(iterable, opts...))
}

// SumFloat32 is rxgo's SumFloat32.
func (g *guarded) SumFloat32(opts ...rxgo.Option) rxgo.OptionalSingle {
	return wrapOptional(func() rxgo.OptionalSingle { return g.o.SumFloat32(opts...) })
}

// SumFloat64 is rxgo's SumFloat64.
func (g *guarded) SumFloat64(opts ...rxgo.Option) rxgo.OptionalSingle {
	return wrapOptional(func() rxgo.OptionalSingle { return g.o.SumFloat64(opts...) })
}

// SumInt64 is rxgo's SumInt64.
func (g *guarded) SumInt64(opts ...rxgo.Option) rxgo.OptionalSingle {
	return wrapOptional(func() rxgo.OptionalSingle { return g.o.SumInt64(opts...) })
}

// Take is rxgo's Take.
func (g *guarded) Take(nth uint, opts ...rxgo.Option) rxgo.Observable {
	return Guard(g.o.Take(nth, opts...))
}

// TakeLast is rxgo's TakeLast.
func (g *guarded) TakeLast(nth uint, opts ...rxgo.Option) rxgo.Observable {
	return Guard(g.o.TakeLast(nth, opts...))
}

// TimeInterval is rxgo's TimeInterval.
func (g *guarded) TimeInterval(opts ...rxgo.Option) rxgo.Observable {
	return Guard(g.o.TimeInterval(opts...))
}

// Timestamp is rxgo's Timestamp.
func (g *guarded) Timestamp(opts ...rxgo.Option) rxgo.Observable {
	return Guard(g.o.Timestamp(opts...))
}

// ToSlice is rxgo's ToSlice.
func (g *guarded) ToSlice(initialCapacity int, opts ...rxgo.Option) ([]any, error) {
	return g.o.ToSlice(initialCapacity, opts...)
}

// WindowWithCount is rxgo's WindowWithCount, emitting guarded windows.
func (g *guarded) WindowWithCount(count int, opts ...rxgo.Option) rxgo.Observable {
	return Guard(g.o.WindowWithCount(count, opts...).Map(wrapWindow))
}

// WindowWithTime is rxgo's WindowWithTime, emitting guarded windows.
func (g *guarded) WindowWithTime(timespan rxgo.Duration, opts ...rxgo.Option) rxgo.Observable {
	return Guard(g.o.WindowWithTime(timespan, opts...).Map(wrapWindow))
}

// WindowWithTimeOrCount is rxgo's WindowWithTimeOrCount, emitting guarded
// windows.
func (g *guarded) WindowWithTimeOrCount(timespan rxgo.Duration, count int, opts ...rxgo.Option) rxgo.Observable {
	return Guard(g.o.WindowWithTimeOrCount(timespan, count, opts...).Map(wrapWindow))
}

// wrapWindow guards the Observables a windowing operator emits.
func wrapWindow(_ context.Context, v any) (any, error) {
	if o, ok := v.(rxgo.Observable); ok {
		return Guard(o), nil
	}
	return v, nil
}
