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
//	broker, err := natshub.New(ctx, nc, natshub.WithStream("CHAT"))
//	...
//	defer broker.Close()
//	// publish: broker.Publish(ctx, encoder.MessageEvent{Data: msg}, room)
//	// stream:  broker.Subscribe(transport.LastEventID(r), room)
//
// # Stream, subjects, ids
//
// New binds the stream named by WithStream, creating it if needed (limits
// retention, discard old, file storage, the count, age and replicas of the
// options). Every instance that names the same stream shares it. An event
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
// WithLocalWindow events, to warm the window). It feeds an in-memory
// fan-out, the same as the in-memory hub's: however many subscribers an
// instance has, NATS serves it one consumer, and a slow subscriber is cut
// off with hub.ErrSlowSubscriber exactly as in memory. The fan-out keeps the last
// WithLocalWindow events: a resume within them is served from memory. An
// older resume (or one from another instance that this one has not
// consumed yet) reads the stream from NATS with a short-lived ordered
// consumer, filtered on the topics' subjects, and joins the live fan-out at
// the sequence where it subscribed, so there is no gap and no duplicate at
// the seam.
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
