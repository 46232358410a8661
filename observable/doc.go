// Package observable provides what rxgo lacks for serving Server-Sent Events:
// cold, time-driven sources (Interval, Timer), a synchronous Range that the
// transport pulls on the response's goroutine, a panic-safe producer source
// (Defer), context-honouring versions of the common combinators (Merge,
// Concat, StartWith), operator chains that recover panics in user code,
// and the protocol (Pulled, Iterator) by which any source is pulled instead
// of observed. The broadcast hub, with replay for resuming clients, is
// package observable/hub.
//
// A controller method builds one of these per request and the transport
// observes it with the request's context:
//
//	func (TickController) Ticks(r *http.Request) rxgo.Observable {
//		return observable.Interval(time.Second).
//			Map(func(_ context.Context, v any) (any, error) {
//				return fmt.Sprintf("tick %d", v), nil
//			})
//	}
//
// # Cold and hot
//
// A cold Observable does nothing until it is observed, and each Observe call
// starts a fresh, independent run bound to the context given to Observe with
// rxgo.WithContext: cancel the context and the run stops and its goroutines
// exit. That is the shape of an SSE stream, where the request's context is
// cancelled when the client goes away. Everything this package returns is
// cold: built on rxgo.Defer, which hands the Observe context to its producer,
// or, for Range, pulled one item at a time with the context checked between
// items. Write your own sources with Defer from this package.
//
// A hot Observable runs from the moment it is built, whether observed or not,
// and stops only on a context given when it was built.
//
// WARNING: rxgo's factories rxgo.Interval, rxgo.Timer (which, besides, emits
// no item at all), rxgo.Create, rxgo.Start and rxgo.FromEventSource are hot.
// They ignore the Observe context: built per request without
// rxgo.WithContext(r.Context()) among their own options, each leaks its
// goroutines for ever. Use Interval and Timer from this package, or write the
// source as a Defer producer that selects on its ctx argument for every send.
// rxgo.Just, rxgo.Range, rxgo.Defer and the lazy operators (Map, Filter,
// Take, Scan, Skip, DistinctUntilChanged, BufferWithCount) do honour the
// Observe context.
//
// Likewise, rxgo's Merge, Concat, StartWith, ZipFromIterable, Retry, Sample,
// CombineLatest, Amb and GroupBy subscribe to their inputs when they are
// built and leak them when the subscriber leaves (on a guarded chain, Retry,
// BackOffRetry, GroupBy and GroupByDynamic are cold). Use Merge, Concat and
// StartWith from this package: they subscribe only when observed, pass the
// Observe context down to each input, and after stopping early drain their
// inputs in the background (for at most a second) so upstream goroutines
// blocked on a send can finish. Draining discards items, so do not give them
// an input that reads a channel other readers share (rxgo.FromChannel over a
// shared channel). Some rxgo sources never close, so whoever consumes an
// Observable must select on its context too, never just range over the
// channel.
//
// Always cancel the Observe context when done with a stream, even after it
// completed or failed: rxgo's operators stop reading their input on an error
// or, for Take, once done, without cancelling it, and the input (an Interval,
// say) waits on its send until the context ends. Note too that rxgo's Take(n)
// completes only when the item after the nth arrives: on an Interval, one
// period late.
//
// # Panics: the default path is safe
//
// rxgo runs producers and the functions given to its operators on goroutines
// of its own, where a panic kills the whole server. The Observables this
// package returns (Interval, Timer, Defer, Merge, Concat, StartWith, Range,
// Pulled) are guarded: a panic in a Defer producer, and a panic in the
// function of any operator chained on them (Map, Filter, Scan, Reduce,
// FlatMap, Distinct, DoOnNext, ForEach, ...), becomes a *PanicError error
// item that ends the stream, and the goroutine exits cleanly. Every operator returns a guarded
// Observable (or Single, OptionalSingle) again, so a whole chain is safe
// without wrapping anything:
//
//	observable.Interval(time.Second).Map(render).Filter(visible) // a panic in render or visible ends this stream only
//
// Functions that can return an error (Map, Scan, ...) return the PanicError
// as that error, inside rxgo's own operator, so options keep their meaning.
// Functions that cannot (the predicates of Filter, TakeWhile, ...; the
// comparators of Max and Min; key functions) are called one stage ahead, in
// a Map of their own: once for every item that reaches them, on another
// goroutine. A panic in a DoOnNext callback ends that subscription; in
// ForEach's nextFunc it is handed to errFunc; in errFunc or completedFunc it
// is dropped. Retry, BackOffRetry, GroupBy and GroupByDynamic are
// reimplemented (cold, context-honouring; rxgo's BackOffRetry even panics
// when its context ends), and the windows and groups they emit are guarded.
// A guarded Single or OptionalSingle (Count, Reduce, All, ToMap, ...) emits
// the *PanicError first, but, as rxgo's do after any error, may emit its
// result after it; it can be observed more than once (an rxgo Single panics
// on its second subscription).
//
// What is not guarded: rxgo's own factories (rxgo.Defer, rxgo.Just,
// rxgo.Create, rxgo.FromChannel, ...) and everything chained on them, and
// functions inside rxgo options (rxgo.Serialize). A recover only works on the
// goroutine of the panic, so nothing downstream can make an unguarded stage
// safe. Write producers with Defer, not rxgo.Defer or rxgo.Create, and start
// chains on other rxgo sources with Guard:
//
//	observable.Guard(rxgo.FromChannel(ch)).Map(render)
//
// # Pulled sources
//
// rxgo hands every item over a channel, from a goroutine of its own, for
// every stage. A source that can say without blocking whether it has an
// item ready is cheaper pulled: write its subscription as an Iterator (Next,
// Ready, Close, StartID) and return Pulled(start). The transport then calls
// Next on the goroutine that writes the response, writes every item that is
// ready in one write, and waits on Ready together with its heartbeat and the
// request's context; Map and Filter chained on the source run inline
// there. A stream costs no goroutine of its own. Range and the brokers of
// observable/hub are built this way, and a broker of your own gets the same
// path (see package hubtest). Observed through rxgo, a pulled Observable is
// relayed by one goroutine.
//
// # Time and tests
//
// Interval and Timer read the time of package time, as rxgo's own operators
// (Debounce, BufferWithTime, WindowWithTime, TimeInterval, Repeat, ...) do.
// To test anything that involves time, use testing/synctest: it is the fake
// clock, for this package, for rxgo and for everything else in the test;
// there is no clock to pass around.
// Inside synctest.Test, time is virtual and jumps ahead whenever every
// goroutine of the bubble is blocked, so Interval(time.Second) ticks at
// once, exactly one virtual second apart; synctest.Wait returns when every
// goroutine of the bubble is blocked (a subscription has started its ticker
// and waits for it); and a pipeline that leaks goroutines makes
// synctest.Test fail. Build the observables inside the bubble: some rxgo
// operators make their channels when they are built, and an observable built
// outside and observed inside is a fatal error.
//
//	synctest.Test(t, func(t *testing.T) {
//		ctx, cancel := context.WithCancel(t.Context())
//		defer cancel()
//		items := observable.Interval(time.Second).Take(3).
//			Observe(rxgo.WithContext(ctx))
//		for item := range items {
//			// 0, 1, 2, one virtual second apart
//		}
//	})
//
// Real loopback sockets do not count as blocked in a bubble: serve a stream
// under test with transport/ssetest, whose server is in memory.
package observable
