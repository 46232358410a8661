// Package e2e lets Go tests drive SSE clients that nobody in this project wrote: headless
// Chromium's own EventSource and the npm eventsource package. Use it to check that what our
// server sends is what real clients see, and that they reconnect, resume and give up the way
// the WHATWG standard says.
//
// # Using it
//
// Start a server (httptest, an example's handler, a chi router), then ask a client to watch a
// stream. The call returns when the client has seen enough or its timeout passed:
//
//	srv := httptest.NewServer(handler)
//	defer srv.Close()
//	res := e2e.Browser(t, srv.URL+"/events", e2e.Options{Types: []string{"tick"}, Count: 3})
//	for _, m := range res.Messages() {
//		t.Log(m.Type, m.Data, m.LastEventID)
//	}
//
// [Browser] and [NodeEventSource] take the same [Options] and return the same [Result], a log
// of every open, message and error the client dispatched, in order. Compare [Result.Spec] with
// a want list, or between clients. [BrowserPage] loads a real page (an example's index.html)
// and waits until a CSS selector matches enough elements. The Start variants
// ([StartBrowser], [StartNodeEventSource], [StartBrowserPage]) return at once, so the test can
// publish events while the client watches, then call [Run.Wait].
//
// Every call is bounded: the client stops after Options.Timeout (a result, with
// Result.TimedOut set), and the harness kills the script 45 s after that if it is wedged. Each
// call starts its own node process, and each browser call its own Chromium (1-2 s on an idle
// machine, more under load), so prefer one stream carrying many cases over many calls. Call
// the helpers from the test goroutine: they skip and fail t. Parallel tests may each run one.
//
// [Redocly] runs a third party's OpenAPI linter, npm @redocly/cli, on a document and returns its
// problems, for the tests of the documents the openapi module builds.
//
// # What it needs, and when it skips
//
// The clients are node scripts in the repository's e2e/ directory (see e2e/README.md), run
// with the node on $PATH (20 or newer) and the npm packages pinned in e2e/package-lock.json,
// installed in e2e/node_modules. The browser is the system Chromium: $CHROMIUM, else chromium
// on $PATH, else /usr/bin/chromium; playwright-core drives it and never downloads a browser.
//
// `make e2e-deps` installs all of it: Debian's chromium package when there is no chromium,
// and `npm ci` in e2e/ when e2e/node_modules is missing. `make test` runs it first and then
// the tests with RXSSE_E2E=1, which makes [Required] true. Then a missing tool fails the test,
// with a message naming what is missing. Without RXSSE_E2E=1 (a plain `go test ./...`, `make
// unit`) such a test is skipped instead, and every e2e test skips in -short mode. The harness
// does not install anything itself: test binaries of several packages run at once, and two
// `npm ci` in one directory would corrupt it.
//
// # Behaviours worth knowing
//
//   - A frame named "error" or "open" reaches the client's onerror/onopen as a MessageEvent.
//     The harness records such frames as KindMessage entries with that type, and only real
//     connection events as KindOpen/KindError.
//   - A stream that ends makes both clients fire error with readyState CONNECTING (0), wait
//     the retry hint (3 s by default in both; about 50-120 ms for `retry: 50`), reconnect
//     with Last-Event-ID set to the last id seen, and fire open again.
//   - A 204, any other non-200 status, or a Content-Type other than text/event-stream makes
//     both fire one error with readyState CLOSED (2) and never reconnect.
//   - The npm client (v4) gives a message event without an id field an empty lastEventId,
//     where browsers (and the standard) give the last id seen: compare LastEventID across
//     clients only on events that carry an id.
//   - Options.Headers reach the browser through the DevTools protocol, for every request of
//     the page; a real page cannot set EventSource headers (cookies are how browsers
//     authenticate a stream).
//
// # Adding a client script
//
// A script lives in e2e/, takes flags (--timeout=MS always) and prints one JSON object as the
// last line of stdout, diagnostics on stderr, exits 0 when it printed a result and non-zero
// on a harness failure, and stops by itself (lib/cli.mjs has the watchdog and signal
// handling). On the Go side, a function calls need and start with the result type; Run does
// the rest.
package e2e
