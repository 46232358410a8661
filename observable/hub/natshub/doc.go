// Package natshub is a hub.Broker on NATS JetStream, for an application
// that runs several instances behind a load balancer: every instance
// delivers every event, and a browser that reconnects to any instance with
// Last-Event-ID misses nothing.
//
// Moving from the in-memory hub is one constructor; controllers written
// against hub.Broker do not change:
//
//	nc, err := nats.Connect(os.Getenv("NATS_URL"))
//	...
//	broker, err := natshub.New(ctx, nc, natshub.Config{Stream: "CHAT"})
//	...
//	defer broker.Close()
//	// publish: broker.Publish(ctx, encoder.MessageEvent{Data: msg}, room)
//	// stream:  broker.Subscribe(transport.LastEventID(r), room)
//
// # Stream, subjects, ids
//
// New binds the stream named by Config.Stream, creating it if needed (limits
// retention, discard old, file storage, the count, age and replicas of the
// Config). Every instance that names the same stream shares it. An event
// is one message under "rxsse.<stream>.": ".all" without topics,
// ".t.<token>" with one topic, ".m" with several; the topics themselves
// travel in headers. A token is the topic with every byte outside
// [A-Za-z0-9_-] written %XX, so any topic is safe as a subject token (a
// token longer than 128 bytes becomes "~" and a SHA-256 prefix). The data
// is the message body, as encoded once by Publish, exactly as the
// in-memory hub encodes it.
//
// An event's id is "<epoch>-<stream sequence>". The epoch is the stream's
// creation time in base 36: NATS keeps it across restarts and gives every
// replica the same, and a deleted and recreated stream gets a new one. An
// id of another epoch, a malformed one, or one older than what the stream
// retains (after a purge, say) is answered, as by the in-memory hub, with
// the hub.GapEventType event, then every retained event that matches.
//
// # One consumer per instance
//
// Each Broker runs one JetStream consumer (ephemeral, in memory, no acks),
// live from the stream's end when it starts (it first reads the last
// Config.LocalWindow events, to warm the window). It feeds an in-memory
// fan-out, the same as the in-memory hub's: however many subscribers an
// instance has, NATS serves it one consumer, and a slow subscriber is cut
// off with hub.ErrSlowSubscriber exactly as in memory. The fan-out keeps the
// last Config.LocalWindow events (twice the lag bound by default): a
// resume within them is served from memory. A subscription whose position
// the fan-out has not reached yet (the instance has published or seen an
// event its consumer has not delivered) joins once it has, replaying from
// the window. If the consumer falls so far behind that the stream drops
// events before it reads them, the instance cuts off every subscriber: it
// resumes, and is told of the gap.
//
// An older resume (or hub.Oldest, when the fan-out does not hold everything
// the stream does) reads the stream first, with a short-lived ordered
// consumer filtered on the topics' subjects, until NATS has nothing after
// it, then joins the fan-out right there: no gap and no duplicate at the
// seam. History reads cannot take the live path down: at most 8 run at
// once per instance (the others wait their turn); each prefetches at most
// 256 events or 256 KiB, and gives its consumer and its turn back while
// its client does not read; they use a second NATS connection, opened with
// the options of the one given to New, so that a storm of them cannot
// delay or disconnect the live consumer; and a refusal for the stream's
// limit of consumers is waited out, never passed on as an empty stream.
//
// A subscription started live or from hub.Oldest tells its start position
// to the transport, which writes it before the first event, so that a
// client cut off before its first event resumes from where it started.
//
// # Faults
//
// Publish returns once NATS has acknowledged the event; when NATS is
// unreachable it returns an error (ErrUnavailable, or the client's), never
// an id for an event that was not stored. When the instance loses its
// connection or its consumer, its subscriptions end with ErrUnavailable,
// which asks the transport to end the response cleanly: browsers reconnect
// and resume, on this instance or another. When NATS answers again the
// Broker recreates its consumer after the last event it had, or, if the
// stream was recreated or has dropped events meanwhile, from its current
// end; resumes from before that get the gap event.
package natshub
