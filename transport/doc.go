// Package transport serves one rxgo.Observable over one HTTP response as a
// text/event-stream, the way NestJS serves an @Sse() route.
//
//	http.Handle("GET /sse", transport.Handler(func(r *http.Request) rxgo.Observable {
//		return observable.Interval(time.Second).
//			Map(func(_ context.Context, n any) (any, error) {
//				return encoder.MessageEvent{Data: map[string]any{"n": n}}, nil
//			})
//	}))
//
// # Errors before the stream: a fallible source
//
// Handler takes either form of Source. A route that must look something up
// before it can stream (a room, a user, a cursor) returns an error as well,
// NestJS's handler returning Promise<Observable>. The source runs on the
// request's goroutine before anything is sent; an error it returns is
// always the HTTP status of the response, through WithErrorFilter, however
// long the lookup took and whatever the load:
//
//	transport.Handler(func(r *http.Request) (rxgo.Observable, error) {
//		room, err := rooms.Find(r.Context(), r.PathValue("room"))
//		if err != nil {
//			return nil, err // a *HTTPError with 404, or filtered into one
//		}
//		return room.Messages(), nil
//	})
//
// With Handler, an error is an HTTP status only when it is the first item
// and ready at once (rxgo.Thrown, a pulled Iterator with its error ready):
// the transport does not wait for a first item, so the headers go out at
// once.
// An error that comes later, after any amount of time, is an
// "event: error" frame: browsers treat an HTTP error status as fatal and
// an error frame as a reason to reconnect, so the distinction must not
// depend on timing.
//
// # What the transport does for every stream
//
//   - sends NestJS's headers (Content-Type text/event-stream, no caching, no
//     proxy buffering; Connection: keep-alive only on HTTP/1.x), keeping
//     headers set by middleware unless they clash with these, and a leading
//     newline, at once, so EventSource.onopen fires;
//   - writes each item as an event, numbering every message without an id
//     from 1 except comment-only ones (WithAutoID, as NestJS);
//   - batches: items that are ready together go out in one write and one
//     flush (up to 32 KiB), and a lone item goes out at once;
//   - sends a heartbeat comment when the stream is idle (WithHeartbeat) and a
//     retry hint at the start (WithRetry);
//   - bounds each write with a deadline (WithWriteTimeout) that never cuts
//     an idle stream, so a stalled client is cut and an idle one is not
//     (http.Server.WriteTimeout need not be set, and does not cut streams);
//   - turns an error into an HTTP error response (NestJS's JSON) before the
//     stream, or an "event: error" frame after; only an HTTPError's message
//     (or Body) reaches the client, other errors say "Internal server error" and are
//     logged. The error frame takes the next auto id only right after an
//     auto-numbered event, so it never moves a client's Last-Event-ID
//     backwards (a hub's ids, or the id the client resumed from, stay);
//   - recovers panics in the source, interceptors, marshallers and the
//     error filter as *observable.PanicError;
//   - answers HEAD with the headers and no subscription, and does not let a
//     request body the source left unread hold the response (it is
//     discarded, up to 256 KiB, while the stream runs);
//   - on completion ends the response; when the client goes away, cancels
//     the subscription's context.
//
// # Pulled and observed sources
//
// An observable made with observable.Pulled is pulled on the handler's
// goroutine: the stream costs no goroutine of its own and no channel
// hand-off per item. The hub's subscriptions (package observable/hub and
// its NATS broker) and observable.Range are, with Map and Filter chained on
// them, and so is any source or broker of your own built on Pulled.
// Any other observable is observed through rxgo with the stream's context
// and a 16-item buffer on every stage (rxgo passes Observe options up the
// chain), so bursts reach the transport in groups.
//
// A pulled subscription that knows its start position before its first
// item (its Iterator's StartID: a hub subscription that is not resuming
// from a Last-Event-ID) has
// the transport send that id right after the leading newline, as an
// id-only block ("id: <id>" and a blank line) in the same write as the
// headers. Browsers record it as their last event id without dispatching
// anything, so a client cut before its first event resumes from where it
// started instead of losing what was published meanwhile. The block is
// part of the response's start, which the transport commits only after
// looking at a first item that is ready at once: an error ready at once is
// still an HTTP status, never a 200 with a start block. Auto ids are
// unaffected, and an observed source (a hub subscription behind rxgo
// operators other than Map and Filter) sends no start block.
//
// # Interceptors and error filters
//
// An Interceptor wraps a route's stream as a NestJS interceptor does;
// WithInterceptors appends them, the first given outermost:
//
//	logged := func(r *http.Request, s rxgo.Observable) rxgo.Observable {
//		return s.Map(func(_ context.Context, v any) (any, error) {
//			slog.Debug("event", "path", r.URL.Path)
//			return v, nil
//		})
//	}
//	transport.Handler(source, transport.WithInterceptors(logged))
//
// WithErrorFilter decides what the client sees for an error, as a NestJS
// exception filter does: it returns the error to answer with, typically an
// *HTTPError, whose status and NestJS JSON body are the response before the
// stream and whose message is the error frame's data after it (its Body
// replaces either); returning nil leaves an error to the default handling:
//
//	filter := func(r *http.Request, err error) error {
//		switch {
//		case errors.Is(err, sql.ErrNoRows):
//			return transport.NewHTTPError(http.StatusNotFound, "no such room")
//		case errors.Is(err, errQuota):
//			return &transport.HTTPError{Status: http.StatusTooManyRequests,
//				Body: map[string]string{"code": "quota"}, Err: err}
//		}
//		return nil
//	}
//	transport.Handler(source, transport.WithErrorFilter(filter))
//
// WriteError answers plain routes and guards (middleware) in the same JSON
// shape as SSE routes.
//
// # Backpressure and slow clients
//
// Items are taken from the observable only as fast as the client accepts
// them. For a client that stops reading, the transport holds at most one
// batch (32 KiB plus one event) and each rxgo stage at most its 16-item
// buffer; a pulled source holds what its own bound allows. After
// WithWriteTimeout (30 s) the blocked write fails and the stream ends.
// WithMaxEventSize (encoder.DefaultMaxEventSize, 4 MiB) caps one event. A
// larger one with an ID, as a broker's events have, is skipped: the client
// gets a block with its id and a comment instead, so its resume point moves
// past it and a retained event never turns a resume into an error. A larger
// one without an ID cuts the connection (a 500 before the stream).
// Streams shared by many clients should go through the hub (package
// observable/hub), which never lets one slow client hold the others.
//
// # Parked streams
//
// WithParking(true), for broadcast routes, lets a stream that has caught up
// leave its goroutine: on Linux, an HTTP/1.x stream of a pulled source (a
// hub.Broker's subscription) served through net/http's own ResponseWriter
// is taken over from net/http and parked on a process-wide epoll pool,
// which writes its next events, heartbeats and end with non-blocking
// writes, cuts it at the write timeout when its socket stays full, and ends
// it when the client hangs up or the server shuts down (Serve,
// CancelOnShutdown). An idle parked stream costs about 7 KB instead of
// about 27 KB. Everything else (HTTP/2, TLS, a wrapping middleware, other
// systems) stays on its goroutine. See docs/transport.md.
//
// # Shutdown
//
// Serve serves until its context is done, then shuts down: SSE streams end
// at once, ordinary requests get 10 seconds to finish.
//
//	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
//	defer stop()
//	ln, err := net.Listen("tcp", ":3000")
//	if err != nil {
//		log.Fatal(err)
//	}
//	log.Fatal(transport.Serve(ctx, &http.Server{Handler: r}, ln))
//
// Serve also sets the server's ReadHeaderTimeout (10 s) and IdleTimeout
// (2 min) when they are zero, so that a client that trickles its headers or
// idles on a keep-alive connection cannot hold it; neither cuts a stream.
// With your own http.Server, set both yourself; CancelOnShutdown(srv) gives
// Shutdown the same behaviour: SSE streams only are cancelled, and a write
// blocked on a client that stopped reading is abandoned, so one stalled
// client cannot hold the shutdown.
//
// # Declarations
//
// Emits, Query, Body, Returns, Errors and Summary are options that
// document a route and change nothing on the wire: the event types it
// sends and the Go type of each one's data, what it reads, the errors it
// answers with. Declared reads them back; package controller's Describe
// lists them for a route table, the openapi module builds an OpenAPI 3.2
// document from that list, and ssetest.ExpectDeclared checks a stream
// against them in tests.
//
//	transport.Handler(prices,
//		transport.Emits[Price](""),          // onmessage
//		transport.Emits[string]("halted"),   // addEventListener("halted", ...)
//		transport.Errors(http.StatusNotFound))
//
// # rxgo pitfalls
//
// rxgo's hot factories (rxgo.Interval, Timer, Create, Start,
// FromEventSource) ignore the subscription's context and leak goroutines per
// request; build streams from package observable, or give a hot factory
// rxgo.WithContext(r.Context()) at creation (r.Context() ends when the
// response does). rxgo's Take(n) completes only when item n+1 (or the end
// of the source) arrives.
package transport
