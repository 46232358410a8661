package e2e

import (
	"testing"
	"time"
)

// ChatMessage is one message a chat page shows: an <li> of #messages.
type ChatMessage struct {
	// ID is the event id the message came with.
	ID string `json:"id"`
	// Text is what the page shows, "name: text".
	Text string `json:"text"`
}

// ChatResult is what ChatPages saw on the two pages.
type ChatResult struct {
	// A and B are the messages each page showed when the script stopped.
	A []ChatMessage `json:"a"`
	B []ChatMessage `json:"b"`
	// ConsoleErrors and PageErrors are as in PageResult, prefixed "A: " or "B: ".
	ConsoleErrors []string `json:"consoleErrors"`
	PageErrors    []string `json:"pageErrors"`
	// TimedOut says a step did not complete in time; Step names it ("done" when all did).
	TimedOut bool   `json:"timedOut"`
	Step     string `json:"step"`
}

// ChatPages drives two pages of examples/chat in one headless Chromium (e2e/chat-pages.mjs):
// A and B join the room their URLs name and each sends a message the other must show; then
// the script POSTs killURL, where the server cuts A's stream and publishes messages while A
// is away, answering {"published": N}; both pages must then show the same messages; finally B
// sends one more. Like BrowserPage it skips or fails t when the tools are missing and fails t
// when the harness fails; a step that times out is a result.
func ChatPages(t testing.TB, pageA, pageB, killURL string, timeout time.Duration) ChatResult {
	t.Helper()
	tl := need(t, true, "playwright-core")
	return start[ChatResult](t, tl, "chat-pages.mjs", timeoutOr(timeout), "--kill="+killURL, "--", pageA, pageB).Wait()
}
