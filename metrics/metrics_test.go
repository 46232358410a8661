package metrics_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/metrics"
	"github.com/rxsse/rxsse/observable"
	"github.com/rxsse/rxsse/observable/hub"
	"github.com/rxsse/rxsse/transport"
)

// values gathers reg into name{label} -> value (counters, gauges, and
// histogram sample counts).
func values(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			key := f.GetName()
			for _, l := range m.GetLabel() {
				key += "{" + l.GetValue() + "}"
			}
			switch {
			case m.Counter != nil:
				out[key] = m.Counter.GetValue()
			case m.Gauge != nil:
				out[key] = m.Gauge.GetValue()
			case m.Histogram != nil:
				out[key] = float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return out
}

// puller is how the transport recognises a pulled Observable.
type puller interface {
	Pull(ctx context.Context) observable.Iterator
}

func TestRecorderCountsWhatTheHubDoes(t *testing.T) {
	reg := prometheus.NewRegistry()
	rec, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	h := hub.New(hub.WithObserver(rec), hub.WithBuffer(1),
		hub.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	ctx := t.Context()
	first, _ := h.Publish(ctx, encoder.MessageEvent{Data: "a"})
	a := h.Subscribe(first).(puller).Pull(ctx)  // replays nothing
	g := h.Subscribe("gone").(puller).Pull(ctx) // a gap, replays "a"
	left := h.Subscribe("").(puller).Pull(ctx)  // leaves
	stuck := h.Subscribe("").(puller).Pull(ctx) // never reads
	drain := func(its ...observable.Iterator) {
		for _, it := range its {
			for _, st := it.Next(); st == observable.Value; _, st = it.Next() {
			}
		}
	}
	drain(a, g)
	left.Close()
	h.Publish(ctx, encoder.MessageEvent{Data: "b"})
	drain(a, g)
	h.Publish(ctx, encoder.MessageEvent{Data: "c"}) // stuck is now 2 behind
	drain(stuck)                                    // and finds out it is cut off
	h.Close()
	got := values(t, reg)
	want := map[string]float64{
		"rxsse_hub_subscribers":                        0,
		"rxsse_hub_subscriptions_ended_total{cut_off}": 1,
		"rxsse_hub_subscriptions_ended_total{closed}":  2,
		"rxsse_hub_subscriptions_ended_total{left}":    1,
		"rxsse_hub_replays_total":                      1,
		"rxsse_hub_replayed_events_total":              1,
		"rxsse_hub_resume_gaps_total":                  1,
		"rxsse_hub_events_published_total":             3,
		"rxsse_hub_events_delivered_total":             0 + 3 + 3,
		"rxsse_hub_publish_duration_seconds":           3,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}

func TestTheRecorderCountsStreamsEventsAndBytesThroughTheTransport(t *testing.T) {
	reg := prometheus.NewRegistry()
	rec, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	var open float64
	h := transport.Handler(func(*http.Request) rxgo.Observable {
		return rxgo.Defer([]rxgo.Producer{func(_ context.Context, next chan<- rxgo.Item) {
			next <- rxgo.Of("a")
			next <- rxgo.Of("b")
			open = values(t, reg)["rxsse_streams_open"] // the stream is open by now
		}})
	}, transport.WithObserver(rec))
	ts := httptest.NewServer(h)
	resp, err := http.Get(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	ts.Close() // waits for the handler
	got := values(t, reg)
	if open != 1 || got["rxsse_streams_open"] != 0 {
		t.Errorf("open streams during %v, after %v; want 1 and 0", open, got["rxsse_streams_open"])
	}
	if got["rxsse_stream_events_written_total"] != 2 || got["rxsse_stream_bytes_written_total"] != float64(len(body)) {
		t.Errorf("events %v, bytes %v; want 2 and %d", got["rxsse_stream_events_written_total"], got["rxsse_stream_bytes_written_total"], len(body))
	}
}

func TestNewFailsOnADuplicateRegistration(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := metrics.New(reg); err != nil {
		t.Fatal(err)
	}
	if _, err := metrics.New(reg); err == nil {
		t.Error("second New on the same registry succeeded, want an error")
	}
}
