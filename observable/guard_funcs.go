package observable

import (
	"context"
	"time"

	"github.com/reactivex/rxgo/v2"
)

// Func returns f run under recover: a panic in it becomes a returned
// *PanicError, which rxgo's operators emit as an error item that ends the
// stream, as they do with any error f returns.
func guardFunc(f rxgo.Func) rxgo.Func {
	return func(ctx context.Context, v any) (out any, err error) {
		defer func() {
			if r := recover(); r != nil {
				out, err = nil, recovered(r)
			}
		}()
		return f(ctx, v)
	}
}

// Func2 is Func for the two-argument functions of Scan, Reduce and the
// combining operators.
func guardFunc2(f rxgo.Func2) rxgo.Func2 {
	return func(ctx context.Context, a, b any) (out any, err error) {
		defer func() {
			if r := recover(); r != nil {
				out, err = nil, recovered(r)
			}
		}()
		return f(ctx, a, b)
	}
}

// Predicate returns p run under recover, reporting a panic as an error.
// An rxgo.Predicate cannot return an error, so the operators that take one
// evaluate it this way in a Map of their own (see judge and keep).
func guardPredicate(p rxgo.Predicate) func(v any) (ok bool, err error) {
	return func(v any) (ok bool, err error) {
		defer func() {
			if r := recover(); r != nil {
				ok, err = false, recovered(r)
			}
		}()
		return p(v), nil
	}
}

// skip is the value keep maps a rejected item to; the operator after it drops
// every skip. It is unexported, so no user value can be mistaken for it.
type skip struct{}

func isNotSkip(v any) bool {
	_, s := v.(skip)
	return !s
}

// keep returns a Map function that evaluates p on each value: the value
// itself when p accepts it, skip{} when p rejects it, a *PanicError when p
// panics.
func keep(p rxgo.Predicate) rxgo.Func {
	eval := guardPredicate(p)
	return func(_ context.Context, v any) (any, error) {
		ok, err := eval(v)
		switch {
		case err != nil:
			return nil, err
		case ok:
			return v, nil
		default:
			return skip{}, nil
		}
	}
}

// judged carries a value with the verdict of a predicate on it, so that an
// rxgo operator can read the verdict instead of calling the predicate.
type judged struct {
	v  any
	ok bool
}

func verdict(v any) bool { return v.(judged).ok }

func unjudge(_ context.Context, v any) (any, error) { return v.(judged).v, nil }

// judge returns a Map function that evaluates p on each value and carries
// the verdict along with it, or returns a *PanicError when p panics.
func judge(p rxgo.Predicate) rxgo.Func {
	eval := guardPredicate(p)
	return func(_ context.Context, v any) (any, error) {
		ok, err := eval(v)
		if err != nil {
			return nil, err
		}
		return judged{v: v, ok: ok}, nil
	}
}

// isTrue is the predicate of All and Contains over verdicts evaluated ahead.
func isTrue(v any) bool { return v.(bool) }

// truth returns a Map function that replaces each value with p's verdict on
// it, or returns a *PanicError when p panics.
func truth(p rxgo.Predicate) rxgo.Func {
	eval := guardPredicate(p)
	return func(_ context.Context, v any) (any, error) {
		ok, err := eval(v)
		if err != nil {
			return nil, err
		}
		return ok, nil
	}
}

// panicked carries a recovered panic out of a function that has no error
// result; the Map after the operator turns it into an error item.
type panicked struct{ err *PanicError }

func unpanic(_ context.Context, v any) (any, error) {
	if p, ok := v.(panicked); ok {
		return nil, p.err
	}
	return v, nil
}

// errorFunc returns f run under recover, returning panicked{} on a panic.
func errorFunc(f rxgo.ErrorFunc) rxgo.ErrorFunc {
	return func(e error) (out any) {
		defer func() {
			if r := recover(); r != nil {
				out = panicked{recovered(r)}
			}
		}()
		return f(e)
	}
}

// toObservable returns f run under recover: a panic returns an Observable
// that emits the *PanicError.
func toObservable(f rxgo.ItemToObservable) rxgo.ItemToObservable {
	return func(item rxgo.Item) (out rxgo.Observable) {
		defer func() {
			if r := recover(); r != nil {
				out = rxgo.Thrown(recovered(r))
			}
		}()
		return f(item)
	}
}

// errorToObservable returns f run under recover: a panic returns an
// Observable that emits panicked{}, which the Map after the operator turns
// into an error item. (An error item itself would make OnErrorResumeNext call
// f again, for ever.)
func errorToObservable(f rxgo.ErrorToObservable) rxgo.ErrorToObservable {
	return func(e error) (out rxgo.Observable) {
		defer func() {
			if r := recover(); r != nil {
				out = rxgo.Just(panicked{recovered(r)})()
			}
		}()
		return f(e)
	}
}

// timed carries a value with the time a Join's timeExtractor gave it.
type timed struct {
	v any
	t time.Time
}

func timeOf(v any) time.Time { return v.(timed).t }

// stamp returns a Map function that evaluates extract on each value.
func stamp(extract func(any) time.Time) rxgo.Func {
	return guardFunc(func(_ context.Context, v any) (any, error) {
		return timed{v: v, t: extract(v)}, nil
	})
}

// identified carries a value with the id Serialize's identifier gave it.
type identified struct {
	v  any
	id int
}

func idOf(v any) int { return v.(identified).id }

func unidentify(_ context.Context, v any) (any, error) { return v.(identified).v, nil }

// identify returns a Map function that evaluates identifier on each value.
func identify(identifier func(any) int) rxgo.Func {
	return guardFunc(func(_ context.Context, v any) (any, error) {
		return identified{v: v, id: identifier(v)}, nil
	})
}

// extreme is the accumulator of Max and Min, which run as a Reduce so that
// the comparator's panic can become an error; a box tells the first value
// apart from a nil one.
type extreme struct{ v any }

func unbox(_ context.Context, v any) (any, error) { return v.(extreme).v, nil }

// reduceExtreme returns the Reduce function of Max (sign 1) or Min (sign -1),
// with rxgo's semantics: a nil extreme is replaced by the next value, and the
// extreme moves when comparator(extreme, v)*sign < 0.
func reduceExtreme(comparator rxgo.Comparator, sign int) rxgo.Func2 {
	return guardFunc2(func(_ context.Context, acc, v any) (any, error) {
		cur, _ := acc.(extreme)
		if cur.v == nil || comparator(cur.v, v)*sign < 0 {
			return extreme{v}, nil
		}
		return cur, nil
	})
}

// callback returns a Map function that calls f on each value and passes the
// value on, or returns a *PanicError when f panics.
func callback(f rxgo.NextFunc) rxgo.Func {
	return guardFunc(func(_ context.Context, v any) (any, error) {
		f(v)
		return v, nil
	})
}

// errFuncOf returns f run under recover. A panic in it is dropped: the stream
// is ending anyway, and there is nobody left to report it to.
func errFuncOf(f rxgo.ErrFunc) rxgo.ErrFunc {
	return func(e error) {
		_ = catch(func() { f(e) })
	}
}

// completedFuncOf returns f run under recover, a panic being dropped as in
// errFuncOf.
func completedFuncOf(f rxgo.CompletedFunc) rxgo.CompletedFunc {
	return func() {
		_ = catch(f)
	}
}

func ignore(any) {}
