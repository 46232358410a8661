package loadtest

import (
	"fmt"
	"strconv"
	"time"
)

// Scenarios returns the workloads of make bench-load: the firehose of 200k
// events, fan-out to 1,000 and 5,000 clients, churn, and fan-out to 19,000
// clients once per stack (NestJS included, to record what happens). quick
// gives the smoke sizes of QUICK=1.
func Scenarios(quick bool) []Scenario {
	all := Stacks
	fanout := func(clients int, ramp, window time.Duration, once bool) Scenario {
		return Scenario{
			Name:   "fanout-" + strconv.Itoa(clients),
			Title:  fmt.Sprintf("fan-out, %s clients, %s window", thousands(clients), window),
			Mode:   "fanout",
			Args:   []string{"-clients", strconv.Itoa(clients), "-ramp", ramp.String(), "-window", window.String()},
			Stacks: all,
			Once:   once,
			Bound:  (ramp + time.Second + openTimeout + window).Seconds() + 30,
		}
	}
	churn := func(d time.Duration) Scenario {
		return Scenario{
			Name:   "churn",
			Title:  fmt.Sprintf("churn: 50 clients connect, read 1 event (`/firehose?n=1`), hang up, for %s", d),
			Mode:   "churn",
			Args:   []string{"-parallel", "50", "-duration", d.String()},
			Stacks: all,
			Bound:  d.Seconds() + 30,
		}
	}
	firehose := Scenario{
		Name:   "firehose",
		Title:  "firehose: 200,000 events to 1 client",
		Mode:   "firehose",
		Args:   []string{"-n", "200000", "-timeout", "60s"},
		Stacks: all,
		Bound:  75,
	}
	if quick {
		return []Scenario{firehose, fanout(200, time.Second, 5*time.Second, false), fanout(1000, 2*time.Second, 5*time.Second, false), churn(3 * time.Second)}
	}
	return []Scenario{
		firehose,
		fanout(1000, 5*time.Second, 20*time.Second, false),
		fanout(5000, 15*time.Second, 20*time.Second, false),
		churn(10 * time.Second),
		fanout(19000, 60*time.Second, 30*time.Second, true),
	}
}

// thousands writes n with comma separators.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
