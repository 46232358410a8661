// Package observable provides what rxgo lacks for serving Server-Sent Events:
// cold, clock-driven sources (Interval, Timer), context-honouring versions of
// the common combinators (Merge, Concat, StartWith), a broadcast Hub with
// replay for resuming clients, a Clock that tests can fake, and wrappers
// that turn panics in operator functions into error items.
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
// cold, built on rxgo.Defer, which hands the Observe context to its producer.
//
// A hot Observable runs from the moment it is built, whether observed or not,
// and stops only on a context given when it was built.
//
// WARNING: rxgo's factories rxgo.Interval, rxgo.Timer (which, besides, emits
// no item at all), rxgo.Create, rxgo.Start and rxgo.FromEventSource are hot.
// They ignore the Observe context: built per request without
// rxgo.WithContext(r.Context()) among their own options, each leaks its
// goroutines for ever. Use Interval and Timer from this package, or write the
// source as an rxgo.Defer producer that selects on its ctx argument for every
// send. rxgo.Just, rxgo.Range, rxgo.Defer and the lazy operators (Map,
// Filter, Take, Scan, Skip, DistinctUntilChanged, BufferWithCount) do honour
// the Observe context.
//
// Likewise, rxgo's Merge, Concat, StartWith, ZipFromIterable, Retry, Sample,
// CombineLatest, Amb and GroupBy subscribe to their inputs when they are
// built and leak them when the subscriber leaves. Use Merge, Concat and
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
// # Panics
//
// rxgo runs the functions given to its operators on goroutines of its own,
// where a panic kills the whole server. Wrap them: SafeMap and SafeFunc2 turn
// a panic into a returned *PanicError, which Map and Scan emit as an error
// item; SafePredicate reports it to a callback and drops the item. A panic
// cannot be recovered from outside the goroutine it happens on, so there is no
// operator that makes a whole pipeline safe: wrap each function.
//
// # Broadcast: the Hub
//
// Most SSE apps push the same events to many clients. rxgo's multicast
// (FromEventSource, Connectable) cannot serve them: it never forgets a
// departed observer, and one slow observer stalls all the others. Hub is the
// replacement, and Broker the interface it implements, so a distributed
// backend can stand in for it:
//
//	hub := observable.NewHub(observable.WithReplayCount(1000))
//	hub.PublishTo(ctx, "lobby", encoder.MessageEvent{Data: msg})  // from a POST handler
//
//	r.Sse("/rooms/{room}/events", func(r *http.Request) rxgo.Observable {
//		return hub.Subscribe(transport.LastEventID(r), chi.URLParam(r, "room"))
//	}, transport.WithAutoID(false))
//
// The hub gives every event an id ("1", "2", ...) and keeps the latest ones
// (WithReplayCount, WithReplayAge) so that a client that reconnects with
// Last-Event-ID, as every EventSource does by itself, gets exactly what it
// missed, then the live events: replay and registration happen atomically
// with respect to Publish, so there is no gap and no duplicate at the seam.
// A client whose id is unknown or has left the window first gets an event of
// type GapEventType, then everything retained. Turn the transport's own ids
// off (transport.WithAutoID(false)) on hub routes: the hub's ids are the
// ones clients must echo.
//
// Publish never waits for a subscriber. Each subscription is a bounded
// channel (WithSubscriberBuffer); one that is full is cut off with
// ErrSlowSubscriber, so a slow client never slows anyone else, and since its
// browser reconnects with Last-Event-ID it loses nothing while it stays
// within the replay window.
//
// A subscription costs no goroutine: Observe hands the transport the
// subscriber's channel, and the subscription ends, through context.AfterFunc,
// when the Observe context ends. Idle, it holds about 2.7 KB with the default
// buffer; Publish to 10,000 subscribers takes about 1.6 ms (see the
// benchmarks in hub_bench_test.go). WithHubLogger and WithHubObserver (see
// package metrics) make it observable in production.
//
// # Time and tests
//
// Interval and Timer read time from a Clock, RealClock by default. Give them
// WithClock(clocktest.New(start)) to move time by hand: Advance fires what
// falls due, and BlockUntil waits until a subscription has started (or
// stopped) its timer, so a test is deterministic and instant without
// sleeping.
//
// Time inside rxgo's own operators (Debounce, BufferWithTime, WindowWithTime,
// TimeInterval, Repeat, ...) is real time and takes no Clock. Test pipelines
// that use them, or anything else, with testing/synctest: inside
// synctest.Test, time is virtual and jumps ahead whenever every goroutine of
// the bubble is blocked, so Interval(time.Second) with the default clock
// ticks at once, and a pipeline that leaks goroutines makes synctest.Test
// fail. Build the observables inside the bubble, since some rxgo operators
// make their channels when they are built:
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
package observable
