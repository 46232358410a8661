package loadtest

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Scenarios returns the workloads of make bench-load: the firehose of 200k
// events, fan-out to 1,000 and 5,000 clients, churn, fan-out to 19,000
// clients once per stack (NestJS included, to record what happens), and
// fan-out to 1,000 clients with rxsse's hub on NATS JetStream, one and three
// instances, next to the in-memory hub (group "nats"). quick gives the
// smoke sizes of QUICK=1.
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
	// The NATS stacks next to the in-memory hub, run in the same session.
	nats := func(clients int, ramp, window time.Duration) Scenario {
		sc := fanout(clients, ramp, window, false)
		sc.Name += "-nats"
		sc.Group = "nats"
		sc.Title += ": in-memory hub and NATS JetStream"
		sc.Stacks = []string{StackRxsse, StackRxsseNATS1, StackRxsseNATS3}
		return sc
	}
	if quick {
		return []Scenario{firehose, fanout(200, time.Second, 5*time.Second, false), fanout(1000, 2*time.Second, 5*time.Second, false), churn(3 * time.Second),
			nats(200, time.Second, 5*time.Second)}
	}
	return []Scenario{
		firehose,
		fanout(1000, 5*time.Second, 20*time.Second, false),
		fanout(5000, 15*time.Second, 20*time.Second, false),
		churn(10 * time.Second),
		fanout(19000, 60*time.Second, 30*time.Second, true),
		nats(1000, 5*time.Second, 20*time.Second),
	}
}

// WithWindow returns scenarios with every fan-out scenario's measured
// window set to window (its title, loadgen's -window and its time bound).
func WithWindow(scenarios []Scenario, window time.Duration) []Scenario {
	out := slices.Clone(scenarios)
	for i, sc := range out {
		if sc.Mode != "fanout" {
			continue
		}
		j := slices.Index(sc.Args, "-window")
		if j < 0 || j+1 >= len(sc.Args) {
			continue
		}
		old, err := time.ParseDuration(sc.Args[j+1])
		if err != nil {
			continue
		}
		sc.Args = slices.Clone(sc.Args)
		sc.Args[j+1] = window.String()
		sc.Title = strings.Replace(sc.Title, old.String()+" window", window.String()+" window", 1)
		sc.Bound += (window - old).Seconds()
		out[i] = sc
	}
	return out
}

// Select returns the scenarios whose Name or Group is one of only (all of
// them if only is empty), and an error naming what matched nothing.
func Select(scenarios []Scenario, only []string) ([]Scenario, error) {
	if len(only) == 0 {
		return scenarios, nil
	}
	var out []Scenario
	for _, sc := range scenarios {
		if slices.Contains(only, sc.Name) || (sc.Group != "" && slices.Contains(only, sc.Group)) {
			out = append(out, sc)
		}
	}
	var known []string
	for _, sc := range scenarios {
		known = append(known, sc.Name)
		if sc.Group != "" && !slices.Contains(known, sc.Group) {
			known = append(known, sc.Group)
		}
	}
	for _, o := range only {
		if !slices.ContainsFunc(scenarios, func(sc Scenario) bool { return sc.Name == o || sc.Group == o }) {
			return nil, fmt.Errorf("loadtest: no scenario or group %q (there are: %s)", o, strings.Join(known, ", "))
		}
	}
	return out, nil
}

// thousands writes n with comma separators.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
