package e2e_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/rxsse/rxsse/internal/e2e"
)

func TestBrowserBatchWatchesEveryStreamInOrder(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	requests := map[string]int{}
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests[r.URL.Path]++
		n := requests[r.URL.Path]
		mu.Unlock()
		switch r.URL.Path {
		case "/tick":
			stream(w, "\nevent: tick\nid: 1\ndata: a\n\n", "data: b\n\n")
			holdOpen(r)
		case "/ends":
			if n > 1 {
				w.WriteHeader(http.StatusNoContent)
				return
			}
			stream(w, "retry: 10\nid: 9\ndata: once\n\n")
		case "/silent":
			stream(w, "\n")
			holdOpen(r)
		default:
			http.NotFound(w, r)
		}
	})
	// More jobs than run at once, so some wait for a free watcher.
	var jobs []e2e.Job
	for range 3 {
		jobs = append(jobs,
			e2e.Job{URL: srv.URL + "/tick", Options: e2e.Options{Types: []string{"tick"}, Count: 2}},
			e2e.Job{URL: srv.URL + "/missing"},
			e2e.Job{URL: srv.URL + "/silent", Options: e2e.Options{Timeout: 300 * time.Millisecond}},
		)
	}
	jobs = append(jobs, e2e.Job{URL: srv.URL + "/ends"})
	res := e2e.BrowserBatch(t, jobs)
	if len(res) != len(jobs) {
		t.Fatalf("got %d results for %d jobs", len(res), len(jobs))
	}
	for i := 0; i < 9; i += 3 {
		assertLog(t, res[i], []e2e.Entry{
			{Kind: e2e.KindOpen},
			{Kind: e2e.KindMessage, Type: "tick", Data: "a", LastEventID: "1"},
			{Kind: e2e.KindMessage, Type: "message", Data: "b", LastEventID: "1"},
		})
		assertLog(t, res[i+1], []e2e.Entry{{Kind: e2e.KindError, ReadyState: e2e.StateClosed}})
		assertLog(t, res[i+2], []e2e.Entry{{Kind: e2e.KindOpen}})
		if res[i].StopReason != e2e.StopCount || res[i+1].StopReason != e2e.StopClosed || !res[i+2].TimedOut {
			t.Errorf("jobs %d-%d stopped by %s, %s, %s; want count, closed, timeout", i, i+2, res[i].StopReason, res[i+1].StopReason, res[i+2].StopReason)
		}
	}
	assertLog(t, res[9], []e2e.Entry{
		{Kind: e2e.KindOpen},
		{Kind: e2e.KindMessage, Type: "message", Data: "once", LastEventID: "9"},
		{Kind: e2e.KindError, ReadyState: e2e.StateConnecting},
		{Kind: e2e.KindError, ReadyState: e2e.StateClosed},
	})
	mu.Lock()
	defer mu.Unlock()
	if requests["/tick"] != 3 || requests["/ends"] != 2 {
		t.Errorf("requests %v, want 3 to /tick and 2 to /ends", requests)
	}
}
