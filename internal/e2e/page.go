package e2e

import (
	"fmt"
	"testing"
	"time"
)

// PageResult is what BrowserPage found on the page.
type PageResult struct {
	// Texts are the textContent of every element matching the selector when the wait ended,
	// in document order: at least n of them unless TimedOut.
	Texts []string `json:"texts"`
	// ConsoleErrors are console.error messages and failed loads the page reported, except
	// the /favicon.ico request Chromium makes on its own. A failed load ends with its URL.
	ConsoleErrors []string `json:"consoleErrors"`
	// PageErrors are the page's uncaught exceptions.
	PageErrors []string `json:"pageErrors"`
	// TimedOut says fewer than n elements matched when the timeout passed.
	TimedOut bool `json:"timedOut"`
}

// BrowserPage loads pageURL in headless Chromium and waits, at most timeout (0 means
// DefaultTimeout), until selector (CSS) matches at least n elements, e.g. the list items an
// example page appends as its EventSource delivers. Like Browser, it skips or fails t when
// the tools are missing and fails t when the harness fails; a timeout is a result.
func BrowserPage(t testing.TB, pageURL, selector string, n int, timeout time.Duration) PageResult {
	t.Helper()
	return StartBrowserPage(t, pageURL, selector, n, timeout).Wait()
}

// StartBrowserPage is BrowserPage without the wait, like StartBrowser: start the page, make
// the server publish, then Wait for the elements.
func StartBrowserPage(t testing.TB, pageURL, selector string, n int, timeout time.Duration) *Run[PageResult] {
	t.Helper()
	tl := need(t, true, "playwright-core")
	return start[PageResult](t, tl, "browser-page.mjs", timeoutOr(timeout),
		"--selector="+selector, fmt.Sprintf("--count=%d", n), "--", pageURL)
}
