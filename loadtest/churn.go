package loadtest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// ChurnConfig configures a churn run.
type ChurnConfig struct {
	Addr     string        // host:port of the server, 127.0.0.1
	Stack    string        // a label copied into the result
	Path     string        // the stream to open (default /firehose?n=1)
	Parallel int           // clients cycling at once (default 50)
	Duration time.Duration // how long they cycle (default 10 s)
	Settle   time.Duration // the longest wait for the goroutines to come back (default 5 s)
	PID      int           // the server's pid, for RSS; 0 to skip
}

// Churn runs cfg.Parallel clients that each, until cfg.Duration has passed,
// connect, read one event and hang up. It reports the completed cycles per
// second, the failed ones, and the server's goroutines (GET
// /debug/goroutines, -1 where the server has no such endpoint) and RSS
// before and after; "after" waits up to cfg.Settle for the goroutines to
// fall back to the count before.
func Churn(ctx context.Context, cfg ChurnConfig) Result {
	res := Result{Mode: "churn", Stack: cfg.Stack, Clients: cfg.Parallel}
	if cfg.Path == "" {
		cfg.Path = "/firehose?n=1"
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = 50
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 10 * time.Second
	}
	if cfg.Settle <= 0 {
		cfg.Settle = 5 * time.Second
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	res.GoroutinesBefore = goroutines(ctx, cfg.Addr)
	res.ServerRSSBeforeK = kb(procRSS(cfg.PID))

	start := time.Now()
	end := start.Add(cfg.Duration)
	var (
		connects, failed atomic.Int64
		firstErr         atomic.Value
		wg               sync.WaitGroup
	)
	for range cfg.Parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) && ctx.Err() == nil {
				if err := churnOnce(ctx, cfg.Addr, cfg.Path, end.Add(5*time.Second)); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				connects.Add(1)
			}
		}()
	}
	wg.Wait()
	d := time.Since(start)
	res.Seconds = round(d.Seconds(), 3)
	res.Connects = connects.Load()
	res.Failed = int(failed.Load())
	res.ConnectsPerSec = round(float64(res.Connects)/d.Seconds(), 0)

	// The goroutines of the closed connections take a moment to end.
	settleEnd := time.Now().Add(cfg.Settle)
	for {
		res.GoroutinesAfter = goroutines(ctx, cfg.Addr)
		res.GoroutinesSettled = res.GoroutinesBefore >= 0 && res.GoroutinesAfter >= 0 &&
			res.GoroutinesAfter <= res.GoroutinesBefore
		if res.GoroutinesSettled || res.GoroutinesBefore < 0 || !time.Now().Before(settleEnd) {
			break
		}
		if !sleepCtx(ctx, 50*time.Millisecond) {
			break
		}
	}
	res.ServerRSSAfterK = kb(procRSS(cfg.PID))
	switch {
	case ctx.Err() != nil:
		res.Error = "cancelled"
	case res.Connects == 0:
		res.Error = fmt.Sprintf("no cycle completed: %v", firstErr.Load())
	case res.Failed > 0:
		res.Error = fmt.Sprintf("%d cycles failed, the first: %v", res.Failed, firstErr.Load())
	default:
		res.OK = true
	}
	return res
}

// churnOnce connects, reads one event and hangs up.
func churnOnce(ctx context.Context, addr, path string, deadline time.Time) error {
	s, err := dial(ctx, addr, path, 4096, deadline)
	if err != nil {
		return err
	}
	defer s.close()
	if _, _, err := s.next(); err != nil {
		return fmt.Errorf("reading the first event: %w", err)
	}
	return nil
}
