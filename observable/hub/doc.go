// Package hub broadcasts events to many SSE clients, with a replay window
// so that a client that reconnects with Last-Event-ID gets what it missed.
//
// Publish from anywhere (a POST handler, a worker); serve Subscribe from an
// SSE route:
//
//	h := hub.New()
//	defer h.Close()
//	h.Publish(ctx, encoder.MessageEvent{Data: msg}, "lobby")      // from a POST handler
//	r.Sse("/rooms/{room}/events", func(r *http.Request) rxgo.Observable {
//		return h.Subscribe(transport.LastEventID(r), chi.URLParam(r, "room"))
//	})
//
// The hub's ids are what a client resumes from: the transport's own
// automatic ids apply only to events without one.
//
// # Topics
//
// One rule, the same on both sides: no topics means all. An event published
// with no topics reaches every subscription; a subscription with no topics
// receives every event; otherwise an event reaches a subscription when
// their topic sets share a topic, and then once, however many they share.
// An empty-string topic is an error (ErrEmptyTopic).
//
// # Ids, epochs and gaps
//
// The hub numbers events itself: an id is "<epoch>-<n>", where the epoch is
// a random token of 8 lowercase base32 characters, new for every hub (every
// process), and n counts from 1. Subscribe("") is live only,
// Subscribe(Oldest) starts with every retained event (history on join,
// without a gap event), and a client resuming from an id of this hub
// within the replay window gets exactly the events it missed. An id it
// cannot resume from — malformed, of another epoch (the server restarted,
// or the client was served by another instance), or older than the window —
// gets an event of type GapEventType first, then every retained event:
// never a silent skip.
//
// A subscription started live or from Oldest knows its start position
// before its first event, and the transport writes it as an id-only block
// ("id: <start>"): a client cut off before its first event still resumes
// from where it started.
//
// # History on join
//
// A subscription with an empty lastEventID starts live. To give a client
// joining a room its recent messages first, subscribe at Oldest when the
// request has no Last-Event-ID and asks for history (here with ?history=1):
//
//	r.Sse("/rooms/{room}/events", func(r *http.Request) rxgo.Observable {
//		id := transport.LastEventID(r)
//		if id == "" && r.URL.Query().Has("history") {
//			id = hub.Oldest
//		}
//		return h.Subscribe(id, chi.URLParam(r, "room"))
//	})
//
// The page opens new EventSource("/rooms/lobby/events?history=1"), on a
// join as after a reload. Oldest is no resume: no gap event, no gap for
// the Observer. The transport sends the subscription's start position
// before its first event, so the browser's own reconnects to the same URL
// carry a Last-Event-ID, which wins: they resume, and the history is not
// sent twice. (Asking for history with an id the hub cannot resume from
// works too, but as a gap: the client is told it missed events, the
// metrics count a gap and the hub logs it.)
//
// # Publishing
//
// Publish validates and encodes the event once, at the edge: a value that
// cannot be encoded, an ev.ID set by the caller, or a type that could
// inject fields is an error, and nothing is retained. Subscribers share the
// encoded bytes, read-only. Publish never waits for a subscriber.
//
// # Slow subscribers
//
// Subscriptions are cursors into one shared ring per topic set: a
// subscriber costs no memory per event, and a burst is not a problem as
// long as the client keeps up. A subscriber that falls more than
// WithBuffer events behind (DefaultBuffer, 4096) is cut off with
// ErrSlowSubscriber when it next reads; the transport then ends the
// response without an error frame and the browser resumes with
// Last-Event-ID. The replay window (WithReplayCount, DefaultReplayCount,
// 16384) is four lag bounds, and never less than one, so a client cut off
// resumes without a gap if it reconnects before its position leaves the
// window, and gets a gap event after. The hub holds at most WithReplayCount
// events for replay plus, per distinct topic set with subscribers, the last
// WithBuffer events of that set (shared, and usually the same events).
//
// # Pulling and operators
//
// Subscribe returns an observable.Pulled: the transport pulls it on the
// goroutine that writes the response, with no goroutine of its own. Map and
// Filter chained on it run inline (fused) and keep that property; a panic
// in them ends the stream with an *observable.PanicError item. Any other
// operator works as usual through rxgo. A Broker of your own built on
// observable.Pulled gets the same (see package hubtest).
//
// Package hubtest is the conformance suite of the Broker interface; package
// metrics implements Observer with Prometheus.
package hub
