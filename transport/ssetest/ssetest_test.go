package ssetest_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/reactivex/rxgo/v2"
	"go.uber.org/goleak"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/transport"
	"github.com/rxsse/rxsse/transport/ssetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// everySecond is a cold one-second interval.
func everySecond(ctx context.Context, next chan<- rxgo.Item) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for i := 1; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			select {
			case next <- rxgo.Of(encoder.MessageEvent{Data: fmt.Sprintf("tick %d", i)}):
			case <-ctx.Done():
				return
			}
		}
	}
}

func TestTenVirtualSecondsOfIntervalInMilliseconds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := ssetest.NewServer(transport.Handler(func(*http.Request) rxgo.Observable {
			return rxgo.Defer([]rxgo.Producer{everySecond})
		}))
		defer srv.Close()
		start := time.Now()
		st, err := srv.Get(t.Context(), "/ticks", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if !st.IsEventStream() {
			t.Fatalf("not an event stream: %d %s", st.Response.StatusCode, st.Response.Header.Get("Content-Type"))
		}
		for i := 1; i <= 10; i++ {
			ssetest.ExpectEvents(t, st, encoder.Event{Type: "message", Data: fmt.Sprintf("tick %d", i), LastEventID: fmt.Sprint(i)})
			if got := time.Since(start); got != time.Duration(i)*time.Second {
				t.Errorf("event %d arrived at %v of virtual time", i, got)
			}
		}
		// At ten seconds there is no eleventh event yet.
		synctest.Wait()
		if got := time.Since(start); got != 10*time.Second {
			t.Errorf("virtual clock at %v after ten events", got)
		}
	})
}

func TestCloseEndsOpenStreams(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := ssetest.NewServer(transport.Handler(func(*http.Request) rxgo.Observable {
			return rxgo.Defer([]rxgo.Producer{everySecond})
		}))
		st, err := srv.Get(t.Context(), "/", nil)
		if err != nil {
			t.Fatal(err)
		}
		ssetest.Collect(t, st, 2)
		// Connections are synchronous pipes with no socket buffer: the
		// end of the response is written only while someone reads it.
		ended := make(chan struct{})
		go func() {
			defer close(ended)
			ssetest.ExpectEnd(t, st)
		}()
		srv.Close()
		<-ended
		st.Close()
	})
}

func TestDoSendsMethodBodyAndHeaders(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := ssetest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			buf := new(strings.Builder)
			_, _ = fmt.Fprintf(buf, "%s %s accept=%s last=%s", r.Method, r.URL.Path, r.Header.Get("Accept"), r.Header.Get("Last-Event-ID"))
			transport.Handler(func(*http.Request) rxgo.Observable { return rxgo.Just(buf.String())() }).ServeHTTP(w, r)
		}))
		defer srv.Close()
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/rooms/a", strings.NewReader("{}"))
		req.Header.Set("Last-Event-ID", "9")
		st, err := srv.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		ssetest.ExpectEvents(t, st, encoder.Event{Type: "message", Data: "POST /rooms/a accept=text/event-stream last=9", LastEventID: "1"})
		ssetest.ExpectEnd(t, st)
	})
}

func TestEventsIteratesToTheEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := ssetest.NewServer(transport.Handler(func(*http.Request) rxgo.Observable { return rxgo.Just("a", "b", "c")() }))
		defer srv.Close()
		st, err := srv.Get(t.Context(), "/", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		var data []string
		for ev, err := range st.Events() {
			if err != nil {
				t.Fatal(err)
			}
			data = append(data, ev.Data)
		}
		if strings.Join(data, ",") != "a,b,c" {
			t.Errorf("events = %v", data)
		}
	})
}

// TestAssertionsCanFail runs the assertions against a recorder, to show
// they report what they should.
func TestAssertionsCanFail(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := ssetest.NewServer(transport.Handler(func(*http.Request) rxgo.Observable { return rxgo.Just("a")() }))
		defer srv.Close()
		st, err := srv.Get(t.Context(), "/", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		rec := &recorder{TB: t}
		ssetest.ExpectEvents(rec, st, encoder.Event{Type: "message", Data: "b", LastEventID: "1"})
		if !rec.failed {
			t.Errorf("ExpectEvents accepted a wrong event")
		}
		rec = &recorder{TB: t}
		st2, err := srv.Get(t.Context(), "/", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer st2.Close()
		ssetest.ExpectEnd(rec, st2)
		if !rec.failed {
			t.Errorf("ExpectEnd accepted a stream with an event left")
		}
	})
}

type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true }
func (r *recorder) Helper()               {}

func TestCloseCutsAStreamNobodyReadsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := ssetest.NewServer(transport.Handler(func(*http.Request) rxgo.Observable {
			return rxgo.Just(strings.Repeat("x", 64<<10))()
		}, transport.WithWriteTimeout(time.Hour)))
		st, err := srv.Get(t.Context(), "/", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		synctest.Wait() // the handler is blocked writing to a client that does not read
		start := time.Now()
		srv.Close()
		if d := time.Since(start); d > time.Second {
			t.Errorf("Close took %v with a stream nobody reads, want well under a second", d)
		}
	})
}
