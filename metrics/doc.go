// Package metrics records what an rxsse server does as Prometheus metrics:
// the hub's subscribers, cut-offs, replays and publish latency, and the
// streams' open count and bytes written. It is a separate package so that
// applications that do not use Prometheus do not import it.
//
//	reg := prometheus.NewRegistry()
//	rec, err := metrics.New(reg)
//	h := hub.New(hub.WithObserver(rec))                                 // subscribers, publishes
//	r.Sse("/events", source, transport.WithObserver(rec))               // open streams, bytes written
//	r.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//
// Recorder implements hub.Observer (package observable/hub) and
// transport.Observer: give it to the hub with hub.WithObserver and to each
// SSE route with transport.WithObserver.
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
//	rxsse_hub_publish_duration_seconds      histogram time Publish took
//	rxsse_streams_open                      gauge     SSE responses in progress
//	rxsse_stream_events_written_total       counter   events written to clients
//	rxsse_stream_bytes_written_total        counter   bytes written to clients
package metrics
