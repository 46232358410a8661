package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rxsse/rxsse/observable/hub"
	"github.com/rxsse/rxsse/transport"
)

// A Recorder is what both the hub and the transport report to.
var (
	_ hub.Observer       = (*Recorder)(nil)
	_ transport.Observer = (*Recorder)(nil)
)

// Recorder records hub and stream activity as Prometheus metrics. Create it
// with New; it is safe for concurrent use.
type Recorder struct {
	subscribers    prometheus.Gauge
	ended          *prometheus.CounterVec
	replays        prometheus.Counter
	replayedEvents prometheus.Counter
	gaps           prometheus.Counter
	published      prometheus.Counter
	delivered      prometheus.Counter
	publishLatency prometheus.Histogram

	openStreams   prometheus.Gauge
	eventsWritten prometheus.Counter
	bytesWritten  prometheus.Counter
}

// New returns a Recorder whose metrics are registered with reg (a
// *prometheus.Registry, or prometheus.DefaultRegisterer). It fails if reg
// already holds metrics of the same names.
func New(reg prometheus.Registerer) (*Recorder, error) {
	r := &Recorder{
		subscribers: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "rxsse_hub_subscribers", Help: "Current hub subscriptions.",
		}),
		ended: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rxsse_hub_subscriptions_ended_total",
			Help: "Hub subscriptions that ended, by reason: left (the client went away), cut_off (too slow), closed (the hub closed).",
		}, []string{"reason"}),
		replays: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rxsse_hub_replays_total", Help: "Hub subscriptions that started by replaying at least one retained event.",
		}),
		replayedEvents: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rxsse_hub_replayed_events_total", Help: "Retained events replayed to resuming subscribers.",
		}),
		gaps: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rxsse_hub_resume_gaps_total", Help: "Resumes from a Last-Event-ID the hub did not know or had dropped: the client lost events.",
		}),
		published: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rxsse_hub_events_published_total", Help: "Events published to the hub.",
		}),
		delivered: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rxsse_hub_events_delivered_total", Help: "Events offered to hub subscribers: for each event, the subscriptions whose topics matched it.",
		}),
		publishLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "rxsse_hub_publish_duration_seconds",
			Help:    "Publish latency. In-memory hub: the time one Publish took (validating, encoding, offering the event to its subscribers). natshub: the time from NATS storing the event to this instance delivering it to its subscribers.",
			Buckets: prometheus.ExponentialBuckets(1e-6, 4, 10), // 1µs to ~260ms
		}),
		openStreams: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "rxsse_streams_open", Help: "SSE responses in progress.",
		}),
		eventsWritten: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rxsse_stream_events_written_total", Help: "Events written to SSE clients.",
		}),
		bytesWritten: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rxsse_stream_bytes_written_total", Help: "Bytes written to SSE clients.",
		}),
	}
	for _, reason := range []hub.EndReason{hub.EndLeft, hub.EndCutOff, hub.EndClosed} {
		r.ended.WithLabelValues(string(reason)) // shows every reason at 0
	}
	for _, c := range []prometheus.Collector{
		r.subscribers, r.ended, r.replays, r.replayedEvents, r.gaps, r.published,
		r.delivered, r.publishLatency, r.openStreams, r.eventsWritten, r.bytesWritten,
	} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Subscribed implements hub.Observer.
func (r *Recorder) Subscribed(replayed int, gap bool) {
	r.subscribers.Inc()
	if replayed > 0 {
		r.replays.Inc()
		r.replayedEvents.Add(float64(replayed))
	}
	if gap {
		r.gaps.Inc()
	}
}

// Unsubscribed implements hub.Observer.
func (r *Recorder) Unsubscribed(reason hub.EndReason) {
	r.subscribers.Dec()
	r.ended.WithLabelValues(string(reason)).Inc()
}

// Published implements hub.Observer.
func (r *Recorder) Published(delivered int, took time.Duration) {
	r.published.Inc()
	r.delivered.Add(float64(delivered))
	r.publishLatency.Observe(took.Seconds())
}

// StreamOpened records an SSE response that started.
func (r *Recorder) StreamOpened(*http.Request) { r.openStreams.Inc() }

// StreamClosed records an SSE response that ended.
func (r *Recorder) StreamClosed(*http.Request) { r.openStreams.Dec() }

// EventsWritten records events events, making up bytes bytes, written to a
// stream's client.
func (r *Recorder) EventsWritten(_ *http.Request, events, bytes int) {
	r.eventsWritten.Add(float64(events))
	r.bytesWritten.Add(float64(bytes))
}
