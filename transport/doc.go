// Package transport serves one rxgo.Observable over one HTTP response as a
// text/event-stream, the way NestJS serves an @Sse() route.
//
//	http.Handle("/sse", transport.Handler(func(r *http.Request) rxgo.Observable {
//		return observable.Interval(time.Second).
//			Map(func(_ context.Context, n any) (any, error) {
//				return encoder.MessageEvent{Data: map[string]any{"n": n}}, nil
//			})
//	}))
//
// The transport owns the connection. Per request it calls the source once,
// subscribes with a context derived from the request's, and:
//
//   - sends NestJS's headers (Content-Type text/event-stream, no caching, no
//     proxy buffering; Connection: keep-alive only on HTTP/1.x), keeping
//     headers set by middleware unless they clash with these;
//   - flushes the headers and a leading newline within a few milliseconds,
//     so EventSource.onopen fires even if the first event is far away;
//   - writes each item as an event, numbering events without an id from 1
//     (WithAutoID), batching items that are ready at once into one write and
//     flushing as soon as none is;
//   - sends a heartbeat comment when the stream is idle (WithHeartbeat) and a
//     retry hint at the start (WithRetry);
//   - bounds every write with a deadline (WithWriteTimeout), so a stalled
//     client cannot hold its subscription, and http.Server.WriteTimeout need
//     not be set (nor does it cut streams if it is);
//   - turns an error into a plain HTTP error response (JSON, like NestJS) when
//     it is the first item, or into an "event: error" frame after that; only
//     an HTTPError's message reaches the client, other errors say
//     "Internal server error" and are logged;
//   - recovers panics in the source function and in marshallers;
//   - on completion ends the response; when the client goes away, cancels the
//     subscription's context and drains the item channel for a bounded time
//     so every goroutine of the pipeline can finish.
//
// # Backpressure and slow clients
//
// Items are pulled from the observable only as fast as the client accepts
// them, so a slow client slows its own cold pipeline and never piles up
// memory: what the transport holds for a connection is at most one batch
// (32 KiB) plus one event. WithMaxPending (4 MiB, as in NestJS) caps that: an
// event that alone exceeds it cuts the connection, and the cut is logged.
// Streams shared by many clients should go through observable.Hub, which
// gives every subscriber its own bounded buffer.
//
// # Shutdown
//
// http.Server.Shutdown waits for open streams, which never end on their own.
// One line makes it end them promptly:
//
//	transport.CancelOnShutdown(srv)
//
// # rxgo pitfalls
//
// rxgo's hot factories (rxgo.Interval, Timer, Create, Start,
// FromEventSource) ignore the subscription's context and leak goroutines per
// request; build streams from package observable, or give a hot factory
// rxgo.WithContext(r.Context()) at creation. rxgo's Take(n) completes only
// when item n+1 (or the end of the source) arrives.
package transport
