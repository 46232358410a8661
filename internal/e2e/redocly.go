package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// LintResult is what Redocly's linter (npm @redocly/cli, `redocly lint --format=json`) found in
// an OpenAPI document.
type LintResult struct {
	Totals struct {
		Errors   int `json:"errors"`
		Warnings int `json:"warnings"`
		Ignored  int `json:"ignored"`
	} `json:"totals"`
	Problems []LintProblem `json:"problems"`
}

// LintProblem is one problem Redocly reported.
type LintProblem struct {
	RuleID   string `json:"ruleId"`
	Severity string `json:"severity"` // "error" or "warn"
	Message  string `json:"message"`
	Location []struct {
		Pointer string `json:"pointer"`
	} `json:"location"`
}

// Redocly runs Redocly's linter on the OpenAPI document in the file spec, with args before the
// file (`--extends=minimal`, `--config=...`), and returns what it found. Like the other
// helpers, it skips or fails t when node or the npm package is missing (see Required), and
// fails t when the linter gives no result.
func Redocly(t testing.TB, spec string, args ...string) LintResult {
	t.Helper()
	tl := need(t, false, "@redocly/cli")
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	args = append(append([]string{filepath.Join(tl.dir, "node_modules", "@redocly", "cli", "bin", "cli.js"), "lint", "--format=json"}, args...), spec)
	cmd := exec.CommandContext(ctx, tl.node, args...)
	cmd.Dir = tl.dir
	// No telemetry, no update check: the tests run offline.
	cmd.Env = append(cmd.Environ(), "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run() // exits 1 when it found errors: the result says which
	var res LintResult
	if jerr := json.Unmarshal(stdout.Bytes(), &res); jerr != nil {
		t.Fatalf("redocly lint %v: %v (%v)\nstdout: %.2000s\nstderr: %.2000s", args[1:], jerr, err, stdout.String(), stderr.String())
	}
	return res
}
