package e2e

import (
	"fmt"
	"testing"
	"time"
)

// ChatMessage is one item a chat page shows: an <li> of #messages.
type ChatMessage struct {
	// ID is the event id the message came with ("" for a gap notice).
	ID string `json:"id"`
	// Text is what the page shows, "name: text".
	Text string `json:"text"`
	// Gap says the item is the page's "some messages were missed" notice.
	Gap bool `json:"gap"`
}

// ChatOptions are the options of ChatPages.
type ChatOptions struct {
	// History is the number of messages the room holds before the pages open: each page
	// must show them before it sends anything.
	History int
	// Reload, at the end, reloads page A; B then sends one more message, and A must show as
	// many items as B.
	Reload bool
	// Timeout bounds the whole run (0 means DefaultTimeout).
	Timeout time.Duration
}

// ChatResult is what ChatPages saw on the two pages.
type ChatResult struct {
	// A and B are the items each page showed when the script stopped.
	A []ChatMessage `json:"a"`
	B []ChatMessage `json:"b"`
	// ABeforeReload is what A showed just before ChatOptions.Reload reloaded it (nil
	// without Reload, or when the script stopped earlier).
	ABeforeReload []ChatMessage `json:"aBeforeReload"`
	// ConsoleErrors and PageErrors are as in PageResult, prefixed "A: " or "B: ".
	ConsoleErrors []string `json:"consoleErrors"`
	PageErrors    []string `json:"pageErrors"`
	// TimedOut says a step did not complete in time; Step names it ("done" when all did).
	TimedOut bool   `json:"timedOut"`
	Step     string `json:"step"`
}

// ChatPages drives two chat pages (examples/chat's and examples/cluster's) in one headless
// Chromium (e2e/chat-pages.mjs): A and B join the room their URLs name and must first show
// its opts.History messages; each sends a message the other must show; then the script POSTs
// killURL, where the server cuts A's stream and publishes while A is away, answering
// {"published": N}, the number of items (messages, or a gap notice) both pages must then show
// more; finally B sends one more. With opts.Reload, A is reloaded and B sends again. Like
// BrowserPage it skips or fails t when the tools are missing and fails t when the harness
// fails; a step that times out is a result.
func ChatPages(t testing.TB, pageA, pageB, killURL string, opts ChatOptions) ChatResult {
	t.Helper()
	tl := need(t, true, "playwright-core")
	args := []string{"--kill=" + killURL, fmt.Sprintf("--history=%d", opts.History)}
	if opts.Reload {
		args = append(args, "--reload")
	}
	return start[ChatResult](t, tl, "chat-pages.mjs", timeoutOr(opts.Timeout), append(args, "--", pageA, pageB)...).Wait()
}
