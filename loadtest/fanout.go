package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// FanoutConfig configures a fan-out run.
type FanoutConfig struct {
	Addr    string        // host:port of the server, 127.0.0.1
	Addrs   []string      // several servers (instances of one app): client i goes to Addrs[i % len]; Addr if empty
	Stack   string        // a label copied into the result
	Clients int           // concurrent clients
	Ramp    time.Duration // the connects are spread evenly over Ramp
	Settle  time.Duration // wait between the ramp's end and the window (default 1 s)
	Window  time.Duration // the measured window (default 10 s)
	PID     int           // the server's pid, for RSS and CPU; 0 to skip
}

// DefaultFanoutWindow is the window loadgen measures a fan-out over: long
// enough for memory that grows while the streams run to show.
const DefaultFanoutWindow = 20 * time.Second

// Fanout connects cfg.Clients clients to GET /fanout over cfg.Ramp (spread
// round-robin over cfg.Addrs if set: instances of one app), then
// measures for cfg.Window: the delivery latency of every tick (the client's
// clock minus the send time in microseconds the tick carries as "t"), the
// sequence numbers ("seq") each client skipped, the streams that ended early,
// the server's RSS per connection right after the ramp and at the window's
// end, its heap and goroutine stacks per connection at the window's end (from
// GET /debug/runtime, package runtimestats, when the server has it) and its
// CPU, in all and per delivered event. The window starts when the
// ramp and cfg.Settle are over and every dial has ended (connected or
// failed; opening a stream gives up after 10 s); the run ends by itself at
// the window's end, at most Ramp + Settle + 10 s + Window after its start.
func Fanout(ctx context.Context, cfg FanoutConfig) Result {
	res := Result{Mode: "fanout", Stack: cfg.Stack, Clients: cfg.Clients}
	if cfg.Settle <= 0 {
		cfg.Settle = time.Second
	}
	if cfg.Window <= 0 {
		cfg.Window = 10 * time.Second
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	addrs := cfg.Addrs
	if len(addrs) == 0 {
		addrs = []string{cfg.Addr}
	}

	rss0 := procRSS(cfg.PID)
	res.ServerRSSBeforeK = kb(rss0)
	rt0, rtOK := runtimeStats(ctx, addrs[0])
	start := time.Now()
	// No connection outlives the ramp, the settling, the slowest dial, the
	// window and some slack, whatever the server does.
	hardEnd := start.Add(cfg.Ramp + cfg.Settle + openTimeout + cfg.Window + 5*time.Second)

	// The clients end when the window does: cctx is cancelled then.
	cctx, ccancel := context.WithCancel(ctx)
	defer ccancel()
	var (
		open, failed, dropped    atomic.Int64
		gaps, reordered, invalid atomic.Int64
		ws, we                   atomic.Int64 // the window, in Unix microseconds, once it starts
		mu                       sync.Mutex
		latencies                []int64 // microseconds, all clients
		perClient                []int64 // events in the window, per client
		firstInvalid, firstDrop  string
		firstFail                string
		dialed, wg               sync.WaitGroup
	)
	ws.Store(math.MaxInt64)
	we.Store(math.MaxInt64)
	client := func(addr string) {
		defer wg.Done()
		s, err := dial(cctx, addr, "/fanout", 4096, hardEnd)
		dialed.Done()
		if err != nil {
			if failed.Add(1) == 1 {
				mu.Lock()
				firstFail = err.Error()
				mu.Unlock()
			}
			return
		}
		defer s.close()
		stop := context.AfterFunc(cctx, s.close)
		defer stop()
		open.Add(1)
		defer open.Add(-1)
		var (
			lat        []int64
			last       uint64
			count      int64
			myGaps     int64
			myReorders int64
		)
		for {
			_, data, err := s.next()
			now := time.Now().UnixMicro()
			if err != nil {
				if cctx.Err() == nil && now < we.Load() {
					if dropped.Add(1) == 1 {
						mu.Lock()
						firstDrop = err.Error()
						mu.Unlock()
					}
				}
				break
			}
			t, seq, ok := parseTick(data)
			if !ok {
				if invalid.Add(1) == 1 {
					mu.Lock()
					firstInvalid = fmt.Sprintf("tick data %q", data)
					mu.Unlock()
				}
				continue
			}
			if now >= ws.Load() && now < we.Load() {
				lat = append(lat, now-int64(t))
				count++
				if last != 0 && seq > last+1 {
					myGaps += int64(seq - last - 1)
				}
			}
			if last != 0 && seq <= last {
				myReorders++
			}
			if seq > last {
				last = seq
			}
		}
		gaps.Add(myGaps)
		reordered.Add(myReorders)
		mu.Lock()
		latencies = append(latencies, lat...)
		perClient = append(perClient, count)
		mu.Unlock()
	}

	// The ramp: start each client at its time, in batches every few
	// milliseconds.
	for i := 0; i < cfg.Clients; i++ {
		at := start.Add(time.Duration(int64(cfg.Ramp) * int64(i) / int64(cfg.Clients)))
		if d := time.Until(at); d > 2*time.Millisecond {
			if !sleepCtx(ctx, d) {
				break
			}
		}
		wg.Add(1)
		dialed.Add(1)
		go client(addrs[i%len(addrs)])
	}

	// The window starts once the ramp and the settling are over and every
	// dial has ended, connected or failed.
	sleepCtx(ctx, time.Until(start.Add(cfg.Ramp+cfg.Settle)))
	allDialed := make(chan struct{})
	go func() { dialed.Wait(); close(allDialed) }()
	select {
	case <-allDialed:
	case <-ctx.Done():
	}
	windowStart := time.Now()
	windowEnd := windowStart.Add(cfg.Window)
	we.Store(windowEnd.UnixMicro())
	ws.Store(windowStart.UnixMicro())
	res.Connected = int(open.Load())
	cpu0 := procCPU(cfg.PID)
	rssRamp := procRSS(cfg.PID)
	sleepCtx(ctx, time.Until(windowEnd.Add(-300*time.Millisecond)))
	rt1, rt1OK := runtimeStats(ctx, addrs[0])
	rss1 := procRSS(cfg.PID)
	cpu1 := procCPU(cfg.PID)
	cpuWindow := time.Since(windowStart)
	sleepCtx(ctx, time.Until(windowEnd))
	ccancel()
	wg.Wait()
	<-allDialed

	res.Seconds = round(cfg.Window.Seconds(), 3)
	res.Failed = int(failed.Load())
	res.Dropped = int(dropped.Load())
	res.FirstDrop = firstDrop
	res.FirstFail = firstFail
	res.Gaps = gaps.Load()
	res.Reordered = reordered.Load()
	res.ServerRSSAfterK = kb(rss1)
	res.ServerCPUCores = cpuCores(cpu0, cpu1, cpuWindow)
	if n := float64(res.Connected); n > 0 {
		perConn := func(before, after int64) float64 { return round(float64(after-before)/1024/n, 1) }
		if rss0 >= 0 && rss1 >= 0 {
			res.RSSPerConnKB = perConn(rss0, rss1)
		}
		if rss0 >= 0 && rssRamp >= 0 {
			res.RSSPerConnRampKB = perConn(rss0, rssRamp)
		}
		if rtOK && rt1OK {
			res.HeapPerConnKB = perConn(rt0.HeapObjects, rt1.HeapObjects)
			res.StacksPerConnKB = perConn(rt0.Stacks, rt1.Stacks)
			res.HeapGoalKB = rt1.HeapGoal >> 10
			res.GoroutinesAtEnd = int(rt1.Goroutines)
		}
	}
	// The events delivered while the CPU was measured, estimated from the
	// whole window's at its rate.
	if events := float64(len(latencies)) * cpuWindow.Seconds() / cfg.Window.Seconds(); cpu0 >= 0 && cpu1 >= 0 && events > 0 {
		res.CPUPerEventMicros = round(float64(cpu1-cpu0)/float64(time.Microsecond)/events, 3)
	}
	if len(perClient) > 0 {
		res.MinClientEvents = slices.Min(perClient)
		res.EventsPerClient = round(float64(len(latencies))/float64(len(perClient)), 2)
	}
	res.TicksPerSec = round(float64(len(latencies))/cfg.Window.Seconds(), 0)
	if len(latencies) > 0 {
		slices.Sort(latencies)
		res.LatencyP50 = pctMillis(latencies, 0.50)
		res.LatencyP90 = pctMillis(latencies, 0.90)
		res.LatencyP99 = pctMillis(latencies, 0.99)
		res.LatencyMax = round(float64(latencies[len(latencies)-1])/1e3, 3)
	}
	switch {
	case ctx.Err() != nil:
		res.Error = "cancelled"
	case res.Connected == 0:
		res.Error = "no client connected"
	case invalid.Load() > 0:
		res.Error = fmt.Sprintf("%d invalid events, the first: %s", invalid.Load(), firstInvalid)
	default:
		res.OK = true
	}
	return res
}

// tickPrefix and tickMiddle frame the data of a fan-out tick,
// {"t":<microseconds>,"seq":<n>}.
var (
	tickPrefix = []byte(`{"t":`)
	tickMiddle = []byte(`,"seq":`)
)

// parseTick reads the send time and the sequence number of a tick: the
// exact bytes cheaply, any other JSON spelling through encoding/json.
func parseTick(data []byte) (t, seq uint64, ok bool) {
	if rest, ok := bytes.CutPrefix(data, tickPrefix); ok {
		if ts, sq, ok := bytes.Cut(rest, tickMiddle); ok && len(sq) > 1 && sq[len(sq)-1] == '}' {
			t, ok1 := parseUint(ts)
			seq, ok2 := parseUint(sq[:len(sq)-1])
			if ok1 && ok2 && seq > 0 {
				return t, seq, true
			}
		}
	}
	var v struct {
		T   *uint64 `json:"t"`
		Seq *uint64 `json:"seq"`
	}
	if json.Unmarshal(data, &v) != nil || v.T == nil || v.Seq == nil || *v.Seq == 0 {
		return 0, 0, false
	}
	return *v.T, *v.Seq, true
}

// pctMillis returns the p-quantile (nearest rank) of sorted microsecond
// values, in milliseconds.
func pctMillis(sorted []int64, p float64) float64 {
	i := int(p*float64(len(sorted))+0.5) - 1
	i = max(0, min(i, len(sorted)-1))
	return round(float64(sorted[i])/1e3, 3)
}

// kb converts bytes to kilobytes, keeping -1 (unknown) as it is.
func kb(b int64) int64 {
	if b < 0 {
		return -1
	}
	return b >> 10
}

// sleepCtx sleeps for d or until ctx is done, and reports whether it slept
// the whole time.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
