package eventsource_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
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
					eventsource.WithOnError(w.onError)}, tc.opts...)
				items := eventsource.Observe(t.Context(), srv.URL, opts...).Observe()
				nextEvent(t, items)
				if r := w.nextError(t); !errors.Is(r.err, io.EOF) || r.retryIn != tc.want {
					t.Errorf("reported %v, retry in %v; want io.EOF, retry in %v", r.err, r.retryIn, tc.want)
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

// trickle opens an event stream and sends one byte of a line that never
// ends every 50 ms, until the client leaves.
func trickle(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_, _ = io.WriteString(w, "data: ")
	for {
		if rc.Flush() != nil {
			return
		}
		select {
		case <-time.After(50 * time.Millisecond): // virtual time: the server's pace
		case <-r.Context().Done():
			return
		}
		if _, err := io.WriteString(w, "x"); err != nil {
			return
		}
	}
}

func TestTheReadTimeoutDropsAServerThatTricklesBytesButEndsNoLine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs := newConnServer(trickle, hold("data: back\n\n"))
		srv := serve(t, cs)
		w := newWatcher()
		items := eventsource.Observe(t.Context(), srv.URL, eventsource.WithClient(srv.Client()),
			eventsource.WithReadTimeout(3*time.Second), eventsource.WithRetry(time.Second),
			eventsource.WithOnOpen(w.onOpen), eventsource.WithOnError(w.onError)).Observe()
		opened := <-w.opens
		r := w.nextError(t)
		if !errors.Is(r.err, eventsource.ErrReadTimeout) {
			t.Fatalf("reported %v, want ErrReadTimeout", r.err)
		}
		if d := time.Since(opened); d != 3*time.Second {
			t.Errorf("dropped %v after the stream opened, want the 3s read timeout", d)
		}
		if ev := nextEvent(t, items); ev.Data != "back" {
			t.Fatalf("got %+v", ev)
		}
	})
}

// inflating returns a handler that answers with a gzip-encoded event
// stream whose body inflates to n MiB of text repeated, made of gzip
// members that each inflate to 1 MiB. written counts the MiB sent; the
// server cannot get ahead of the client, since an in-memory connection has
// no buffer.
func inflating(text string, n int, written *atomic.Int64) http.HandlerFunc {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = zw.Write(bytes.Repeat([]byte(text), (1<<20)/len(text)))
	_ = zw.Close()
	member := buf.Bytes()
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Content-Encoding", "gzip")
		w.WriteHeader(http.StatusOK)
		rc := http.NewResponseController(w)
		for range n {
			if _, err := w.Write(member); err != nil || rc.Flush() != nil {
				return
			}
			written.Add(1)
		}
	}
}

func TestAFloodOfBytesWithoutAnEventIsCutOff(t *testing.T) {
	for _, tc := range []struct{ name, text string }{
		{"blank lines", "\n"},
		{"comment blocks", ":\n\n"},
		{"blocks without data", "id: 1\n\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var written atomic.Int64
				// A compression bomb: 65 MiB of tc.text in about 65 KiB.
				cs := newConnServer(inflating(tc.text, 65, &written), hold("data: back\n\n"))
				srv := serve(t, cs)
				w := newWatcher()
				items := eventsource.Observe(t.Context(), srv.URL, eventsource.WithClient(srv.Client()),
					eventsource.WithMaxEventSize(64<<10), eventsource.WithOnError(w.onError)).Observe()
				r := w.nextError(t)
				if !errors.Is(r.err, eventsource.ErrReadLimit) || !strings.Contains(r.err.Error(), "1048576 bytes") {
					t.Errorf("reported %v, want ErrReadLimit after 1 MiB", r.err)
				}
				// The bound is 1 MiB (WithMaxEventSize's 64 KiB is below the
				// floor); the rest is what the connection holds in flight.
				if n := written.Load(); n > 4 {
					t.Errorf("the server sent %d MiB before the client dropped it, want at most 4", n)
				}
				if ev := nextEvent(t, items); ev.Data != "back" {
					t.Fatalf("got %+v", ev)
				}
			})
		})
	}
}
