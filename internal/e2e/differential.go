package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Job is one stream of a batch that BrowserBatch watches.
type Job struct {
	// URL is the stream. Every job of a batch must be on the same origin.
	URL string
	// Options say what is recorded and when the watch of this stream stops. Only Types,
	// Count, MaxErrors and Timeout apply: a batch has no headers and no page of its own.
	Options Options
}

// BatchParallel is how many streams BrowserBatch watches at once. Chromium opens at most six
// HTTP/1.1 connections per origin and each watched EventSource holds one.
const BatchParallel = 4

// BrowserBatch watches every job's stream with headless Chromium's own EventSource, all in
// one browser and one page, BatchParallel at a time, and returns one Result per job in the
// order of jobs. It is Browser for differential tests with many streams: it pays for one
// browser launch instead of one per stream. Like Browser, it skips or fails t when the tools
// are missing and fails t when the harness fails.
func BrowserBatch(t testing.TB, jobs []Job) []Result {
	t.Helper()
	return StartBrowserBatch(t, jobs).Wait()
}

// StartBrowserBatch is BrowserBatch without the wait: the browser watches while the test does
// something else (runs another client against the same streams). Call it and Wait from the
// test's goroutine.
func StartBrowserBatch(t testing.TB, jobs []Job) *Run[[]Result] {
	t.Helper()
	if len(jobs) == 0 {
		t.Fatal("e2e: BrowserBatch needs at least one job")
	}
	tl := need(t, true, "playwright-core")
	type job struct {
		URL       string   `json:"url"`
		Types     []string `json:"types"`
		Count     int      `json:"count"`
		MaxErrors int      `json:"maxErrors"`
		Timeout   int64    `json:"timeout"`
	}
	list := make([]job, len(jobs))
	var total, longest time.Duration
	for i, j := range jobs {
		o := j.Options
		if len(o.Headers) > 0 || o.PageURL != "" || o.WithCredentials {
			t.Fatalf("e2e: job %d: BrowserBatch supports only Types, Count, MaxErrors and Timeout", i)
		}
		timeout := timeoutOr(o.Timeout)
		total += timeout
		longest = max(longest, timeout)
		list[i] = job{URL: j.URL, Types: o.Types, Count: o.Count, MaxErrors: o.MaxErrors, Timeout: max(timeout.Milliseconds(), 1)}
	}
	b, err := json.Marshal(list)
	if err != nil {
		t.Fatalf("e2e: encode jobs: %v", err)
	}
	file := filepath.Join(t.TempDir(), "jobs.json")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatalf("e2e: write jobs: %v", err)
	}
	// The budget the script's watchdog works from: the batch can take no longer than its
	// jobs' timeouts shared out among the parallel watchers, plus the longest one.
	budget := total/BatchParallel + longest
	return start[[]Result](t, tl, "browser-eventsource-batch.mjs", budget,
		fmt.Sprintf("--parallel=%d", BatchParallel), "--", file)
}
