package observable

import (
	"context"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/reactivex/rxgo/v2"
	"go.uber.org/goleak"
)

// takesFunc reports whether one of m's parameters is a function.
func takesFunc(m reflect.Method) bool {
	for i := range m.Type.NumIn() {
		if m.Type.In(i).Kind() == reflect.Func {
			return true
		}
	}
	return false
}

// panicking returns a function of type typ that panics.
func panicking(typ reflect.Type) reflect.Value {
	return reflect.MakeFunc(typ, func([]reflect.Value) []reflect.Value {
		panic("boom")
	})
}

// harmless returns a function of type typ that returns its first argument
// where it can, an empty Observable or zero values otherwise.
func harmless(typ reflect.Type) reflect.Value {
	return reflect.MakeFunc(typ, func(in []reflect.Value) []reflect.Value {
		out := make([]reflect.Value, typ.NumOut())
		for i := range out {
			o := typ.Out(i)
			switch {
			case o == reflect.TypeFor[rxgo.Observable]():
				out[i] = reflect.ValueOf(rxgo.Empty())
			case o == reflect.TypeFor[any]() && len(in) > 0:
				arg := in[len(in)-1] // The value, after any context or accumulator.
				if arg.Kind() == reflect.Interface && arg.IsNil() {
					out[i] = reflect.Zero(o)
				} else {
					out[i] = reflect.ValueOf(arg.Interface())
				}
			default:
				out[i] = reflect.Zero(o)
			}
		}
		return out
	})
}

// args returns arguments for m: each function is made by fn; the other
// parameters get small valid values; the variadic options are left out.
func args(t *testing.T, m reflect.Method, fn func(reflect.Type) reflect.Value) []reflect.Value {
	var args []reflect.Value
	for i := range m.Type.NumIn() {
		if m.Type.IsVariadic() && i == m.Type.NumIn()-1 {
			break
		}
		in := m.Type.In(i)
		switch {
		case in.Kind() == reflect.Func:
			args = append(args, fn(in))
		case in == reflect.TypeFor[rxgo.Observable]() && m.Name == "Join":
			// rxgo's Join observes its inputs without a context, and leaks
			// the right one when it stops early unless it is empty.
			args = append(args, reflect.ValueOf(rxgo.Empty()))
		case in == reflect.TypeFor[rxgo.Observable](), in == reflect.TypeFor[rxgo.Iterable]():
			args = append(args, reflect.ValueOf(rxgo.Just(1)()))
		case in == reflect.TypeFor[any]():
			args = append(args, reflect.ValueOf(any(0)))
		case in == reflect.TypeFor[backoff.BackOff]():
			args = append(args, reflect.ValueOf(backoff.BackOff(&backoff.StopBackOff{})))
		case in == reflect.TypeFor[rxgo.Duration]():
			args = append(args, reflect.ValueOf(rxgo.WithDuration(time.Millisecond)))
		case in.Kind() == reflect.Int, in.Kind() == reflect.Uint, in.Kind() == reflect.Int64:
			args = append(args, reflect.ValueOf(1).Convert(in))
		default:
			t.Fatalf("%s: no argument for a %v", m.Name, in)
		}
	}
	return args
}

// everything observes what a method returned and the Observables among its
// items (groups, windows), each as soon as it arrives, under ctx, and returns
// each stream's items and the inner Observables it found.
func everything(t *testing.T, ctx context.Context, results []reflect.Value) (streams [][]rxgo.Item, inner []rxgo.Observable) {
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	var walk func(v any)
	walk = func(v any) {
		defer wg.Done()
		switch v := v.(type) {
		case rxgo.Disposed:
			select {
			case <-v:
			case <-time.After(stuck):
				t.Error("the subscription was never disposed")
			}
		case rxgo.Iterable:
			var items []rxgo.Item
			timeout := time.NewTimer(stuck)
			defer timeout.Stop()
			for ch := v.Observe(rxgo.WithContext(ctx)); ; {
				select {
				case item, ok := <-ch:
					if !ok {
						mu.Lock()
						streams = append(streams, items)
						mu.Unlock()
						return
					}
					items = append(items, item)
					o, isObs := item.V.(rxgo.Observable)
					if g, isGroup := item.V.(rxgo.GroupedObservable); isGroup {
						o, isObs = g.Observable, true
					}
					if isObs {
						mu.Lock()
						inner = append(inner, o)
						mu.Unlock()
						wg.Add(1)
						go walk(o)
					}
				case <-timeout.C:
					t.Errorf("stream still open after %d items: %+v", len(items), items)
					return
				}
			}
		}
	}
	for _, r := range results {
		wg.Add(1)
		go walk(r.Interface())
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return streams, inner
}

// A method of rxgo.Observable, Single or OptionalSingle that takes a
// function and is not overridden, or overridden without recover, lets the
// panic kill the process: that kills the child this test runs in, and fails
// it. One that is overridden must end its stream with a *PanicError.
func TestEveryMethodTakingAFunctionTurnsItsPanicIntoAPanicError(t *testing.T) {
	if !inChild(t, "SAFE_REFLECT_CHILD") {
		return
	}
	receivers := []struct {
		name string
		typ  reflect.Type
		make func(m string) any
	}{
		{"Observable", reflect.TypeFor[rxgo.Observable](), func(m string) any {
			if m == "Join" {
				// rxgo's Join observes its inputs without a context: only a
				// source that ends by itself lets its goroutines finish.
				return Guard(rxgo.Just(1)())
			}
			// Two values for Max and Min, an error for Retry and OnError*.
			return Guard(rxgo.Just(1, 2, errBoom)())
		}},
		{"Single", reflect.TypeFor[rxgo.Single](), func(string) any {
			return Guard(rxgo.Just(1)()).Count()
		}},
		{"OptionalSingle", reflect.TypeFor[rxgo.OptionalSingle](), func(string) any {
			return Guard(rxgo.Just(1)()).First()
		}},
	}
	for _, rcv := range receivers {
		for i := range rcv.typ.NumMethod() {
			m := rcv.typ.Method(i)
			if !takesFunc(m) {
				continue
			}
			t.Run(rcv.name+"."+m.Name, func(t *testing.T) {
				defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
				t.Logf("calling %s with functions that panic", m.Name)
				// Cancel the context at the end, as the rxgo operators that
				// stopped early need it to finish.
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				recv := reflect.ValueOf(rcv.make(m.Name))
				in := append(args(t, m, panicking), reflect.ValueOf(rxgo.WithContext(ctx)))
				results := recv.MethodByName(m.Name).Call(in)
				streams, _ := everything(t, ctx, results)
				if len(streams) == 0 {
					return // Disposed: the subscription ended and nothing escaped.
				}
				// Every stream the panic reaches ends with it. A Single
				// emits it first: rxgo's aggregates emit their result even
				// after an error item.
				single := m.Type.NumOut() == 1 && m.Type.Out(0) != reflect.TypeFor[rxgo.Observable]()
				found := false
				for _, items := range streams {
					if slices.ContainsFunc(items, isPanic) {
						found = true
						if single && !isPanic(items[0]) {
							t.Fatalf("items = %+v, want a *PanicError first", items)
						} else if !single {
							endsWithPanic(t, items)
						}
					}
				}
				if !found {
					t.Fatalf("no *PanicError in %+v", streams)
				}
			})
		}
	}
}

// Every Observable, Single and OptionalSingle a guarded Observable returns is
// guarded in turn, or a chain would lose its guard after the first operator.
func TestEveryResultIsGuarded(t *testing.T) {
	// rxgo's Singles can be observed once only: make one per call.
	src := func() rxgo.Observable { return Guard(rxgo.Just(1, 2)()) }
	guardedTypes := []reflect.Type{
		reflect.TypeOf(src()),
		reflect.TypeOf(src().Count()),
		reflect.TypeOf(src().First()),
	}
	receivers := []struct {
		name string
		typ  reflect.Type
		recv func() any
	}{
		{"Observable", reflect.TypeFor[rxgo.Observable](), func() any { return src() }},
		{"Single", reflect.TypeFor[rxgo.Single](), func() any { return src().Count() }},
		{"OptionalSingle", reflect.TypeFor[rxgo.OptionalSingle](), func() any { return src().First() }},
	}
	for _, rcv := range receivers {
		for i := range rcv.typ.NumMethod() {
			m := rcv.typ.Method(i)
			if m.Type.NumOut() != 1 {
				continue
			}
			out := m.Type.Out(0)
			if out != reflect.TypeFor[rxgo.Observable]() && out != reflect.TypeFor[rxgo.Single]() && out != reflect.TypeFor[rxgo.OptionalSingle]() {
				continue
			}
			t.Run(rcv.name+"."+m.Name, func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				in := append(args(t, m, harmless), reflect.ValueOf(rxgo.WithContext(ctx)))
				res := reflect.ValueOf(rcv.recv()).MethodByName(m.Name).Call(in)[0]
				if !slices.Contains(guardedTypes, res.Elem().Type()) {
					t.Errorf("%s returns a %v, not a guarded one", m.Name, res.Elem().Type())
				}
				_, inner := everything(t, ctx, []reflect.Value{res})
				cancel()
				for _, o := range inner {
					if !slices.Contains(guardedTypes, reflect.TypeOf(o)) {
						t.Errorf("%s emits a %T, not a guarded Observable", m.Name, o)
					}
				}
			})
		}
	}
}
