package observable_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/observable"
)

// Interval emits 0, 1, 2, ... one period apart, from when it is observed
// until the Observe context is cancelled. Tests run it inside a
// testing/synctest bubble, where a period of a second passes at once (see
// the package doc).
func ExampleInterval() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // Stops the subscription's ticker.

	ticks := observable.Interval(10 * time.Millisecond).Observe(rxgo.WithContext(ctx))
	for range 3 {
		fmt.Println((<-ticks).V)
	}
	// Output:
	// 0
	// 1
	// 2
}

func ExampleTimer() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	for item := range observable.Timer(10 * time.Millisecond).Observe(rxgo.WithContext(ctx)) {
		fmt.Println(item.V)
	}
	fmt.Println("completed")
	// Output:
	// 0
	// completed
}

// Merge emits the items of its inputs as they come, not in the order of the
// inputs: here the Timer's item comes after Just's.
func ExampleMerge() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	later := observable.Timer(100 * time.Millisecond).
		Map(func(context.Context, any) (any, error) { return "later", nil })
	for item := range observable.Merge(later, rxgo.Just("now")()).Observe(rxgo.WithContext(ctx)) {
		fmt.Println(item.V)
	}
	// Output:
	// now
	// later
}

func ExampleConcat() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for item := range observable.Concat(rxgo.Just(1, 2)(), rxgo.Just(3)()).Observe(rxgo.WithContext(ctx)) {
		fmt.Println(item.V)
	}
	// Output:
	// 1
	// 2
	// 3
}

func ExampleStartWith() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for item := range observable.StartWith(rxgo.Just("data")(), "hello").Observe(rxgo.WithContext(ctx)) {
		fmt.Println(item.V)
	}
	// Output:
	// hello
	// data
}

// A panic in a producer becomes an error item that ends the stream, instead
// of killing the process.
func ExampleDefer() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	rows := observable.Defer(func(ctx context.Context, next chan<- rxgo.Item) {
		rxgo.Of("row 1").SendContext(ctx, next)
		panic("lost the database")
	})
	for item := range rows.Observe(rxgo.WithContext(ctx)) {
		var pe *observable.PanicError
		if errors.As(item.E, &pe) {
			fmt.Println("error:", pe)
			continue
		}
		fmt.Println(item.V)
	}
	// Output:
	// row 1
	// error: panic: lost the database
}

// Operators chained on a guarded Observable run their functions under
// recover: a panic in Map becomes an error item that ends the stream.
func ExampleGuard() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	tenth := func(_ context.Context, v any) (any, error) { return 10 / v.(int), nil }
	for item := range observable.Guard(rxgo.Just(5, 0, 2)()).Map(tenth).Observe(rxgo.WithContext(ctx)) {
		var pe *observable.PanicError
		if errors.As(item.E, &pe) {
			fmt.Println("error:", pe)
			continue
		}
		fmt.Println(item.V)
	}
	// Output:
	// 2
	// error: panic: runtime error: integer divide by zero
}
