// Package rxsseapp is the rxsse server of the load benchmark, written the
// way the README teaches users: a controller with @Sse-style routes, sources
// from package observable with a Map, and a hub.Broker for the
// broadcast: the in-memory hub by default, a natshub.Broker to scale out
// (only the constructor differs). It is never tuned for the benchmark: it
// measures the framework as users get it.
package rxsseapp

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/controller"
	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/loadtest/runtimestats"
	"github.com/rxsse/rxsse/observable"
	"github.com/rxsse/rxsse/observable/hub"
	"github.com/rxsse/rxsse/transport"
)

// hello is the data of the seed's events.
type hello struct {
	Hello string `json:"hello"`
}

// numbered is the data of the firehose's events.
type numbered struct {
	Hello string `json:"hello"`
	I     int    `json:"i"`
}

// tick is the data of the shared fan-out tick: the send time in
// microseconds and a sequence number from 1.
type tick struct {
	T   int64  `json:"t"`
	Seq uint64 `json:"seq"`
}

// Tick is the period of the shared fan-out tick, 100 ms; the benchmark's
// idle runs set a longer one before New.
var Tick = 100 * time.Millisecond

// Parking is what the /fanout route passes to transport.WithParking: on, as
// the README teaches for a broadcast route; the benchmark turns it off to
// measure the goroutine path.
var Parking = true

// App is the benchmark's controller. Its broker carries one tick every
// Tick.
type App struct {
	ticks hub.Broker
	stop  context.CancelFunc
	done  chan struct{}
}

// New starts the app on the in-memory hub, with its tick publisher; Close
// stops it.
func New() *App { return NewWithBroker(hub.New(), true) }

// NewWithBroker starts the app on broker, which Close closes. With publish
// it publishes the tick every Tick through broker; instances sharing one
// broker's stream (natshub) serve the ticks one of them publishes.
func NewWithBroker(broker hub.Broker, publish bool) *App {
	ctx, cancel := context.WithCancel(context.Background())
	a := &App{ticks: broker, stop: cancel, done: make(chan struct{})}
	if publish {
		go a.publish(ctx)
	} else {
		close(a.done)
	}
	return a
}

// publish publishes the shared tick every Tick until ctx is done. The
// tick carries the time it was due: its latency includes the publish (with
// NATS, the store's acknowledgement).
func (a *App) publish(ctx context.Context) {
	defer close(a.done)
	t := time.NewTicker(Tick)
	defer t.Stop()
	var seq uint64
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			seq++
			_, _ = a.ticks.Publish(ctx, encoder.MessageEvent{Data: tick{T: now.UnixMicro(), Seq: seq}})
		}
	}
}

// Close stops the tick publisher and closes the broker, which ends every
// /fanout stream.
func (a *App) Close() error {
	a.stop()
	<-a.done
	return a.ticks.Close()
}

// Handler returns the app mounted on a chi router.
func (a *App) Handler() http.Handler {
	r := chi.NewRouter()
	controller.Mount(r, a)
	return r
}

// Routes declares the benchmark's endpoints.
func (a *App) Routes(r controller.Router) {
	r.Sse("/sse", a.sse)                                       // @Sse('sse')
	r.SseE("/firehose", a.firehose)                            // @Sse('firehose'), async: n is checked first
	r.Sse("/fanout", a.fanout, transport.WithParking(Parking)) // @Sse('fanout'), a broadcast route: parked
	r.Get("/debug/goroutines", goroutines)
	r.Get(runtimestats.Path, runtimestats.Handler) // the harness's memory readings
}

// sse is the seed: {"hello":"world"} every second.
func (*App) sse(*http.Request) rxgo.Observable {
	return observable.Interval(time.Second).
		Map(func(context.Context, any) (any, error) {
			return encoder.MessageEvent{Data: hello{Hello: "world"}}, nil
		})
}

// firehose sends n events {"hello":"world","i":i} as fast as it can, then
// completes.
func (*App) firehose(r *http.Request) (rxgo.Observable, error) {
	n, err := strconv.Atoi(r.URL.Query().Get("n"))
	if err != nil || n < 0 || n > 100_000_000 {
		return nil, transport.NewHTTPError(http.StatusBadRequest, "n: a count of events")
	}
	return observable.Range(0, n).
		Map(func(_ context.Context, v any) (any, error) {
			return encoder.MessageEvent{Data: numbered{Hello: "world", I: v.(int)}}, nil
		}), nil
}

// fanout streams the shared tick.
func (a *App) fanout(r *http.Request) rxgo.Observable {
	return a.ticks.Subscribe(transport.LastEventID(r))
}

// goroutines serves the process's goroutine count as plain text.
func goroutines(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, runtime.NumGoroutine())
}
