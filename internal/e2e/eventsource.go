package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Entry kinds, in Entry.Kind.
const (
	KindOpen    = "open"    // the connection opened (again, after a reconnect)
	KindMessage = "message" // an event was dispatched: Type, Data and LastEventID are set
	KindError   = "error"   // the connection failed or dropped: ReadyState says which
)

// EventSource ready states, as in the WHATWG HTML standard.
const (
	StateConnecting = 0 // after an error: the client will reconnect
	StateOpen       = 1
	StateClosed     = 2 // after an error: the client gave up for good
)

// Stop reasons, in Result.StopReason.
const (
	StopCount     = "count"      // Options.Count messages arrived
	StopClosed    = "closed"     // an error left the client CLOSED: it will never reconnect
	StopMaxErrors = "max-errors" // Options.MaxErrors errors happened
	StopTimeout   = "timeout"    // Options.Timeout passed first
)

// Options say what an EventSource client records and when it stops. The zero value watches
// for DefaultTimeout and records "message" events only.
type Options struct {
	// Types are the event types recorded besides "message" (addEventListener for each).
	// Frames named "open" or "error" are always recorded, as KindMessage entries.
	Types []string
	// Count stops the client after this many KindMessage entries; 0 means no limit.
	Count int
	// MaxErrors stops the client after this many KindError entries (each reconnect is one);
	// 0 means no limit. A fatal error always stops it.
	MaxErrors int
	// Timeout bounds the watch; 0 means DefaultTimeout. It does not include starting node
	// or Chromium. Reaching it is a result (Result.TimedOut), not a test failure.
	Timeout time.Duration
	// Headers are sent with every request, reconnects included. The npm client sends them
	// through its fetch option; Chromium through the DevTools protocol (page script cannot
	// set EventSource headers), which applies them to every request the page makes.
	Headers map[string]string

	// PageURL (Browser only) is the page opened before the EventSource is created. Empty
	// means a blank page on the stream's origin that the harness serves itself, so the
	// EventSource is same-origin and the server sees only the stream's requests. Set it to
	// test cross-origin streams (CORS) or a page of the server's own.
	PageURL string
	// WithCredentials (Browser only) constructs the EventSource with {withCredentials: true}.
	WithCredentials bool
}

// Entry is one thing an EventSource client dispatched, in order.
type Entry struct {
	Kind        string `json:"kind"`                  // KindOpen, KindMessage or KindError
	Type        string `json:"type,omitempty"`        // KindMessage: the event type
	Data        string `json:"data,omitempty"`        // KindMessage: the data, lines joined by "\n"
	LastEventID string `json:"lastEventId,omitempty"` // KindMessage: the event's lastEventId
	ReadyState  int    `json:"readyState,omitempty"`  // KindError: StateConnecting or StateClosed

	// Status and Message are set only by the npm client, on KindError: the HTTP status of a
	// failed connection (0 when none) and its reason.
	Status  int    `json:"status,omitempty"`
	Message string `json:"message,omitempty"`

	// At is the time since the EventSource was constructed.
	At time.Duration `json:"-"`
}

// UnmarshalJSON decodes an entry as the scripts print it, with At in milliseconds.
func (e *Entry) UnmarshalJSON(b []byte) error {
	type plain Entry // no methods: no recursion
	var w struct {
		plain
		AtMS float64 `json:"at"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*e = Entry(w.plain)
	e.At = time.Duration(w.AtMS * float64(time.Millisecond))
	return nil
}

// String formats the entry compactly, for test failure messages.
func (e Entry) String() string {
	switch e.Kind {
	case KindMessage:
		return fmt.Sprintf("message %s %q id=%q", e.Type, e.Data, e.LastEventID)
	case KindError:
		s := fmt.Sprintf("error readyState=%d", e.ReadyState)
		if e.Status != 0 {
			s += fmt.Sprintf(" status=%d", e.Status)
		}
		if e.Message != "" {
			s += fmt.Sprintf(" %q", e.Message)
		}
		return s
	}
	return e.Kind
}

// Result is what an EventSource client saw, from construction to the moment it stopped.
type Result struct {
	Log             []Entry `json:"log"`
	FinalReadyState int     `json:"finalReadyState"` // readyState when it stopped, before its close()
	TimedOut        bool    `json:"timedOut"`        // Options.Timeout passed before any other stop
	StopReason      string  `json:"stopReason"`      // StopCount, StopClosed, StopMaxErrors or StopTimeout
}

// Messages returns the KindMessage entries.
func (r Result) Messages() []Entry {
	var out []Entry
	for _, e := range r.Log {
		if e.Kind == KindMessage {
			out = append(out, e)
		}
	}
	return out
}

// Spec returns the log with only the fields every EventSource exposes: no At, Status or
// Message. Compare it with a want list, or between clients.
func (r Result) Spec() []Entry {
	out := make([]Entry, len(r.Log))
	for i, e := range r.Log {
		out[i] = Entry{Kind: e.Kind, Type: e.Type, Data: e.Data, LastEventID: e.LastEventID, ReadyState: e.ReadyState}
	}
	return out
}

// String formats the result one entry a line, for test failure messages.
func (r Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "stopped by %s, finalReadyState=%d, %d entries:", r.StopReason, r.FinalReadyState, len(r.Log))
	for _, e := range r.Log {
		fmt.Fprintf(&b, "\n  %8.1fms %v", float64(e.At)/float64(time.Millisecond), e)
	}
	return b.String()
}

// Browser watches streamURL with headless Chromium's own EventSource and returns what it saw.
// It skips or fails t when the tools are missing (see Required) and fails t when the harness
// itself fails. Each call launches a browser (about a second).
func Browser(t testing.TB, streamURL string, opts Options) Result {
	t.Helper()
	return StartBrowser(t, streamURL, opts).Wait()
}

// StartBrowser is Browser without the wait: the client runs while the test does something
// else (publishes events, watches the server). Call it and Wait from the test's goroutine.
func StartBrowser(t testing.TB, streamURL string, opts Options) *Run[Result] {
	t.Helper()
	tl := need(t, true, "playwright-core")
	args := commonArgs(opts)
	if opts.PageURL != "" {
		args = append(args, "--page="+opts.PageURL)
	}
	if opts.WithCredentials {
		args = append(args, "--with-credentials")
	}
	return start[Result](t, tl, "browser-eventsource.mjs", timeoutOr(opts.Timeout), append(args, "--", streamURL)...)
}

// NodeEventSource watches streamURL with the npm eventsource package and returns what it saw,
// like Browser.
func NodeEventSource(t testing.TB, streamURL string, opts Options) Result {
	t.Helper()
	return StartNodeEventSource(t, streamURL, opts).Wait()
}

// StartNodeEventSource is NodeEventSource without the wait, like StartBrowser.
func StartNodeEventSource(t testing.TB, streamURL string, opts Options) *Run[Result] {
	t.Helper()
	if opts.PageURL != "" || opts.WithCredentials {
		t.Fatal("e2e: Options.PageURL and Options.WithCredentials apply to Browser only")
	}
	tl := need(t, false, "eventsource")
	return start[Result](t, tl, "node-eventsource.mjs", timeoutOr(opts.Timeout), append(commonArgs(opts), "--", streamURL)...)
}

func commonArgs(opts Options) []string {
	// --flag=value throughout: a value that starts with "-" must not read as a flag.
	args := []string{fmt.Sprintf("--count=%d", opts.Count), fmt.Sprintf("--max-errors=%d", opts.MaxErrors)}
	for _, typ := range opts.Types {
		args = append(args, "--type="+typ)
	}
	if len(opts.Headers) > 0 {
		h, _ := json.Marshal(opts.Headers) // a map[string]string always marshals
		args = append(args, "--headers="+string(h))
	}
	return args
}

func timeoutOr(d time.Duration) time.Duration {
	if d <= 0 {
		return DefaultTimeout
	}
	return d
}
