package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Required reports whether the end-to-end tests must run: RXSSE_E2E=1, as `make test` sets.
// When it is false, a test whose tools are missing is skipped; when it is true, it fails.
func Required() bool { return os.Getenv("RXSSE_E2E") == "1" }

// DefaultTimeout is how long a client watches when its options give no timeout.
const DefaultTimeout = 10 * time.Second

// launchGrace is the time a script may take beyond its own timeout (node start-up, Chromium
// launch and shutdown) before the harness kills it. The scripts' watchdog fires at +30 s, so
// this only matters when a script is wedged.
const launchGrace = 45 * time.Second

// stopDelay is how long a script gets to close its browser after SIGTERM before it is killed.
const stopDelay = 15 * time.Second

// tools is what a run needs, found once per process.
type tools struct {
	node     string // path of the node binary
	dir      string // the e2e/ directory holding the scripts and node_modules
	chromium string // path of the browser binary, "" when missing
	missing  []string
}

var (
	toolsOnce sync.Once
	found     tools
)

func lookTools() tools {
	toolsOnce.Do(func() {
		var err error
		if found.node, err = exec.LookPath("node"); err != nil {
			found.missing = append(found.missing, "node (Node.js 20+)")
		}
		if found.dir, err = scriptDir(); err != nil {
			found.missing = append(found.missing, err.Error())
		}
		found.chromium = chromiumPath()
	})
	return found
}

// scriptDir finds the repository's e2e/ directory: $RXSSE_E2E_DIR if set, else next to this
// source file (tests run from a checkout), else by walking up from the working directory (a test
// binary runs in its package directory) to the directory holding e2e/package.json.
func scriptDir() (string, error) {
	if d := os.Getenv("RXSSE_E2E_DIR"); d != "" {
		return checkDir(d)
	}
	if _, file, _, ok := runtime.Caller(0); ok {
		if d, err := checkDir(filepath.Join(filepath.Dir(file), "..", "..", "e2e")); err == nil {
			return d, nil
		}
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("e2e/ directory: %w", err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if dir, err := checkDir(filepath.Join(d, "e2e")); err == nil {
			return dir, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("e2e/package.json not found above %s (set RXSSE_E2E_DIR)", wd)
		}
	}
}

func checkDir(d string) (string, error) {
	d = filepath.Clean(d)
	if _, err := os.Stat(filepath.Join(d, "package.json")); err != nil {
		return "", fmt.Errorf("e2e/ directory: %w", err)
	}
	return d, nil
}

// chromiumPath is $CHROMIUM, else chromium on $PATH, else Debian's /usr/bin/chromium; "" when
// none is an executable file.
func chromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return executable(p)
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	return executable("/usr/bin/chromium")
}

func executable(p string) string {
	if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
		return p
	}
	return ""
}

// need skips or fails t (see Required) unless node, the e2e scripts, the npm packages they
// import and, with browser, Chromium are all present. It returns what it found.
func need(t testing.TB, browser bool, packages ...string) tools {
	t.Helper()
	tl := lookTools()
	missing := append([]string(nil), tl.missing...)
	if tl.dir != "" {
		for _, p := range packages {
			if _, err := os.Stat(filepath.Join(tl.dir, "node_modules", p, "package.json")); err != nil {
				missing = append(missing, "npm package "+p+" (in e2e/node_modules)")
			}
		}
	}
	if browser && tl.chromium == "" {
		if c := os.Getenv("CHROMIUM"); c != "" {
			missing = append(missing, "chromium ($CHROMIUM="+c+" is not an executable file)")
		} else {
			missing = append(missing, "chromium (not on $PATH, no /usr/bin/chromium; or set $CHROMIUM)")
		}
	}
	switch {
	case len(missing) > 0 && Required():
		t.Fatalf("e2e: RXSSE_E2E=1 but missing: %s; run `make e2e-deps`", strings.Join(missing, ", "))
	case len(missing) > 0:
		t.Skipf("e2e: skipped, missing: %s; run `make e2e-deps` (RXSSE_E2E=1 turns this skip into a failure)", strings.Join(missing, ", "))
	case testing.Short() && !Required():
		t.Skip("e2e: skipped in -short mode")
	}
	return tl
}

// Run is a script started by one of the Start functions. Its Wait returns the result.
// A Run that is never waited for is stopped when the test ends.
type Run[T any] struct {
	t       testing.TB
	script  string
	cmd     *exec.Cmd
	ctx     context.Context
	cancel  context.CancelFunc
	timeout time.Duration
	started time.Time
	stdout  bytes.Buffer
	stderr  bytes.Buffer

	once   sync.Once
	result T
	err    error
}

// start runs `node script args...` in the e2e directory. The script's own --timeout is
// timeout; the process is killed if it outlives that by launchGrace.
func start[T any](t testing.TB, tl tools, script string, timeout time.Duration, args ...string) *Run[T] {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout+launchGrace)
	args = append([]string{script, fmt.Sprintf("--timeout=%d", max(timeout.Milliseconds(), 1))}, args...)
	cmd := exec.CommandContext(ctx, tl.node, args...)
	cmd.Dir = tl.dir
	cmd.Env = os.Environ()
	if tl.chromium != "" {
		cmd.Env = append(cmd.Env, "CHROMIUM="+tl.chromium)
	}
	// SIGTERM first: the script then closes its Chromium, which runs in a process group of its
	// own and would outlive a killed node process.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = stopDelay
	r := &Run[T]{t: t, script: script, cmd: cmd, ctx: ctx, cancel: cancel, timeout: timeout}
	cmd.Stdout = &r.stdout
	cmd.Stderr = &r.stderr
	r.started = time.Now()
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("e2e: start %s: %v", script, err)
	}
	t.Cleanup(func() {
		r.cancel()
		r.finish()
	})
	return r
}

// finish waits for the process and decodes its result, once.
func (r *Run[T]) finish() {
	r.once.Do(func() {
		defer r.cancel()
		err := r.cmd.Wait()
		took := time.Since(r.started).Round(time.Millisecond)
		switch {
		case err != nil && errors.Is(r.ctx.Err(), context.DeadlineExceeded):
			r.err = fmt.Errorf("%s did not finish within %v (its timeout %v + %v grace): %v", r.script, took, r.timeout, launchGrace, err)
		case err != nil:
			r.err = fmt.Errorf("%s failed after %v: %v", r.script, took, err)
		default:
			r.err = decodeLast(r.stdout.Bytes(), &r.result)
			if r.err != nil {
				r.err = fmt.Errorf("%s: %w; stdout:\n%s", r.script, r.err, r.stdout.Bytes())
			}
		}
		if r.err == nil {
			r.t.Logf("e2e: %s took %v; stderr:\n%s", r.script, took, r.stderr.Bytes())
		}
	})
}

// Wait waits for the script to finish and returns its result. It fails the test, with the
// script's stderr, when the script failed or printed no result. Call it from the test's
// goroutine; calling it again returns the same result.
func (r *Run[T]) Wait() T {
	r.t.Helper()
	r.finish()
	if r.err != nil {
		r.t.Fatalf("e2e: %v\nstderr:\n%s", r.err, r.stderr.Bytes())
	}
	return r.result
}

// decodeLast decodes the last non-empty line of out into v: the scripts print their one result
// last, and a dependency writing to stdout before it must not break the harness.
func decodeLast(out []byte, v any) error {
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	last := lines[len(lines)-1]
	if len(last) == 0 {
		return errors.New("no result on stdout")
	}
	if err := json.Unmarshal(last, v); err != nil {
		return fmt.Errorf("decode result: %w", err)
	}
	return nil
}
