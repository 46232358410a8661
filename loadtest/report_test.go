package loadtest

import (
	"bytes"
	"encoding/xml"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

// sampleReport is a report over two rounds with the shape of
// numbers: rxsse misses the firehose target and meets the churn one.
func sampleReport() Report {
	fire := func(eps float64) Result {
		return Result{Mode: "firehose", OK: true, Events: 200000, EventsPerSec: eps, MBPerSec: eps / 20000, TTFEMillis: 1}
	}
	fan := func(p99, rss float64) Result {
		return Result{Mode: "fanout", OK: true, Clients: 1000, Connected: 1000, LatencyP50: p99 / 2, LatencyP99: p99, TicksPerSec: 10000,
			RSSPerConnRampKB: rss * 3 / 4, RSSPerConnKB: rss, HeapPerConnKB: rss / 2, StacksPerConnKB: rss / 4, CPUPerEventMicros: p99 / 10, MinClientEvents: 200}
	}
	churn := func(cps float64, g int) Result {
		return Result{Mode: "churn", OK: true, Connects: 1000, ConnectsPerSec: cps, GoroutinesBefore: g, GoroutinesAfter: g, GoroutinesSettled: g >= 0}
	}
	runs := []Run{
		{"firehose", StackRxsse, 1, fire(69000)}, {"firehose", StackRxsse, 2, fire(71000)},
		{"firehose", StackNetHTTP, 1, fire(560000)}, {"firehose", StackNetHTTP, 2, fire(566000)},
		{"firehose", StackNest, 1, fire(51000)}, {"firehose", StackNest, 2, Result{Mode: "firehose", Error: "the server exited during the run"}},
		{"fanout-1000", StackRxsse, 1, fan(32, 54)}, {"fanout-1000", StackNetHTTP, 1, fan(19, 28.5)}, {"fanout-1000", StackNest, 1, fan(49, 65)},
		{"churn", StackRxsse, 1, churn(4900, 7)}, {"churn", StackNetHTTP, 1, churn(4968, 7)}, {"churn", StackNest, 1, churn(1202, -1)},
	}
	sc := Scenarios(false)
	return Report{
		Machine:   Machine{Date: "2026-11-30 12:00 UTC", Cores: 2, CPUModel: "AMD EPYC", GoVersion: "go1.26.0", NodeVersion: "v20.20.2", NestVersion: "12.5.1", Rounds: 2, Minutes: 20, Command: "make bench-load"},
		Scenarios: []Scenario{sc[0], sc[1], sc[3]},
		Runs:      runs,
	}
}

func TestMarkdown(t *testing.T) {
	rep := sampleReport()
	md := rep.Markdown("loadtest/results/load.svg")
	for _, want := range []string{
		"| firehose: 200,000 events to 1 client | events/s | 70k (69k–71k) | 563k (560k–566k) | 51k ⚠ 1 of 2 runs failed: the server exited during the run |",
		"| firehose events/s: rxsse ≥ 0.85× bare net/http | 0.12× | **not met** |",
		"| firehose events/s: rxsse ≥ 8× NestJS | 1.37× | **not met** |",
		"p99 rxsse ≤ 1.2× bare net/http | 1.68× | **not met** |",
		"| churn connects/s: rxsse ≥ 0.9× bare net/http | 0.99× | met |",
		"|  | RSS per connection after the ramp, KB | 40.5 | 21.4 | 48.8 |",
		"|  | RSS per connection at the window's end, KB | 54.0 | 28.5 | 65.0 |",
		"|  | heap per connection at the end (runtime), KB | 27.0 | 14.2 | 32.5 |",
		"|  | goroutine stacks per connection at the end, KB | 13.5 | 7.1 | 16.2 |",
		"|  | server CPU per delivered event, µs | 3.20 | 1.90 | 4.90 |",
		"RSS per connection at the window's end rxsse ≤ 1.15× bare net/http | 1.89× | **not met** |",
		"server CPU per delivered event rxsse ≤ 1.2× bare net/http | 1.68× | **not met** |",
		"| churn: rxsse's goroutines back to the baseline afterwards | 1 of 1 runs | met |",
		"![events/s and p99 latency per stack](loadtest/results/load.svg)",
		"- NestJS, firehose: 200,000 events to 1 client: round 2: the server exited during the run.",
		"AMD EPYC", "go1.26.0", "v20.20.2", "NestJS 12.5.1", "`make bench-load`",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the section has no %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "server goroutines before | 7 | 7 | -1") {
		t.Errorf("NestJS's unknown goroutines shown as -1:\n%s", md)
	}
}

func TestSVGIsWellFormed(t *testing.T) {
	rep := sampleReport()
	svg := rep.SVG()
	d := xml.NewDecoder(bytes.NewReader(svg))
	rects := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not XML: %v\n%s", err, svg)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "rect" {
			rects++
		}
	}
	// The background, three legend swatches, three firehose bars and three
	// fan-out bars.
	if rects != 10 {
		t.Errorf("%d rects, want 10:\n%s", rects, svg)
	}
	for _, want := range []string{"563k", "19.0 ms", "NestJS"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("the chart has no %q", want)
		}
	}
}

func TestReplaceSection(t *testing.T) {
	doc := "# Benchmarks\n\nintro\n"
	once, err := ReplaceSection(doc, "first\n")
	if err != nil {
		t.Fatal(err)
	}
	want := "# Benchmarks\n\nintro\n\n" + BeginMarker + "\nfirst\n" + EndMarker + "\n"
	if once != want {
		t.Fatalf("appended:\n%q\nwant\n%q", once, want)
	}
	twice, err := ReplaceSection(once+"\n## after\n", "second")
	if err != nil {
		t.Fatal(err)
	}
	want = "# Benchmarks\n\nintro\n\n" + BeginMarker + "\nsecond\n" + EndMarker + "\n\n## after\n"
	if twice != want {
		t.Fatalf("replaced:\n%q\nwant\n%q", twice, want)
	}
	if _, err := ReplaceSection(EndMarker+"\n"+BeginMarker, "x"); err == nil {
		t.Error("markers out of order accepted")
	}
}

// natsReport is the NATS scenario's runs alone, as benchload -only nats
// gets them.
func natsReport() Report {
	fan := func(p50, p99 float64, gaps int64) Result {
		return Result{Mode: "fanout", OK: true, Clients: 1000, Connected: 1000, LatencyP50: p50, LatencyP99: p99, TicksPerSec: 10000, RSSPerConnKB: 40, MinClientEvents: 200, Gaps: gaps}
	}
	var sc Scenario
	for _, s := range Scenarios(false) {
		if s.Group == "nats" {
			sc = s
		}
	}
	return Report{
		Machine:   Machine{Date: "2026-11-30 12:30 UTC", Cores: 2, GoVersion: "go1.26.8", Rounds: 1, Minutes: 1.5, Command: "make bench-load ONLY=nats"},
		Scenarios: []Scenario{sc},
		Runs: []Run{
			{sc.Name, StackRxsse, 1, fan(11, 27.4, 0)},
			{sc.Name, StackRxsseNATS1, 1, fan(14.5, 40, 0)},
			{sc.Name, StackRxsseNATS3, 1, fan(15.5, 54.8, 3)},
		},
	}
}

func TestScenariosNATS(t *testing.T) {
	for _, quick := range []bool{false, true} {
		sel, err := Select(Scenarios(quick), []string{"nats"})
		if err != nil || len(sel) != 1 {
			t.Fatalf("quick %v: Select nats = %v, %v", quick, sel, err)
		}
		sc := sel[0]
		if sc.Mode != "fanout" || sc.Name == "fanout-1000" || strings.Join(sc.Stacks, ",") != "rxsse,rxsse-nats1,rxsse-nats3" {
			t.Errorf("quick %v: the NATS scenario: %+v", quick, sc)
		}
	}
	if sel, err := Select(Scenarios(false), []string{"firehose", "churn"}); err != nil || len(sel) != 2 || sel[0].Name != "firehose" || sel[1].Name != "churn" {
		t.Errorf("Select by names = %v, %v", sel, err)
	}
	if _, err := Select(Scenarios(false), []string{"nats", "nope"}); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("an unknown name: %v", err)
	}
	if sel, _ := Select(Scenarios(false), nil); len(sel) != len(Scenarios(false)) {
		t.Errorf("no selection selects %d scenarios", len(sel))
	}
}

// The NATS runs merged into a full run: their scenario is appended, the
// other rows stay, the columns gain the NATS stacks next to rxsse.
func TestMergeAndRenderNATS(t *testing.T) {
	base := sampleReport()
	merged := base.Merge(natsReport())
	if len(merged.Scenarios) != 4 || merged.Scenarios[3].Group != "nats" || len(merged.Runs) != len(base.Runs)+3 {
		t.Fatalf("merged: %d scenarios, %d runs", len(merged.Scenarios), len(merged.Runs))
	}
	if merged.Machine != base.Machine || len(merged.Merged) != 1 || merged.Merged[0].Command != "make bench-load ONLY=nats" {
		t.Errorf("merged machine %+v, records %+v", merged.Machine, merged.Merged)
	}
	md := merged.Markdown("load.svg")
	for _, want := range []string{
		"| workload | measure | rxsse | rxsse (NATS ×1) | rxsse (NATS ×3) | bare net/http | NestJS |",
		"| fan-out, 1,000 clients, 20s window: in-memory hub and NATS JetStream | latency p50, ms | 11.0 | 14.5 | 15.5 | not run | not run |",
		"|  | latency p99, ms | 27.4 | 40.0 | 54.8 |  |  |",
		"|  | sequence gaps | 0 | 0 | 3 |  |  |",
		// The other scenarios did not run the NATS stacks.
		"| firehose: 200,000 events to 1 client | events/s | 70k (69k–71k) | not run | not run | 563k (560k–566k) |",
		"The rows of “fan-out, 1,000 clients, 20s window: in-memory hub and NATS JetStream” were run later and merged in: 2026-11-30 12:30 UTC, go1.26.8, 1 round(s), 1.5 minutes, `make bench-load ONLY=nats`.",
		"`make bench-load ONLY=nats`",
		"`rxsse-server -nats embedded -instances N`",
		"### NATS JetStream (issue 11)",
		"| fan-out, 1,000 clients, 20s window: in-memory hub and NATS JetStream | rxsse (NATS ×1) | rxsse (NATS ×3) |\n| --- | ---: | ---: |\n",
		"| every client gets every tick: no failed connection, no dropped stream, no sequence gap | met | **not met**: 0 failed, 0 dropped, 3 gaps over 1 run(s) |",
		"| latency p50 / p99, ms, from the tick's due time (publish, store, consume, deliver); in-memory hub: 11.0 / 27.4 | 14.5 / 40.0 | 15.5 / 54.8 |",
		"| p99 / the in-memory hub's p99 (for information) | 1.46× | 2.00× |",
		"| ticks delivered/s, all clients | 10k | 10k |",
		"- rxsse (NATS ×3), fan-out, 1,000 clients, 20s window: in-memory hub and NATS JetStream: round 1: 3 ticks skipped.",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the section has no %q:\n%s", want, md)
		}
	}
	// issue 10's targets compare with bare net/http, which the NATS
	// scenario does not run.
	if strings.Contains(md, "NATS JetStream: p99 rxsse ≤ 1.2× bare net/http") {
		t.Errorf("a target against a stack not run:\n%s", md)
	}

	svg := merged.SVG()
	if err := xml.Unmarshal(svg, new(any)); err != nil {
		t.Fatalf("not XML: %v", err)
	}
	for _, want := range []string{"rxsse (NATS ×3)", "54.8 ms (p50 15.5), 10k/s", "#08306b"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("the chart has no %q:\n%s", want, svg)
		}
	}

	// Merging again replaces the NATS runs, keeps one record of them.
	again := natsReport()
	again.Machine.Date = "2026-11-30 13:00 UTC"
	again.Runs = again.Runs[:1]
	twice := merged.Merge(again)
	if len(twice.Scenarios) != 4 || len(twice.Runs) != len(base.Runs)+1 || len(twice.Merged) != 1 || twice.Merged[0].Date != again.Machine.Date {
		t.Errorf("merged twice: %d scenarios, %d runs, records %+v", len(twice.Scenarios), len(twice.Runs), twice.Merged)
	}
	// A report without NATS stacks keeps its three columns.
	if md := base.Markdown("x.svg"); strings.Contains(md, "NATS") && !strings.Contains(md, "ONLY=nats") || strings.Contains(md, "(NATS ×1)") {
		t.Errorf("NATS columns in a report without them:\n%s", md)
	}
}

func TestConsecutiveAddrs(t *testing.T) {
	got, err := ConsecutiveAddrs("127.0.0.1:3001", 3)
	if err != nil || strings.Join(got, ",") != "127.0.0.1:3001,127.0.0.1:3002,127.0.0.1:3003" {
		t.Errorf("got %v, %v", got, err)
	}
	for _, bad := range []string{"127.0.0.1", "127.0.0.1:x", "127.0.0.1:65535", "127.0.0.1:0"} {
		if _, err := ConsecutiveAddrs(bad, 2); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestWithWindowSetsEveryFanoutWindow(t *testing.T) {
	for _, sc := range WithWindow(Scenarios(false), 30*time.Second) {
		if sc.Mode != "fanout" {
			continue
		}
		if !slices.Contains(sc.Args, "30s") || !strings.Contains(sc.Title, "30s window") {
			t.Errorf("%s: args %v, title %q", sc.Name, sc.Args, sc.Title)
		}
	}
	if orig := Scenarios(false); !slices.Contains(orig[1].Args, "20s") {
		t.Errorf("WithWindow changed the scenarios it was given: %v", orig[1].Args)
	}
}
