// Package metrics records what an rxsse server does as Prometheus metrics:
// the broker's subscribers, cut-offs, replays and publish latency, and the
// streams' open count and bytes written. It is a module of its own
// (github.com/rxsse/rxsse/metrics), so that applications that do not use
// Prometheus do not download it.
//
//	reg := prometheus.NewRegistry()
//	rec, err := metrics.New(reg)
//	h := hub.New(hub.WithObserver(rec))                                 // subscribers, publishes
//	r.Sse("/events", source, transport.WithObserver(rec))               // open streams, bytes written
//	r.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//
// Recorder implements hub.Observer (package observable/hub) and
// transport.Observer: give it to the hub with hub.WithObserver (or to a
// natshub.Broker with natshub.WithObserver) and to each SSE route with
// transport.WithObserver.
//
// The publish latency means what the broker reports. The in-memory hub
// reports the time each Publish call took: validating, encoding and
// offering the event to its subscribers. natshub reports, on each instance,
// the time from NATS storing an event to the instance's consumer
// delivering it to its subscribers (publish-to-delivery), for every event
// the instance delivers, whoever published it: on natshub,
// rxsse_hub_events_published_total counts the events an instance received
// from the stream.
//
// Every metric is named rxsse_*:
//
//	rxsse_hub_subscribers                   gauge     current hub subscriptions
//	rxsse_hub_subscriptions_ended_total     counter   by reason: left, cut_off, closed
//	rxsse_hub_replays_total                 counter   subscriptions that replayed at least one event
//	rxsse_hub_replayed_events_total         counter   events replayed
//	rxsse_hub_resume_gaps_total             counter   resumes from an unknown or expired id
//	rxsse_hub_events_published_total        counter   events published
//	rxsse_hub_events_delivered_total        counter   events offered to subscribers whose topics matched
//	rxsse_hub_publish_duration_seconds      histogram publish latency: Publish's time (hub), publish-to-delivery (natshub)
//	rxsse_streams_open                      gauge     SSE responses in progress
//	rxsse_stream_events_written_total       counter   events written to clients
//	rxsse_stream_bytes_written_total        counter   bytes written to clients
package metrics
