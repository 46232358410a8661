package eventsource_test

import (
	"errors"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rxsse/rxsse/transport/eventsource"
)

// These tests play a hostile or broken server: each tries to hold the
// client, or to make it spend without bound, and the client must cut it
// off with a typed error and go on as usual.

func TestAServersRetryIsCappedAtTheBackoffCapOrAMinute(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []eventsource.Option
		want time.Duration
	}{
		{"by default a minute", nil, time.Minute},
		{"a longer backoff cap", []eventsource.Option{eventsource.WithBackoff(5 * time.Minute)}, 5 * time.Minute},
		{"backoff off, still a minute", []eventsource.Option{eventsource.WithBackoff(0)}, time.Minute},
		{"a shorter backoff cap, still a minute", []eventsource.Option{eventsource.WithBackoff(time.Second)}, time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				// A day, in milliseconds, then the end of the response.
				cs := newConnServer(send("retry: 86400000\ndata: a\n\n"), hold("data: b\n\n"))
				srv := serve(t, cs)
				w := newWatcher()
				opts := append([]eventsource.Option{eventsource.WithClient(srv.Client()),
					eventsource.WithOnError(w.onError), eventsource.WithJitter(identity)}, tc.opts...)
				items := eventsource.Observe(t.Context(), srv.URL, opts...).Observe()
				nextEvent(t, items)
				if r := w.nextError(t); !errors.Is(r.err, eventsource.ErrStreamEnded) || r.retryIn != tc.want {
					t.Errorf("reported %v, retry in %v; want ErrStreamEnded, retry in %v", r.err, r.retryIn, tc.want)
				}
				if ev := nextEvent(t, items); ev.Data != "b" {
					t.Fatalf("got %+v", ev)
				}
				reqs := cs.requests()
				if gap := reqs[1].at.Sub(reqs[0].at); gap != tc.want {
					t.Errorf("reconnected after %v, want %v", gap, tc.want)
				}
			})
		})
	}
}

func TestWithRetryIsNotCapped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs := newConnServer(send("data: a\n\n"), hold("data: b\n\n"))
		srv := serve(t, cs)
		w := newWatcher()
		items := eventsource.Observe(t.Context(), srv.URL, eventsource.WithClient(srv.Client()),
			eventsource.WithOnError(w.onError), eventsource.WithRetry(5*time.Minute)).Observe()
		nextEvent(t, items)
		if r := w.nextError(t); r.retryIn != 5*time.Minute {
			t.Errorf("retry in %v, want the 5m of WithRetry", r.retryIn)
		}
		nextEvent(t, items)
	})
}

var _ = http.StatusOK
