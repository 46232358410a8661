package transport_test

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/transport"
	"github.com/rxsse/rxsse/transport/ssetest"
)

// at emits one event after each delay, measured from the subscription,
// then waits for the subscription to end.
func at(delays ...time.Duration) rxgo.Observable { return emitAt(true, delays...) }

// emitAt is at, completing after the last event unless wait is set.
func emitAt(wait bool, delays ...time.Duration) rxgo.Observable {
	return rxgo.Defer([]rxgo.Producer{func(ctx context.Context, next chan<- rxgo.Item) {
		start := time.Now()
		for i, d := range delays {
			select {
			case <-time.After(time.Until(start.Add(d))):
			case <-ctx.Done():
				return
			}
			select {
			case next <- rxgo.Of(encoder.MessageEvent{Data: i}):
			case <-ctx.Done():
				return
			}
		}
		if wait {
			<-ctx.Done()
		}
	}})
}

// rawLines reads the body line by line, recording when each line arrived.
type rawLines struct {
	br    *bufio.Reader
	start time.Time
}

func (r rawLines) next(t *testing.T) (string, time.Duration) {
	t.Helper()
	line, err := r.br.ReadString('\n')
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return line, time.Since(r.start)
}

func TestHeadersAndTheFirstByteAreFlushedPromptly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := ssetest.NewServer(transport.Handler(func(*http.Request) rxgo.Observable { return at(time.Hour) }))
		defer srv.Close()
		start := time.Now()
		st, err := srv.Get(t.Context(), "/", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if got := time.Since(start); got != 0 {
			t.Errorf("headers arrived after %v, want at once although the first event is an hour away", got)
		}
		line, _ := rawLines{bufio.NewReader(st.Response.Body), start}.next(t)
		if line != "\n" {
			t.Errorf("first line = %q, want a lone newline", line)
		}
	})
}

func TestALoneEventGoesOutAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := ssetest.NewServer(transport.Handler(func(*http.Request) rxgo.Observable {
			return at(time.Second, 3*time.Second)
		}, transport.WithHeartbeat(0)))
		defer srv.Close()
		start := time.Now()
		st, err := srv.Get(t.Context(), "/", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		for i, want := range []time.Duration{time.Second, 3 * time.Second} {
			ev, err := st.Next()
			if err != nil {
				t.Fatal(err)
			}
			if got := time.Since(start); got != want || ev.Data != itoa(i) {
				t.Errorf("event %q arrived at %v, want %q at %v", ev.Data, got, itoa(i), want)
			}
		}
	})
}

func TestHeartbeatsFillIdleTimeAndEventsResetThem(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := ssetest.NewServer(transport.Handler(func(*http.Request) rxgo.Observable {
			return at(20 * time.Second)
		}, transport.WithHeartbeat(15*time.Second)))
		defer srv.Close()
		start := time.Now()
		st, err := srv.Get(t.Context(), "/", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		r := rawLines{bufio.NewReader(st.Response.Body), start}
		const wait = 0
		want := []struct {
			line string
			at   time.Duration
		}{
			{"\n", wait},
			{": heartbeat\n", wait + 15*time.Second}, {"\n", wait + 15*time.Second},
			{"id: 1\n", 20 * time.Second}, {"data: 0\n", 20 * time.Second}, {"\n", 20 * time.Second},
			{": heartbeat\n", 35 * time.Second}, {"\n", 35 * time.Second},
			{": heartbeat\n", 50 * time.Second},
		}
		for _, w := range want {
			line, when := r.next(t)
			if line != w.line || when != w.at {
				t.Errorf("got %q at %v, want %q at %v", line, when, w.line, w.at)
			}
		}
	})
}

func TestAStalledClientIsCutAfterTheWriteTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		logger, logs := newLogger()
		done := make(chan struct{})
		big := strings.Repeat("x", 64<<10)
		srv := ssetest.NewServer(transport.Handler(func(*http.Request) rxgo.Observable {
			return rxgo.Defer([]rxgo.Producer{func(ctx context.Context, next chan<- rxgo.Item) {
				defer close(done)
				for {
					select {
					case next <- rxgo.Of(big):
					case <-ctx.Done():
						return
					}
				}
			}})
		}, transport.WithWriteTimeout(10*time.Second), transport.WithLogger(logger)))
		defer srv.Close()
		start := time.Now()
		st, err := srv.Get(t.Context(), "/", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		// The client never reads the body.
		<-done
		if got := time.Since(start); got < 10*time.Second || got > 11*time.Second {
			t.Errorf("the subscription was disposed after %v, want just after the 10s write timeout", got)
		}
		srv.Close() // waits for the handler to return
		if !logs.Contains("level=INFO msg=\"sse: client stalled past the write timeout, stream cut\"") {
			t.Errorf("the cut was not logged: %s", logs)
		}
	})
}

// serverWriteTimeout does to each request what http.Server.WriteTimeout
// does on HTTP/1.x: once the request is read, it sets the connection's
// write deadline d ahead (net/http sets it on the connection itself, and
// ResponseController.SetWriteDeadline sets that same deadline).
func serverWriteTimeout(d time.Duration, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := http.NewResponseController(w).SetWriteDeadline(time.Now().Add(d)); err != nil {
			panic(err)
		}
		h.ServeHTTP(w, r)
	})
}

func TestServerWriteTimeoutDoesNotKillHealthyStreams(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var delays []time.Duration
		for i := 1; i <= 5; i++ {
			delays = append(delays, time.Duration(i)*2*time.Second)
		}
		srv := ssetest.NewServer(serverWriteTimeout(time.Second, transport.Handler(func(*http.Request) rxgo.Observable {
			return emitAt(false, delays...)
		})))
		defer srv.Close()
		st, err := srv.Get(t.Context(), "/", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		events := ssetest.Collect(t, st, 5)
		if events[4].LastEventID != "5" {
			t.Errorf("last event = %+v", events[4])
		}
		ssetest.ExpectEnd(t, st)
	})
}
