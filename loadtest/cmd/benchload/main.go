// Command benchload runs the load benchmark (make bench-load): every
// scenario of loadtest.Scenarios against the rxsse, bare net/http and NestJS
// servers, one fresh server process per run, the stacks' order rotating from
// round to round; then it writes the results (JSON lines), the SVG chart
// and the load section of BENCHMARKS.md.
//
// It expects the binaries loadgen, rxsse-server and nethttp-server in -bin
// and the compiled NestJS server in -nest/dist (make bench-load builds them).
// With -render results.json it only renders the section and the chart again
// from a saved run. With -only it runs only some scenarios (by name or
// group: -only nats); with -merge results.json too, it merges their runs
// into that saved run, replacing those scenarios' earlier runs, and
// renders the whole (make bench-load ONLY=nats):
//
//	benchload -only nats -merge loadtest/results/load.json
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rxsse/rxsse/loadtest"
)

func main() {
	var (
		bin      = flag.String("bin", "bin/loadtest", "directory of loadgen, rxsse-server and nethttp-server")
		nest     = flag.String("nest", "loadtest/nest", "the NestJS server's directory (with dist/ built)")
		rounds   = flag.Int("rounds", 3, "rounds of every scenario")
		quick    = flag.Bool("quick", false, "smoke sizes, one round; writes under -bin, not BENCHMARKS.md")
		doc      = flag.String("doc", "BENCHMARKS.md", "the file whose load section is rewritten")
		chart    = flag.String("chart", "loadtest/results/load.svg", "the SVG chart to write")
		results  = flag.String("results", "loadtest/results/load.json", "the machine, the scenarios and every run's result (JSON)")
		render   = flag.String("render", "", "render the section and the chart from this results file, without running")
		only     = flag.String("stacks", "", "comma-separated stacks to run (default all)")
		onlySc   = flag.String("only", "", "comma-separated scenarios to run, by name or group (nats); default all")
		merge    = flag.String("merge", "", "merge the runs into this results file (replacing its runs of the scenarios run) and render the whole; -results defaults to it")
		command  = flag.String("command", "make bench-load", "the command to reproduce, for the report")
		logDir   = flag.String("logs", "", "where the servers' output goes (default -bin/logs)")
		skipNest = flag.Bool("skip-nest", false, "leave NestJS out (no node)")
		window   = flag.Duration("window", 0, "the fan-out scenarios' measured window (default: each scenario's own, 20 s or more; 5 s with -quick)")
	)
	flag.Parse()
	resultsSet := false
	flag.Visit(func(f *flag.Flag) { resultsSet = resultsSet || f.Name == "results" })
	if *merge != "" && !resultsSet && !*quick {
		*results = *merge
	}
	if *quick {
		*rounds = 1
		*doc = filepath.Join(*bin, "BENCHMARKS-quick.md")
		*chart = filepath.Join(*bin, "load-quick.svg")
		*results = filepath.Join(*bin, "load-quick.json")
	}
	if *render != "" {
		rep, err := readReport(*render)
		if err != nil {
			fatal("%v", err)
		}
		if err := write(rep, *doc, *chart, *results); err != nil {
			fatal("%v", err)
		}
		fmt.Printf("rendered %s and %s from %s\n", *doc, *chart, *render)
		return
	}
	if *logDir == "" {
		*logDir = filepath.Join(*bin, "logs")
	}
	if _, err := loadtest.RaiseNoFileLimit(); err != nil {
		fatal("raising the open-files limit: %v", err)
	}
	var base *loadtest.Report
	if *merge != "" {
		rep, err := readReport(*merge)
		if err != nil {
			fatal("-merge: %v (run the whole benchmark first)", err)
		}
		base = &rep
	}
	scenarios := loadtest.Scenarios(*quick)
	if *window > 0 {
		scenarios = loadtest.WithWindow(scenarios, *window)
	}
	if *onlySc != "" {
		var err error
		if scenarios, err = loadtest.Select(scenarios, strings.Split(*onlySc, ",")); err != nil {
			fatal("-only: %v", err)
		}
	}
	stacks := loadtest.AllStacks
	if *only != "" {
		stacks = strings.Split(*only, ",")
	}
	if *skipNest {
		stacks = without(stacks, loadtest.StackNest)
	}
	if err := os.MkdirAll(*logDir, 0o755); err != nil {
		fatal("%v", err)
	}
	b := bench{bin: *bin, nest: *nest, logDir: *logDir}

	began := time.Now()
	var runs []loadtest.Run
	for round := 1; round <= *rounds; round++ {
		order := rotate(stacks, round-1)
		for _, sc := range scenarios {
			if sc.Once && round > 1 {
				continue
			}
			for _, st := range order {
				if !contains(sc.Stacks, st) {
					continue
				}
				res := b.run(sc, st, round)
				line, _ := json.Marshal(res)
				fmt.Printf("round %d %-12s %-8s %s\n", round, sc.Name, st, line)
				runs = append(runs, loadtest.Run{Scenario: sc.Name, Stack: st, Round: round, Result: res})
			}
		}
	}
	for i := range scenarios {
		scenarios[i].Stacks = intersect(scenarios[i].Stacks, stacks)
	}

	rep := loadtest.Report{
		Machine: loadtest.Machine{
			Date:        time.Now().UTC().Format("2006-01-02 15:04 MST"),
			Cores:       runtime.NumCPU(),
			CPUModel:    cpuModel(),
			GoVersion:   output("go", "env", "GOVERSION"),
			NodeVersion: output("node", "--version"),
			NestVersion: nestVersion(*nest),
			Rounds:      *rounds,
			Minutes:     time.Since(began).Minutes(),
			Quick:       *quick,
			Command:     *command,
		},
		Scenarios: scenarios,
		Runs:      runs,
	}
	if base != nil {
		var names []string
		for _, sc := range scenarios {
			names = append(names, sc.Name)
		}
		defer fmt.Printf("merged %d runs of %s into the runs of %s (its earlier runs of them replaced)\n", len(runs), strings.Join(names, ", "), *merge)
		rep = base.Merge(rep)
	}
	if err := write(rep, *doc, *chart, *results); err != nil {
		fatal("%v", err)
	}
	fmt.Printf("wrote %s, %s and %s in %.1f minutes\n", *doc, *chart, *results, time.Since(began).Minutes())
}

// readReport reads a results file.
func readReport(path string) (loadtest.Report, error) {
	var rep loadtest.Report
	b, err := os.ReadFile(path)
	if err != nil {
		return rep, err
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		return rep, fmt.Errorf("%s: %v", path, err)
	}
	return rep, nil
}

// write writes the results file, the chart and the section of doc.
func write(rep loadtest.Report, doc, chart, results string) error {
	for _, p := range []string{chart, results} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
	}
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(results, append(data, '\n'), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(chart, rep.SVG(), 0o644); err != nil {
		return err
	}
	old, err := os.ReadFile(doc)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	rel, err := filepath.Rel(filepath.Dir(doc), chart)
	if err != nil {
		rel = chart
	}
	out, err := loadtest.ReplaceSection(string(old), rep.Markdown(filepath.ToSlash(rel)))
	if err != nil {
		return err
	}
	return os.WriteFile(doc, []byte(out), 0o644)
}

// bench runs the servers and the generator.
type bench struct{ bin, nest, logDir string }

// run starts a fresh server for stack, runs the scenario's generator against
// it and stops the server. A failure becomes a result with OK false.
func (b bench) run(sc loadtest.Scenario, stack string, round int) loadtest.Result {
	failed := func(format string, args ...any) loadtest.Result {
		return loadtest.Result{Mode: sc.Mode, Stack: stack, Error: fmt.Sprintf(format, args...)}
	}
	instances := max(1, loadtest.NATSInstances(stack))
	port, err := freePorts(instances)
	if err != nil {
		return failed("no free port: %v", err)
	}
	addrs, err := loadtest.ConsecutiveAddrs("127.0.0.1:"+strconv.Itoa(port), instances)
	if err != nil {
		return failed("%v", err)
	}
	addr := addrs[0]
	logf, err := os.Create(filepath.Join(b.logDir, fmt.Sprintf("%s-%s-%d.log", sc.Name, stack, round)))
	if err != nil {
		return failed("%v", err)
	}
	defer logf.Close()

	var srv *exec.Cmd
	switch stack {
	case loadtest.StackRxsse, loadtest.StackNetHTTP:
		srv = exec.Command(filepath.Join(b.bin, stack+"-server"), "-addr", addr)
	case loadtest.StackRxsseNATS1, loadtest.StackRxsseNATS3:
		srv = exec.Command(filepath.Join(b.bin, "rxsse-server"), "-addr", addr, "-nats", "embedded", "-instances", strconv.Itoa(instances))
	case loadtest.StackNest:
		srv = exec.Command("node", "dist/main.js")
		srv.Dir = b.nest
		srv.Env = append(os.Environ(), "PORT="+strconv.Itoa(port), "NODE_ENV=production")
	default:
		return failed("unknown stack %q", stack)
	}
	srv.Stdout, srv.Stderr = logf, logf
	if err := srv.Start(); err != nil {
		return failed("starting the server: %v", err)
	}
	exited := make(chan struct{})
	go func() { srv.Wait(); close(exited) }()
	defer stop(srv, exited)
	for _, a := range addrs {
		if err := waitListening(a, 30*time.Second, exited); err != nil {
			return failed("server not listening on %s: %v", a, err)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(sc.Bound*float64(time.Second)))
	defer cancel()
	args := append([]string{"-mode", sc.Mode, "-addr", strings.Join(addrs, ","), "-stack", stack, "-pid", strconv.Itoa(srv.Process.Pid)}, sc.Args...)
	gen := exec.CommandContext(ctx, filepath.Join(b.bin, "loadgen"), args...)
	gen.Stderr = logf
	out, _ := gen.Output() // it exits 1 when the run failed; the line says why
	res, perr := lastResult(out)
	select {
	case <-exited:
		msg := "the server exited during the run"
		if res.Error != "" {
			msg += "; " + res.Error
		}
		res.OK, res.Error = false, msg
	default:
	}
	if perr != nil && res.Error == "" {
		if ctx.Err() != nil {
			return failed("the generator overran its %.0f s bound and was killed", sc.Bound)
		}
		return failed("no result line: %v", perr)
	}
	return res
}

// lastResult parses the last JSON line of the generator's output.
func lastResult(out []byte) (loadtest.Result, error) {
	var last []byte
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if l := bytes.TrimSpace(sc.Bytes()); len(l) > 0 && l[0] == '{' {
			last = append(last[:0], l...)
		}
	}
	var res loadtest.Result
	if last == nil {
		return res, errors.New("the generator printed no result")
	}
	return res, json.Unmarshal(last, &res)
}

// stop ends the server: SIGTERM, then SIGKILL after three seconds.
func stop(srv *exec.Cmd, exited <-chan struct{}) {
	srv.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(3 * time.Second):
		srv.Process.Kill()
		<-exited
	}
}

// waitListening waits until addr accepts connections.
func waitListening(addr string, limit time.Duration, exited <-chan struct{}) error {
	end := time.Now().Add(limit)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-exited:
			return errors.New("it exited")
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(end) {
			return err
		}
	}
}

// freePorts returns the first of n consecutive ports on 127.0.0.1 free
// right now.
func freePorts(n int) (int, error) {
	// Candidates below the kernel's ephemeral range (32768 and up by
	// default): after a fan-out of thousands of clients, ports there are
	// still held by closing connections, and n in a row are rarely free.
	var last error
	for base := 20000 + rand.IntN(1000)*10; base < 32000; base += 10 * n {
		var lns []net.Listener
		var err error
		for i := 0; i < n && err == nil; i++ {
			var l net.Listener
			if l, err = net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(base+i)); err == nil {
				lns = append(lns, l)
			}
		}
		for _, l := range lns {
			l.Close()
		}
		if err == nil {
			return base, nil
		}
		last = err
	}
	return 0, fmt.Errorf("no %d consecutive free ports: %v", n, last)
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func nestVersion(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "node_modules", "@nestjs", "core", "package.json"))
	if err != nil {
		return "unknown"
	}
	var p struct{ Version string }
	if json.Unmarshal(b, &p) != nil {
		return "unknown"
	}
	return p.Version
}

func output(name string, args ...string) string {
	b, err := exec.Command(name, args...).Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}

// rotate returns s rotated left by n.
func rotate(s []string, n int) []string {
	n %= len(s)
	return append(append([]string(nil), s[n:]...), s[:n]...)
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func without(s []string, v string) []string {
	var out []string
	for _, x := range s {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}

func intersect(a, b []string) []string {
	var out []string
	for _, x := range a {
		if contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func fatal(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "benchload: "+format+"\n", args...)
	os.Exit(1)
}
