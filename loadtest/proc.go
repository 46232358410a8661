package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rxsse/rxsse/loadtest/runtimestats"
)

// RaiseNoFileLimit raises the soft limit on open files (RLIMIT_NOFILE) to
// the hard limit and returns the new soft limit. Holding 19,000 connections
// needs about as many descriptors, in the client and in the server.
func RaiseNoFileLimit() (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return 0, err
		}
	}
	return lim.Cur, nil
}

// clockTicks is USER_HZ, the unit of the CPU times in /proc/<pid>/stat: 100
// on every Linux architecture Go supports.
const clockTicks = 100

// procRSS returns the resident set size of process pid in bytes, or -1 if it
// cannot be read (pid 0, no such process, no /proc).
func procRSS(pid int) int64 {
	if pid <= 0 {
		return -1
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return -1
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v) // "123456 kB"
			if len(f) > 0 {
				if kb, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					return kb << 10
				}
			}
		}
	}
	return -1
}

// procCPU returns the user plus system CPU time process pid has used, or -1
// if it cannot be read.
func procCPU(pid int) time.Duration {
	if pid <= 0 {
		return -1
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return -1
	}
	// The command name may hold spaces and parentheses: fields start after
	// the last ')'. utime and stime are fields 14 and 15, so 12 and 13 after
	// it (the state is the first).
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return -1
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return time.Duration(u+s) * time.Second / clockTicks
}

// cpuCores returns the CPU used between two procCPU readings over wall time
// d, in cores (1 = one core busy all the time), or -1 if unknown.
func cpuCores(before, after, d time.Duration) float64 {
	if before < 0 || after < 0 || d <= 0 {
		return -1
	}
	return round(float64(after-before)/float64(d), 3)
}

// goroutines asks the server at addr for its goroutine count (GET
// /debug/goroutines, a plain-text number) and returns -1 if it has none.
func goroutines(ctx context.Context, addr string) int {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/debug/goroutines", nil)
	if err != nil {
		return -1
	}
	req.Close = true
	resp, err := debugClient.Do(req)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64))
	if err != nil || resp.StatusCode != http.StatusOK {
		return -1
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return -1
	}
	return n
}

// runtimeStats asks the server at addr for its runtime figures (GET
// /debug/runtime, package runtimestats) and reports whether it answered.
func runtimeStats(ctx context.Context, addr string) (runtimestats.Stats, bool) {
	var st runtimestats.Stats
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+runtimestats.Path, nil)
	if err != nil {
		return st, false
	}
	req.Close = true
	resp, err := debugClient.Do(req)
	if err != nil {
		return st, false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, 4096)).Decode(&st) != nil {
		return st, false
	}
	return st, st.HeapObjects >= 0 && st.Stacks >= 0
}

// debugClient asks for goroutine counts without keeping connections, so
// that it adds none to the count.
var debugClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// round rounds f to digits decimals.
func round(f float64, digits int) float64 {
	p, err := strconv.ParseFloat(strconv.FormatFloat(f, 'f', digits, 64), 64)
	if err != nil {
		return f
	}
	return p
}
