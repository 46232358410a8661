package loadtest

import (
	"bytes"
	"fmt"
	"html"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The stacks of the benchmark.
const (
	StackRxsse   = "rxsse"
	StackNetHTTP = "nethttp"
	StackNest    = "nest"
	// StackRxsseNATS1 and StackRxsseNATS3 are the rxsse app with its hub on
	// NATS JetStream (rxsse-server -nats embedded): one instance, and three
	// sharing the clients.
	StackRxsseNATS1 = "rxsse-nats1"
	StackRxsseNATS3 = "rxsse-nats3"
)

// Stacks lists the stacks every workload compares, in the report's column
// order; they are always the table's columns.
var Stacks = []string{StackRxsse, StackNetHTTP, StackNest}

// AllStacks lists every stack in the report's column order: those of
// Stacks and the NATS ones, which only their own workloads run and which
// are columns only in a report that has them.
var AllStacks = []string{StackRxsse, StackRxsseNATS1, StackRxsseNATS3, StackNetHTTP, StackNest}

// NATSInstances returns how many rxsse instances on NATS JetStream stack
// runs, or 0 if it is not a NATS stack.
func NATSInstances(stack string) int {
	switch stack {
	case StackRxsseNATS1:
		return 1
	case StackRxsseNATS3:
		return 3
	}
	return 0
}

// stackTitle is how the report names a stack.
var stackTitle = map[string]string{
	StackRxsse: "rxsse", StackNetHTTP: "bare net/http", StackNest: "NestJS",
	StackRxsseNATS1: "rxsse (NATS ×1)", StackRxsseNATS3: "rxsse (NATS ×3)",
}

// stackColor is a stack's colour in the chart.
var stackColor = map[string]string{
	StackRxsse: "#1f77b4", StackNetHTTP: "#7f7f7f", StackNest: "#e0234e",
	StackRxsseNATS1: "#6baed6", StackRxsseNATS3: "#08306b",
}

// Run is one scenario run against one fresh server: one line of the
// benchmark's results file.
type Run struct {
	Scenario string `json:"scenario"` // a Scenario's Name
	Stack    string `json:"stack"`
	Round    int    `json:"round"` // from 1
	Result   Result `json:"result"`
}

// Scenario is one workload of the benchmark.
type Scenario struct {
	Name   string   // "firehose", "fanout-1000", ...
	Group  string   `json:",omitempty"` // a name benchload -only selects it by besides Name ("nats")
	Title  string   // how the report names it
	Mode   string   // firehose, fanout or churn
	Args   []string // loadgen flags besides -mode, -addr, -stack and -pid
	Stacks []string // the stacks it runs against
	Once   bool     // run in the first round only
	Bound  float64  // seconds the run may take at most (the generator's own bound plus slack)
}

// Machine describes where the benchmark ran.
type Machine struct {
	Date, CPUModel, GoVersion, NodeVersion, NestVersion, Command string
	Cores, Rounds                                                int
	Minutes                                                      float64
	Quick                                                        bool
}

// Report turns the runs of a benchmark into the Markdown section of
// BENCHMARKS.md and the SVG chart. It is saved as JSON next to the chart, so
// that the section can be rendered again without running again.
type Report struct {
	Machine   Machine    `json:"machine"`
	Scenarios []Scenario `json:"scenarios"`
	Runs      []Run      `json:"runs"`
	// Merged records the later runs of some scenarios merged into this
	// report (benchload -only -merge), oldest first.
	Merged []Merged `json:"merged,omitempty"`
}

// Merged is one later run of some of a report's scenarios, merged in.
type Merged struct {
	Scenarios []string // their Names
	Date      string
	GoVersion string
	Command   string
	Rounds    int
	Minutes   float64
	Quick     bool
}

// Merge returns r with the scenarios and runs of later, a run of some
// scenarios only: each of later's scenarios replaces r's of the same name,
// with all its runs, or is appended; r's other scenarios, runs and machine
// stay. later's machine is recorded in Merged.
func (r Report) Merge(later Report) Report {
	out := Report{Machine: r.Machine}
	replaced := map[string]bool{}
	var names []string
	for _, sc := range later.Scenarios {
		replaced[sc.Name] = true
		names = append(names, sc.Name)
	}
	added := map[string]bool{}
	for _, sc := range r.Scenarios {
		if replaced[sc.Name] {
			i := slices.IndexFunc(later.Scenarios, func(l Scenario) bool { return l.Name == sc.Name })
			sc = later.Scenarios[i]
			added[sc.Name] = true
		}
		out.Scenarios = append(out.Scenarios, sc)
	}
	for _, sc := range later.Scenarios {
		if !added[sc.Name] {
			out.Scenarios = append(out.Scenarios, sc)
		}
	}
	for _, run := range r.Runs {
		if !replaced[run.Scenario] {
			out.Runs = append(out.Runs, run)
		}
	}
	out.Runs = append(out.Runs, later.Runs...)
	// Earlier merges keep the scenarios this one does not run again.
	for _, m := range r.Merged {
		m.Scenarios = slices.DeleteFunc(slices.Clone(m.Scenarios), func(n string) bool { return replaced[n] })
		if len(m.Scenarios) > 0 {
			out.Merged = append(out.Merged, m)
		}
	}
	lm := later.Machine
	out.Merged = append(out.Merged, Merged{Scenarios: names, Date: lm.Date, GoVersion: lm.GoVersion, Command: lm.Command, Rounds: lm.Rounds, Minutes: lm.Minutes, Quick: lm.Quick})
	return out
}

// columns returns the stacks of the table's columns: Stacks, and the
// other stacks some scenario runs, in AllStacks' order.
func (r *Report) columns() []string {
	var out []string
	for _, st := range AllStacks {
		if slices.Contains(Stacks, st) || slices.ContainsFunc(r.Scenarios, func(sc Scenario) bool { return slices.Contains(sc.Stacks, st) }) {
			out = append(out, st)
		}
	}
	return out
}

// hasNATS reports whether a scenario runs a NATS stack.
func (r *Report) hasNATS() bool {
	return slices.ContainsFunc(r.Scenarios, func(sc Scenario) bool {
		return slices.ContainsFunc(sc.Stacks, func(st string) bool { return NATSInstances(st) > 0 })
	})
}

// title returns the Title of the scenario named name, or name.
func (r *Report) title(name string) string {
	for _, sc := range r.Scenarios {
		if sc.Name == name {
			return sc.Title
		}
	}
	return name
}

// results returns the results of scenario on stack, in run order.
func (r *Report) results(scenario, stack string) []Result {
	var out []Result
	for _, run := range r.Runs {
		if run.Scenario == scenario && run.Stack == stack {
			out = append(out, run.Result)
		}
	}
	return out
}

// stat is the median and the range of one metric over rounds.
type stat struct {
	med, lo, hi float64
	n           int
}

// summarize returns the stat of f over the results f reports (ok), or n 0.
func summarize(rs []Result, f func(Result) (float64, bool)) stat {
	var v []float64
	for _, r := range rs {
		if x, ok := f(r); ok {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return stat{}
	}
	slices.Sort(v)
	m := v[len(v)/2]
	if len(v)%2 == 0 {
		m = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return stat{med: m, lo: v[0], hi: v[len(v)-1], n: len(v)}
}

// metric is one row of the results table.
type metric struct {
	label  string
	get    func(Result) (float64, bool)
	format func(float64) string
}

// completed reports a metric only for runs that measured something.
func completed(f func(Result) float64) func(Result) (float64, bool) {
	return func(r Result) (float64, bool) { return f(r), r.Error == "" || r.Connected > 0 || r.Events > 0 }
}

// measured reports a metric only for runs that measured something and
// have it: a server without GET /debug/runtime (NestJS), or a result saved
// before the metric existed, leaves it out.
func measured(f func(Result) float64) func(Result) (float64, bool) {
	return func(r Result) (float64, bool) {
		v, ok := completed(f)(r)
		return v, ok && v != 0
	}
}

func fmtRate(v float64) string {
	switch {
	case v >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', 2, 64) + "M"
	case v >= 1e4:
		return strconv.FormatFloat(v/1e3, 'f', 0, 64) + "k"
	case v >= 1e3:
		return strconv.FormatFloat(v/1e3, 'f', 2, 64) + "k"
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

func fmtMs(v float64) string {
	if v >= 100 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
func fmt1(v float64) string   { return strconv.FormatFloat(v, 'f', 1, 64) }
func fmt2(v float64) string   { return strconv.FormatFloat(v, 'f', 2, 64) }

// cell formats a stat: the median, and the range when there are several.
func cell(s stat, f func(float64) string) string {
	if s.n == 0 {
		return "–"
	}
	if s.n == 1 || f(s.lo) == f(s.hi) {
		return f(s.med)
	}
	return f(s.med) + " (" + f(s.lo) + "–" + f(s.hi) + ")"
}

// metricsFor returns the table rows of a scenario's mode.
func metricsFor(mode string) []metric {
	switch mode {
	case "firehose":
		return []metric{
			{"events/s", completed(func(r Result) float64 { return r.EventsPerSec }), fmtRate},
			{"MB/s", completed(func(r Result) float64 { return r.MBPerSec }), fmt1},
			{"time to first event, ms", completed(func(r Result) float64 { return r.TTFEMillis }), fmtMs},
			{"server CPU, cores", completed(func(r Result) float64 { return r.ServerCPUCores }), fmt2},
			{"invalid events", completed(func(r Result) float64 { return float64(r.Invalid) }), fmtNum},
		}
	case "fanout":
		return []metric{
			{"latency p50, ms", completed(func(r Result) float64 { return r.LatencyP50 }), fmtMs},
			{"latency p90, ms", completed(func(r Result) float64 { return r.LatencyP90 }), fmtMs},
			{"latency p99, ms", completed(func(r Result) float64 { return r.LatencyP99 }), fmtMs},
			{"latency max, ms", completed(func(r Result) float64 { return r.LatencyMax }), fmtMs},
			{"ticks delivered/s, all clients", completed(func(r Result) float64 { return r.TicksPerSec }), fmtRate},
			{"events per client (min)", completed(func(r Result) float64 { return float64(r.MinClientEvents) }), fmtNum},
			{"RSS per connection after the ramp, KB", measured(func(r Result) float64 { return r.RSSPerConnRampKB }), fmt1},
			{"RSS per connection at the window's end, KB", completed(func(r Result) float64 { return r.RSSPerConnKB }), fmt1},
			{"heap per connection at the end (runtime), KB", measured(func(r Result) float64 { return r.HeapPerConnKB }), fmt1},
			{"goroutine stacks per connection at the end, KB", measured(func(r Result) float64 { return r.StacksPerConnKB }), fmt1},
			{"server CPU, cores", completed(func(r Result) float64 { return r.ServerCPUCores }), fmt2},
			{"server CPU per delivered event, µs", measured(func(r Result) float64 { return r.CPUPerEventMicros }), fmt2},
			{"failed connections", func(r Result) (float64, bool) { return float64(r.Failed), true }, fmtNum},
			{"dropped streams", func(r Result) (float64, bool) { return float64(r.Dropped), true }, fmtNum},
			{"sequence gaps", func(r Result) (float64, bool) { return float64(r.Gaps), true }, fmtNum},
		}
	case "churn":
		return []metric{
			{"connects/s", completed(func(r Result) float64 { return r.ConnectsPerSec }), fmtRate},
			{"failed cycles", func(r Result) (float64, bool) { return float64(r.Failed), true }, fmtNum},
			{"server goroutines before", func(r Result) (float64, bool) { return float64(r.GoroutinesBefore), r.GoroutinesBefore >= 0 }, fmtNum},
			{"server goroutines after", func(r Result) (float64, bool) { return float64(r.GoroutinesAfter), r.GoroutinesAfter >= 0 }, fmtNum},
			{"server RSS before, MB", func(r Result) (float64, bool) { return float64(r.ServerRSSBeforeK) / 1024, r.ServerRSSBeforeK > 0 }, fmt1},
			{"server RSS after, MB", func(r Result) (float64, bool) { return float64(r.ServerRSSAfterK) / 1024, r.ServerRSSAfterK > 0 }, fmt1},
		}
	}
	return nil
}

// median returns the median of metric m of scenario on stack.
func (r *Report) median(scenario, stack string, get func(Result) (float64, bool)) stat {
	return summarize(r.results(scenario, stack), get)
}

// Markdown renders the section: the table of every scenario, the ratios
// with issue 10's targets (and issue 11's NATS numbers if it has them), and
// the chart at chartPath.
func (r *Report) Markdown(chartPath string) string {
	var b strings.Builder
	m := r.Machine
	cols := r.columns()
	b.WriteString("## Load: rxsse against bare net/http and NestJS (`make bench-load`)\n\n")
	b.WriteString("Written by `make bench-load` (loadtest); do not edit by hand. " +
		"`make bench-load ONLY=nats` runs only the NATS JetStream rows (about 4 minutes) and merges them into the saved results (loadtest/results/load.json), then writes this section and the chart again; " +
		"`ONLY` takes scenario names or groups, comma-separated.\n")
	if m.Quick {
		b.WriteString("**QUICK=1: smoke sizes, not comparable with the full run.**\n")
	}
	fmt.Fprintf(&b, "\n%s, %d cores (%s), %s, Node %s, NestJS %s; %d round(s), stacks in alternating order, one fresh server process per run; the run took %.1f minutes. Reproduce: `%s`.\n",
		m.Date, m.Cores, m.CPUModel, m.GoVersion, m.NodeVersion, m.NestVersion, m.Rounds, m.Minutes, m.Command)
	for _, mg := range r.Merged {
		var ts []string
		for _, n := range mg.Scenarios {
			ts = append(ts, "“"+r.title(n)+"”")
		}
		quick := ""
		if mg.Quick {
			quick = " **QUICK=1: smoke sizes.**"
		}
		fmt.Fprintf(&b, "The rows of %s were run later and merged in: %s, %s, %d round(s), %.1f minutes, `%s`.%s\n",
			strings.Join(ts, ", "), mg.Date, mg.GoVersion, mg.Rounds, mg.Minutes, mg.Command, quick)
	}
	b.WriteString("The load client runs on the same cores as the server (loopback only). Cells: median (min–max) over the rounds.\n\n")
	b.WriteString("The servers (loadtest) serve the same endpoints: `GET /firehose?n=N` (N events `{\"hello\":\"world\",\"i\":i}`, then the end), " +
		"`GET /fanout` (one shared tick every 100 ms carrying its send time in µs and a sequence number) and the seed `GET /sse`. " +
		"**rxsse** is written as the README teaches (a controller, `observable.Range(...).Map(...)`, `observable.Interval(...).Map(...)`, the hub's `Subscribe`), never tuned for the benchmark; " +
		"**bare net/http** is hand-written for speed, the ceiling for Go (the firehose in 32 KB writes, each tick encoded once into a shared ring); " +
		"**NestJS** is the docs' `@Sse` style on Express (`range(...).pipe(map(...))`, a shared `interval(100).pipe(map(...), share())`).\n\n")
	if r.hasNATS() {
		b.WriteString("**rxsse (NATS ×1)** and **rxsse (NATS ×3)** are the same rxsse app with its `hub.Broker` from `natshub.New` instead of `hub.New` (the controller does not change): " +
			"`rxsse-server -nats embedded -instances N` runs a nats-server with JetStream (file store) and N instances, each with its own NATS connection, Broker and HTTP server on consecutive ports, all in one process; " +
			"instance 1 publishes the tick (each publish waits for JetStream's acknowledgement), every instance delivers it from its one JetStream consumer, and the load client spreads its connections round-robin over the instances. " +
			"Latency is from the tick's due time to its arrival at the client, so it includes the publish, the store and the consumer. RSS and CPU are the whole process's: the instances and the NATS server together.\n\n")
	}
	fmt.Fprintf(&b, "![events/s and p99 latency per stack](%s)\n\n", chartPath)

	b.WriteString("| workload | measure | " + strings.Join(titles(cols), " | ") + " |\n")
	b.WriteString("| --- | --- |" + strings.Repeat(" ---: |", len(cols)) + "\n")
	for _, sc := range r.Scenarios {
		for i, mt := range metricsFor(sc.Mode) {
			name := ""
			if i == 0 {
				name = sc.Title
			}
			row := []string{name, mt.label}
			for _, st := range cols {
				if !slices.Contains(sc.Stacks, st) {
					if i == 0 {
						row = append(row, "not run")
					} else {
						row = append(row, "")
					}
					continue
				}
				rs := r.results(sc.Name, st)
				c := cell(summarize(rs, mt.get), mt.format)
				if i == 0 {
					if n := failedRuns(rs); n > 0 {
						c += fmt.Sprintf(" ⚠ %d of %d runs failed: %s", n, len(rs), firstError(rs))
					} else if partial(rs) {
						c += " ⚠ partial: connections failed or ended early, see below"
					}
				}
				row = append(row, c)
			}
			b.WriteString("| " + strings.Join(row, " | ") + " |\n")
		}
	}
	if notes := r.notes(); len(notes) > 0 {
		b.WriteString("\nWhat went wrong in individual runs:\n\n")
		for _, n := range notes {
			b.WriteString("- " + n + "\n")
		}
	}
	b.WriteString("\n### Targets (issue 10 §2, issue 17 stage 1), from the medians above\n\n")
	b.WriteString("| target | measured | |\n| --- | ---: | --- |\n")
	for _, t := range r.targets() {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", t.what, t.measured, t.verdict)
	}
	b.WriteString("\nThe backpressure target (a client that stops reading costs bounded memory; a slow hub subscriber is cut without slowing the others) is not measured by this benchmark; the transport's and the hub's tests cover it.\n")
	if nats := r.natsSection(); nats != "" {
		b.WriteString("\n### NATS JetStream (issue 11), from the medians above\n" + nats)
	}
	return b.String()
}

// notes lists, per scenario and stack, the runs with failed connections,
// dropped streams, sequence gaps or errors.
func (r *Report) notes() []string {
	var out []string
	for _, sc := range r.Scenarios {
		for _, st := range r.columns() {
			var parts []string
			for _, run := range r.Runs {
				if run.Scenario != sc.Name || run.Stack != st {
					continue
				}
				res := run.Result
				var p []string
				if res.Mode == "fanout" && res.Failed > 0 {
					p = append(p, fmt.Sprintf("%s of %s connections failed (the first: %s)", thousands(res.Failed), thousands(res.Clients), clip(res.FirstFail)))
				}
				if res.Dropped > 0 {
					p = append(p, fmt.Sprintf("%s streams ended early (the first: %s)", thousands(res.Dropped), clip(res.FirstDrop)))
				}
				if res.Gaps > 0 {
					p = append(p, fmt.Sprintf("%d ticks skipped", res.Gaps))
				}
				if res.Error != "" {
					p = append(p, clip(res.Error))
				}
				if len(p) > 0 {
					parts = append(parts, fmt.Sprintf("round %d: %s", run.Round, strings.Join(p, ", ")))
				}
			}
			if len(parts) > 0 {
				out = append(out, fmt.Sprintf("%s, %s: %s.", stackTitle[st], sc.Title, strings.Join(parts, "; ")))
			}
		}
	}
	return out
}

// clip shortens an error message for a table or a note.
func clip(e string) string {
	e = strings.ReplaceAll(e, "|", "/")
	if len(e) > 120 {
		e = e[:120] + "…"
	}
	return e
}

// partial reports whether a fan-out run lost connections, which makes its
// latency that of the survivors only.
func partial(rs []Result) bool {
	for _, r := range rs {
		if r.Mode == "fanout" && (r.Failed > 0 || r.Dropped > 0) {
			return true
		}
	}
	return false
}

// failedRuns counts the runs that did not complete.
func failedRuns(rs []Result) int {
	n := 0
	for _, r := range rs {
		if !r.OK {
			n++
		}
	}
	return n
}

// firstError returns the first run's error, shortened.
func firstError(rs []Result) string {
	for _, r := range rs {
		if r.Error != "" {
			return clip(r.Error)
		}
	}
	return ""
}

func titles(stacks []string) []string {
	out := make([]string, len(stacks))
	for i, s := range stacks {
		out[i] = stackTitle[s]
	}
	return out
}

// target is one line of the targets table.
type target struct{ what, measured, verdict string }

// verdict says whether ok holds, or that it could not be measured.
func verdict(ok, known bool) string {
	switch {
	case !known:
		return "not measured"
	case ok:
		return "met"
	}
	return "**not met**"
}

// ratio returns a/b of the medians of get, and whether both are known.
func (r *Report) ratio(scenario, a, b string, get func(Result) (float64, bool)) (float64, bool) {
	sa, sb := r.median(scenario, a, get), r.median(scenario, b, get)
	if sa.n == 0 || sb.n == 0 || sb.med == 0 {
		return 0, false
	}
	return sa.med / sb.med, true
}

// hasScenario reports whether the report has a scenario named name.
func (r *Report) hasScenario(name string) bool {
	return slices.ContainsFunc(r.Scenarios, func(s Scenario) bool { return s.Name == name })
}

// targets checks issue 10's targets against the medians.
func (r *Report) targets() []target {
	var out []target
	x := func(v float64, ok bool) string {
		if !ok {
			return "–"
		}
		return strconv.FormatFloat(v, 'f', 2, 64) + "×"
	}
	ratioTarget := func(what, scenario, other string, get func(Result) (float64, bool), atLeast bool, bound float64) {
		if !r.hasScenario(scenario) {
			return
		}
		v, ok := r.ratio(scenario, StackRxsse, other, get)
		met := v >= bound
		if !atLeast {
			met = v <= bound
		}
		out = append(out, target{what, x(v, ok), verdict(met, ok)})
	}
	eps := completed(func(r Result) float64 { return r.EventsPerSec })
	p99 := completed(func(r Result) float64 { return r.LatencyP99 })
	rss := completed(func(r Result) float64 { return r.RSSPerConnKB })
	cpuEvent := measured(func(r Result) float64 { return r.CPUPerEventMicros })
	ticks := completed(func(r Result) float64 { return r.TicksPerSec })
	cps := completed(func(r Result) float64 { return r.ConnectsPerSec })

	ratioTarget("firehose events/s: rxsse ≥ 0.85× bare net/http", "firehose", StackNetHTTP, eps, true, 0.85)
	ratioTarget("firehose events/s: rxsse ≥ 8× NestJS", "firehose", StackNest, eps, true, 8)
	for _, sc := range r.Scenarios {
		if sc.Mode != "fanout" || sc.Name == "fanout-19000" || !slices.Contains(sc.Stacks, StackNetHTTP) {
			continue
		}
		ratioTarget(sc.Title+": p99 rxsse ≤ 1.2× bare net/http", sc.Name, StackNetHTTP, p99, false, 1.2)
		ratioTarget(sc.Title+": RSS per connection at the window's end rxsse ≤ 1.15× bare net/http", sc.Name, StackNetHTTP, rss, false, 1.15)
		ratioTarget(sc.Title+": server CPU per delivered event rxsse ≤ 1.2× bare net/http", sc.Name, StackNetHTTP, cpuEvent, false, 1.2)
		v, ok := r.ratio(sc.Name, StackRxsse, StackNest, p99)
		out = append(out, target{sc.Title + ": p99 rxsse / NestJS (for information)", x(v, ok), ""})
	}
	if r.hasScenario("fanout-19000") {
		rs := r.results("fanout-19000", StackRxsse)
		clean, known := true, len(rs) > 0
		var failed, gaps, dropped int64
		for _, res := range rs {
			failed += int64(res.Failed)
			dropped += int64(res.Dropped)
			gaps += res.Gaps
			clean = clean && res.OK && res.Failed == 0 && res.Dropped == 0 && res.Gaps == 0
		}
		out = append(out, target{"fan-out 19,000: rxsse has no failed connection, no dropped stream, no sequence gap",
			fmt.Sprintf("%d failed, %d dropped, %d gaps", failed, dropped, gaps), verdict(clean, known)})
		ratioTarget("fan-out 19,000: ticks delivered/s rxsse ≥ 0.9× bare net/http", "fanout-19000", StackNetHTTP, ticks, true, 0.9)
		ratioTarget("fan-out 19,000: p99 rxsse ≤ 1.2× bare net/http", "fanout-19000", StackNetHTTP, p99, false, 1.2)
		ratioTarget("fan-out 19,000: RSS per connection at the window's end rxsse ≤ 1.15× bare net/http", "fanout-19000", StackNetHTTP, rss, false, 1.15)
		ratioTarget("fan-out 19,000: server CPU per delivered event rxsse ≤ 1.2× bare net/http", "fanout-19000", StackNetHTTP, cpuEvent, false, 1.2)
	}
	if r.hasScenario("churn") {
		ratioTarget("churn connects/s: rxsse ≥ 0.9× bare net/http", "churn", StackNetHTTP, cps, true, 0.9)
		rs := r.results("churn", StackRxsse)
		settled := 0
		for _, res := range rs {
			if res.GoroutinesSettled {
				settled++
			}
		}
		out = append(out, target{"churn: rxsse's goroutines back to the baseline afterwards",
			fmt.Sprintf("%d of %d runs", settled, len(rs)), verdict(settled == len(rs), len(rs) > 0)})
		v, ok := r.ratio("churn", StackRxsse, StackNest, cps)
		out = append(out, target{"churn connects/s: rxsse / NestJS (for information)", x(v, ok), ""})
	}
	return out
}

// natsSection renders, for each fan-out scenario that runs NATS stacks, a
// table of them: whether every client got every tick, and the latencies,
// their ratio with the in-memory hub's and the delivery rate. It is empty
// when no scenario runs a NATS stack.
func (r *Report) natsSection() string {
	var b strings.Builder
	p50 := completed(func(r Result) float64 { return r.LatencyP50 })
	p99 := completed(func(r Result) float64 { return r.LatencyP99 })
	ticks := completed(func(r Result) float64 { return r.TicksPerSec })
	latency := func(scenario, stack string) string {
		s50, s99 := r.median(scenario, stack, p50), r.median(scenario, stack, p99)
		if s50.n == 0 || s99.n == 0 {
			return "–"
		}
		return fmtMs(s50.med) + " / " + fmtMs(s99.med)
	}
	for _, sc := range r.Scenarios {
		var stacks []string
		for _, st := range AllStacks {
			if NATSInstances(st) > 0 && slices.Contains(sc.Stacks, st) {
				stacks = append(stacks, st)
			}
		}
		if sc.Mode != "fanout" || len(stacks) == 0 {
			continue
		}
		b.WriteString("\n| " + sc.Title + " | " + strings.Join(titles(stacks), " | ") + " |\n")
		b.WriteString("| --- |" + strings.Repeat(" ---: |", len(stacks)) + "\n")
		clean := []string{"every client gets every tick: no failed connection, no dropped stream, no sequence gap"}
		lat := []string{"latency p50 / p99, ms, from the tick's due time (publish, store, consume, deliver)"}
		ratio := []string{"p99 / the in-memory hub's p99 (for information)"}
		rate := []string{"ticks delivered/s, all clients"}
		if slices.Contains(sc.Stacks, StackRxsse) {
			lat[0] += "; in-memory hub: " + latency(sc.Name, StackRxsse)
		}
		for _, st := range stacks {
			rs := r.results(sc.Name, st)
			ok := len(rs) > 0
			var failed, dropped, gaps int64
			for _, res := range rs {
				failed += int64(res.Failed)
				dropped += int64(res.Dropped)
				gaps += res.Gaps
				ok = ok && res.OK && res.Failed == 0 && res.Dropped == 0 && res.Gaps == 0
			}
			c := verdict(ok, len(rs) > 0)
			if len(rs) > 0 && !ok {
				c += fmt.Sprintf(": %d failed, %d dropped, %d gaps over %d run(s)", failed, dropped, gaps, len(rs))
			}
			clean = append(clean, c)
			lat = append(lat, latency(sc.Name, st))
			x := "–"
			if v, ok := r.ratio(sc.Name, st, StackRxsse, p99); ok {
				x = strconv.FormatFloat(v, 'f', 2, 64) + "×"
			}
			ratio = append(ratio, x)
			rate = append(rate, cell(r.median(sc.Name, st, ticks), fmtRate))
		}
		for _, row := range [][]string{clean, lat, ratio, rate} {
			b.WriteString("| " + strings.Join(row, " | ") + " |\n")
		}
	}
	return b.String()
}

// SVG renders the chart: firehose events/s and fan-out p99 latency (with
// the p50 and the ticks delivered per second in the label) per stack, as
// horizontal bars labelled with their values.
func (r *Report) SVG() []byte {
	type bar struct {
		stack string
		value float64
		text  string
	}
	type group struct {
		label string
		bars  []bar
	}
	eps := completed(func(r Result) float64 { return r.EventsPerSec })
	p50 := completed(func(r Result) float64 { return r.LatencyP50 })
	p99 := completed(func(r Result) float64 { return r.LatencyP99 })
	ticks := completed(func(r Result) float64 { return r.TicksPerSec })
	cols := r.columns()
	collect := func(pred func(Scenario) bool, get func(Result) (float64, bool), text func(scenario, stack string, v float64) string) []group {
		var gs []group
		for _, sc := range r.Scenarios {
			if !pred(sc) {
				continue
			}
			g := group{label: sc.Title}
			for _, st := range cols {
				if !slices.Contains(sc.Stacks, st) {
					continue
				}
				s := r.median(sc.Name, st, get)
				if s.n == 0 {
					g.bars = append(g.bars, bar{st, 0, "no result"})
					continue
				}
				g.bars = append(g.bars, bar{st, s.med, text(sc.Name, st, s.med)})
			}
			gs = append(gs, g)
		}
		return gs
	}
	fanoutText := func(scenario, stack string, v float64) string {
		t := fmtMs(v) + " ms"
		if s := r.median(scenario, stack, p50); s.n > 0 {
			t += " (p50 " + fmtMs(s.med) + ")"
		}
		if s := r.median(scenario, stack, ticks); s.n > 0 {
			t += ", " + fmtRate(s.med) + "/s"
		}
		return t
	}
	panels := []struct {
		title  string
		groups []group
		textW  int // room for the bars' labels
	}{
		{"firehose: events/s (higher is better)", collect(func(s Scenario) bool { return s.Mode == "firehose" }, eps,
			func(_, _ string, v float64) string { return fmtRate(v) }), 90},
		{"fan-out: latency p99 (p50), ms, lower is better; ticks delivered/s", collect(func(s Scenario) bool { return s.Mode == "fanout" }, p99, fanoutText), 170},
	}

	const (
		width, panelW, labelW, barH, gap, top = 960, 460, 120, 18, 4, 56
	)
	maxRows := 0
	for _, p := range panels {
		rows := 0
		for _, g := range p.groups {
			rows += len(g.bars) + 1
		}
		maxRows = max(maxRows, rows)
	}
	height := top + maxRows*(barH+gap) + 40
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/>`+"\n", width, height)
	// The legend.
	lx := 10
	for _, st := range cols {
		fmt.Fprintf(&b, `<rect x="%d" y="8" width="12" height="12" fill="%s"/><text x="%d" y="18">%s</text>`+"\n", lx, stackColor[st], lx+16, html.EscapeString(stackTitle[st]))
		lx += 16 + 8*len([]rune(stackTitle[st])) + 20
	}
	for pi, p := range panels {
		x0 := 10 + pi*(panelW+20)
		fmt.Fprintf(&b, `<text x="%d" y="44" font-weight="bold">%s</text>`+"\n", x0, html.EscapeString(p.title))
		y := top
		barMax := float64(panelW - labelW - p.textW)
		for _, g := range p.groups {
			// Each workload has its own scale: the bars compare the stacks.
			vmax := 0.0
			for _, br := range g.bars {
				vmax = math.Max(vmax, br.value)
			}
			if vmax == 0 {
				vmax = 1
			}
			fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#333">%s</text>`+"\n", x0, y+barH-4, html.EscapeString(g.label))
			y += barH + gap
			for _, br := range g.bars {
				w := br.value / vmax * barMax
				if br.value > 0 {
					w = math.Max(w, 1)
				}
				fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#555">%s</text>`, x0+10, y+barH-5, html.EscapeString(stackTitle[br.stack]))
				fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`, x0+labelW, y, w, barH, stackColor[br.stack])
				fmt.Fprintf(&b, `<text x="%.1f" y="%d">%s</text>`+"\n", float64(x0+labelW)+w+4, y+barH-5, html.EscapeString(br.text))
				y += barH + gap
			}
		}
	}
	date := r.Machine.Date
	for _, m := range r.Merged {
		date += ", " + m.Date + " (" + m.Command + ")"
	}
	fmt.Fprintf(&b, `<text x="10" y="%d" fill="#777">%s; medians; each workload on its own scale; make bench-load</text>`+"\n", height-10, html.EscapeString(date))
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// The markers around the section make bench-load rewrites in BENCHMARKS.md.
const (
	BeginMarker = "<!-- load:begin -->"
	EndMarker   = "<!-- load:end -->"
)

// ReplaceSection returns doc with the text between BeginMarker and
// EndMarker replaced by section, or with the markers and section appended
// when doc has none.
func ReplaceSection(doc, section string) (string, error) {
	block := BeginMarker + "\n" + strings.TrimRight(section, "\n") + "\n" + EndMarker
	i := strings.Index(doc, BeginMarker)
	j := strings.Index(doc, EndMarker)
	switch {
	case i < 0 && j < 0:
		return strings.TrimRight(doc, "\n") + "\n\n" + block + "\n", nil
	case i < 0 || j < i:
		return "", fmt.Errorf("loadtest: %s and %s are not in order", BeginMarker, EndMarker)
	}
	return doc[:i] + block + doc[j+len(EndMarker):], nil
}
