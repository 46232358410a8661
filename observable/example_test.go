package observable_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/observable"
	"github.com/rxsse/rxsse/observable/clocktest"
)

// Interval driven by a fake clock: each Advance of one period yields the next
// number, at once and in the same order every run.
func ExampleInterval() {
	clock := clocktest.New(time.Unix(0, 0))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // Stops the subscription's ticker.

	ticks := observable.Interval(time.Second, observable.WithClock(clock)).
		Observe(rxgo.WithContext(ctx))
	clock.BlockUntil(1) // The subscription has started its ticker.
	for range 3 {
		clock.Advance(time.Second)
		fmt.Println((<-ticks).V)
	}
	// Output:
	// 0
	// 1
	// 2
}

func ExampleTimer() {
	clock := clocktest.New(time.Unix(0, 0))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	items := observable.Timer(time.Minute, observable.WithClock(clock)).
		Observe(rxgo.WithContext(ctx))
	clock.BlockUntil(1)
	clock.Advance(time.Minute)
	for item := range items {
		fmt.Println(item.V)
	}
	fmt.Println("completed")
	// Output:
	// 0
	// completed
}

// Merge interleaves its inputs as their items come: here two tickers, one
// every 2s and one every 3s.
func ExampleMerge() {
	clock := clocktest.New(time.Unix(0, 0))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	every := func(period time.Duration, name string) rxgo.Observable {
		return observable.Interval(period, observable.WithClock(clock)).
			Map(func(_ context.Context, v any) (any, error) {
				return fmt.Sprintf("%s%d", name, v), nil
			})
	}
	items := observable.Merge(every(2*time.Second, "a"), every(3*time.Second, "b")).
		Observe(rxgo.WithContext(ctx))
	clock.BlockUntil(2)
	for _, step := range []time.Duration{2 * time.Second, time.Second, time.Second} {
		clock.Advance(step)
		fmt.Println(clock.Now().Unix(), (<-items).V)
	}
	// Output:
	// 2 a0
	// 3 b0
	// 4 a1
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
