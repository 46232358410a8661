package loadtest

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

// sampleReport is a report over two rounds with the shape of
// numbers: rxsse misses the firehose target and meets the churn one.
func sampleReport() Report {
	fire := func(eps float64) Result {
		return Result{Mode: "firehose", OK: true, Events: 200000, EventsPerSec: eps, MBPerSec: eps / 20000, TTFEMillis: 1}
	}
	fan := func(p99, rss float64) Result {
		return Result{Mode: "fanout", OK: true, Clients: 1000, Connected: 1000, LatencyP50: p99 / 2, LatencyP99: p99, TicksPerSec: 10000, RSSPerConnKB: rss, MinClientEvents: 200}
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
	md := rep.Markdown("internal/loadtest/results/load.svg")
	for _, want := range []string{
		"| firehose: 200,000 events to 1 client | events/s | 70k (69k–71k) | 563k (560k–566k) | 51k ⚠ 1 of 2 runs failed: the server exited during the run |",
		"| firehose events/s: rxsse ≥ 0.85× bare net/http | 0.12× | **not met** |",
		"| firehose events/s: rxsse ≥ 8× NestJS | 1.37× | **not met** |",
		"p99 rxsse ≤ 1.2× bare net/http | 1.68× | **not met** |",
		"| churn connects/s: rxsse ≥ 0.9× bare net/http | 0.99× | met |",
		"| churn: rxsse's goroutines back to the baseline afterwards | 1 of 1 runs | met |",
		"![events/s and p99 latency per stack](internal/loadtest/results/load.svg)",
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
