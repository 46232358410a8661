package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// FirehoseConfig configures a firehose run.
type FirehoseConfig struct {
	Addr    string        // host:port of the server, 127.0.0.1
	Stack   string        // a label copied into the result
	N       int           // events to ask for
	Timeout time.Duration // bound on the whole run (default 60 s)
	PID     int           // the server's pid, for its CPU; 0 to skip
}

// Firehose reads GET /firehose?n=N to its end on one connection and checks
// every event: ids 1, 2, 3, ... and data exactly {"hello":"world","i":i} for
// i from 0 (or JSON that decodes to those two fields), and exactly N events.
func Firehose(ctx context.Context, cfg FirehoseConfig) Result {
	res := Result{Mode: "firehose", Stack: cfg.Stack}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	deadline, _ := ctx.Deadline()

	cpu0 := procCPU(cfg.PID)
	start := time.Now()
	s, err := dial(ctx, cfg.Addr, "/firehose?n="+strconv.Itoa(cfg.N), 64<<10, deadline)
	if err != nil {
		res.Error = "dial: " + err.Error()
		return res
	}
	defer s.close()
	stop := context.AfterFunc(ctx, s.close)
	defer stop()

	var bytesRead int64
	var firstErr error
	for {
		id, data, err := s.next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				firstErr = fmt.Errorf("after %d events: %w", res.Events, err)
			}
			break
		}
		if res.Events == 0 {
			res.TTFEMillis = millis(time.Since(start))
		}
		if err := checkHello(id, data, uint64(res.Events)); err != nil {
			if res.Invalid == 0 {
				firstErr = err
			}
			res.Invalid++
		}
		res.Events++
		// id: N\ndata: ...\n\n, as the servers write them.
		bytesRead += int64(len(id) + len(data) + 13)
	}
	d := time.Since(start)
	res.Seconds = round(d.Seconds(), 3)
	res.EventsPerSec = round(float64(res.Events)/d.Seconds(), 0)
	res.MBPerSec = round(float64(bytesRead)/d.Seconds()/1e6, 2)
	res.ServerCPUCores = cpuCores(cpu0, procCPU(cfg.PID), d)
	if firstErr == nil && res.Events != int64(cfg.N) {
		firstErr = fmt.Errorf("got %d events, want %d", res.Events, cfg.N)
	}
	if firstErr != nil {
		res.Error = firstErr.Error()
	}
	res.OK = firstErr == nil
	return res
}

// helloPrefix is what every firehose event's data starts with.
var helloPrefix = []byte(`{"hello":"world","i":`)

// checkHello checks the i-th (from 0) firehose event: id i+1 and data
// {"hello":"world","i":i}. The exact bytes are checked first, cheaply; other
// JSON spellings of the same object are accepted through encoding/json.
func checkHello(id, data []byte, i uint64) error {
	if n, ok := parseUint(id); !ok || n != i+1 {
		return fmt.Errorf("event %d: id %q, want %d", i, id, i+1)
	}
	if rest, ok := bytes.CutPrefix(data, helloPrefix); ok && len(rest) > 1 && rest[len(rest)-1] == '}' {
		if n, ok := parseUint(rest[:len(rest)-1]); ok && n == i {
			return nil
		}
	}
	var v struct {
		Hello *string `json:"hello"`
		I     *uint64 `json:"i"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return fmt.Errorf("event %d: data %q: %w", i, data, err)
	}
	if v.Hello == nil || *v.Hello != "world" || v.I == nil || *v.I != i {
		return fmt.Errorf("event %d: data %q, want {\"hello\":\"world\",\"i\":%d}", i, data, i)
	}
	return nil
}

// millis returns d in milliseconds with microsecond precision.
func millis(d time.Duration) float64 { return round(float64(d)/1e6, 3) }
