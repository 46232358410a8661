// Package eventsource is a Go EventSource: a client that reads a server-sent
// event stream the way a browser does, as a cold rxgo.Observable.
//
//	events := eventsource.Observe(ctx, "https://example.com/events",
//		eventsource.WithReadTimeout(45*time.Second), // the server sends a heartbeat every 15 s
//		eventsource.WithOnError(func(err error, retryIn time.Duration) {
//			log.Printf("stream lost (%v), reconnecting in %v", err, retryIn)
//		}),
//	)
//	for item := range events.Observe() {
//		if item.E != nil {
//			return item.E // the server said stop: a 204, a 404, a wrong content type
//		}
//		ev := item.V.(encoder.Event) // ev.Type, ev.Data, ev.LastEventID
//		...
//	}
//
// ObserveRequest opens a stream from an *http.Request instead: headers of
// its own (an Authorization header), or another method and a body (a POST
// stream, as a controller's Sse("POST /path", ...) serves). The request is
// sent again, with its headers, on every reconnect, its body through
// req.GetBody:
//
//	req, _ := http.NewRequest(http.MethodPost, "https://example.com/rooms/7/events",
//		strings.NewReader(`{"since":"now"}`))
//	req.Header.Set("Content-Type", "application/json")
//	req.Header.Set("Authorization", "Bearer "+token)
//	events := eventsource.ObserveRequest(ctx, req)
//
// # What it does, like a browser
//
// Every item is an encoder.Event, what a browser's EventSource dispatches as
// a MessageEvent: the stream is parsed by encoder.Decoder, which follows the
// WHATWG rules to the letter; each connection's Decoder starts with the last
// event id and the reconnection time the stream had (encoder.WithLastEventID,
// encoder.WithReconnectionTime), as a browser's parser does. Requests send
// Accept: text/event-stream and Cache-Control: no-cache, plus the headers of
// the request given to ObserveRequest.
//
// When a response ends, or the network fails, the client reconnects after
// the reconnection time (the stream's latest retry field, at most 1 minute
// or WithBackoff's cap, else WithRetry's, 3 s by default, never less than
// 100 ms), sending the last event id in Last-Event-ID unless it is
// empty; an event with no id on the new connection still carries the last
// id. Reconnects go to the URL the redirects, if any, led to. The
// reconnection time and the last event id belong to the stream, not to one
// connection, as in a browser.
//
// The client stops for good, with an error as the observable's last item,
// where browsers do: on a status other than 200 (a *StatusError; errors.Is
// ErrNoContent for 204, the standard way for a server to say "stop"), on a
// media type other than text/event-stream or a charset other than UTF-8 (a
// *ContentTypeError), and on a last event id that cannot be sent back in a
// header (a *LastEventIDError).
//
// # What it does beyond a browser
//
//   - A floor and backoff. A browser reconnects after the reconnection time
//     however often the server fails, and Chromium reconnects thousands of
//     times a second to a server that sends "retry: 0" and ends at once.
//     This client never waits less than 100 ms (Firefox clamps to 500 ms),
//     so it makes at most 10 requests a second. It waits the reconnection
//     time after a connection that delivered events and after a first
//     attempt that delivered none, then doubles the wait with each further
//     attempt in a row that fails or ends without an event, with jitter, up
//     to WithBackoff's cap (30 s by default). An event resets it: that is what
//     "healthy" means here. WithBackoff(0) keeps only the floor. The
//     jitter picks each doubled wait at random between its half and all of
//     it, never under the reconnection time.
//   - A ceiling on the server's retry field: it counts for at most 1
//     minute, or WithBackoff's cap if that is longer. A browser obeys
//     "retry: 86400000" and waits a day; this client waits a minute.
//   - Credentials stay with their origin. After a redirect to another origin
//     (scheme, host and port), neither the redirected request nor the
//     reconnects that go straight to the new location carry a header the
//     caller set (any may be a credential: an API key as much as
//     Authorization or Cookie), only the client's own Accept, Cache-Control
//     and Last-Event-ID, and Content-Type with a body. net/http strips
//     Authorization and Cookie only towards another domain (not another port
//     or scheme), only on the redirected hop, and copies every other header;
//     a cookie jar set with WithClient still sends each host its own
//     cookies.
//   - Giving up. WithMaxAttempts(n) ends the observable with ErrMaxAttempts
//     after n failed attempts in a row; by default, like a browser, it never
//     gives up.
//   - Dead streams. WithReadTimeout drops a connection on which the server
//     ends no line for that long; comment lines count, so a server's
//     heartbeats keep a quiet stream alive, but bytes that never end a
//     line do not: a server cannot hold the client by trickling them. The
//     timer runs only while the client waits for the server, so a slow
//     subscriber is not mistaken for a dead server.
//   - Floods. A connection may carry at most twice WithMaxEventSize
//     (8 MiB by default, at least 1 MiB) between two events: past it the
//     client drops it with ErrReadLimit and reconnects, so a compression
//     bomb of line breaks or comments costs a bounded amount of work per
//     connection, with backoff between connections. Heartbeats count
//     against it too: at 10 bytes every 15 s they reach it after more
//     than a year.
//   - Status. WithOnOpen and WithOnError report each open and each loss of
//     the connection (with the wait before the next attempt), on the
//     goroutine that emits the items: a callback runs after the subscriber
//     received the items before it, and before the items after it are sent.
//   - Resuming across restarts of the client. WithLastEventID sends a stored
//     id on the first request.
//   - A bound on event size (WithMaxEventSize, encoder.DefaultMaxEventSize,
//     4 MiB, by default): an event past it stops the client, since
//     reconnecting would only read it again.
//     Memory stays near the bound whatever the server sends: a 40 MiB line
//     against the 4 MiB default costs about 5.4 MiB of allocations in all.
//   - Streams opened by any request (ObserveRequest): a POST with a body, sent
//     again on each reconnect; a request with a body and no GetBody is
//     refused at once (ErrBodyNotReplayable).
//
// # Subscriptions and cancellation
//
// The observable is cold: each Observe opens its own connection and has its
// own last event id and reconnection time. A subscription lives as long as
// both the ctx given to Observe and the subscription's own context
// (rxgo.WithContext); when either ends, the connection is closed, the
// observable completes without an error item, and no goroutine is left.
// Items are sent on rxgo's default unbuffered channel: a subscriber that
// does not read holds the stream (the client stops reading the connection),
// which is what orders WithOnOpen and WithOnError with the items.
//
// # Testing code that uses it
//
// Reconnection and backoff waits and the read timeout read the time of
// package time. Test code that uses the client with testing/synctest: run it
// against an ssetest.Server (in memory, unlike a real socket) inside a
// synctest.Test bubble, where time is virtual: ten minutes of reconnects
// take microseconds, each exactly as long as it should.
//
// # Proven against Chromium, and where it differs
//
// A differential test serves more than a hundred hand-written raw streams
// (every encoder test vector, line-end mixtures, byte order marks, comments,
// ids with NUL, empty ids, good and bogus retry values, unterminated blocks,
// connections cut mid-event, network errors, 204, 404, 500, wrong content
// types, redirects) to headless Chromium's EventSource and to this client,
// and requires the same events, the same opens and errors, the same final
// state and the same requests (count, Last-Event-ID, Accept, Cache-Control).
// It found, and this client now matches: the last event id carried across
// connections, "retry: 0", reconnects to the redirected URL, the charset
// rule and a stop on ids with control characters. Where they still differ,
// on purpose:
//
//   - An empty retry field ("retry:" or "retry") is ignored, as the standard
//     says of a value that is not digits; Chromium resets the reconnection
//     time to 3 s.
//   - A retry value past 2^64-1 ms saturates, then meets the ceiling (1
//     minute by default); Chromium ignores it because its integer parse
//     fails.
//   - A byte order mark directly followed by a line break: the line break
//     counts, as the standard says; Chromium's parser drops it (a bug in
//     Blink's EventSourceParser, which skips the byte after the mark).
//   - The 100 ms floor, the retry ceiling, the backoff and the credential
//     rule above, and the event size bound.
package eventsource
