// Package metrics records what an rxsse server does as Prometheus metrics:
// the hub's subscribers, cut-offs, replays and publish latency, and the
// streams' open count and bytes written. It is a separate package so that
// applications that do not use Prometheus do not import it.
//
//	reg := prometheus.NewRegistry()
//	rec, err := metrics.New(reg)
//	hub := observable.NewHub(observable.WithHubObserver(rec))
//	r.With(rec.Streams).Get("/events", ...)            // open streams, bytes written
//	r.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//
// Recorder implements observable.HubObserver. Its StreamOpened,
// StreamClosed and EventsWritten methods are the transport's side of the
// same idea; until the transport reports streams itself, the Streams
// middleware counts open streams and bytes written around any SSE route.
//
// Every metric is named rxsse_*:
//
//	rxsse_hub_subscribers                   gauge     current hub subscriptions
//	rxsse_hub_subscriptions_ended_total     counter   by reason: left, cut_off, closed
//	rxsse_hub_replays_total                 counter   subscriptions that replayed at least one event
//	rxsse_hub_replayed_events_total         counter   events replayed
//	rxsse_hub_resume_gaps_total             counter   resumes from an unknown or expired id
//	rxsse_hub_events_published_total        counter   events published
//	rxsse_hub_events_delivered_total        counter   events queued for subscribers
//	rxsse_hub_publish_duration_seconds      histogram time Publish took
//	rxsse_streams_open                      gauge     SSE responses in progress
//	rxsse_stream_events_written_total       counter   events written to clients
//	rxsse_stream_bytes_written_total        counter   bytes written to clients
package metrics
