package clocktest_test

import (
	"fmt"
	"time"

	"github.com/rxsse/rxsse/observable/clocktest"
)

func ExampleClock_Advance() {
	clock := clocktest.New(time.Unix(0, 0))
	timer := clock.NewTimer(90 * time.Second)
	ticker := clock.NewTicker(time.Minute)

	clock.Advance(time.Minute)
	fmt.Println("tick at", (<-ticker.C()).Unix())
	clock.Advance(time.Minute)
	fmt.Println("timer at", (<-timer.C()).Unix())
	fmt.Println("tick at", (<-ticker.C()).Unix())
	// Output:
	// tick at 60
	// timer at 90
	// tick at 120
}
