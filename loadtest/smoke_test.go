package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rxsse/rxsse/loadtest/nethttpapp"
	"github.com/rxsse/rxsse/loadtest/rxsseapp"
	"github.com/rxsse/rxsse/transport"
)

// serve serves h on 127.0.0.1 until the test ends and returns its address.
// The server is shut down (streams cancelled) before closeApp runs.
func serve(t *testing.T, h http.Handler, closeApp func() error) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	transport.CancelOnShutdown(srv)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		<-done
		if err := closeApp(); err != nil {
			t.Errorf("closing the app: %v", err)
		}
	})
	return ln.Addr().String()
}

// serveRxsse serves the benchmark's rxsse app.
func serveRxsse(t *testing.T) string {
	app := rxsseapp.New()
	return serve(t, app.Handler(), app.Close)
}

// roundTrip writes res as its result line, checks that it is one line of
// JSON with the fields every mode has, and returns it decoded.
func roundTrip(t *testing.T, res Result) map[string]any {
	t.Helper()
	var buf bytes.Buffer
	if err := res.WriteLine(&buf); err != nil {
		t.Fatal(err)
	}
	line := buf.String()
	if strings.Count(line, "\n") != 1 || !strings.HasSuffix(line, "\n") {
		t.Fatalf("result is not one line: %q", line)
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatalf("result line is not JSON: %v: %s", err, line)
	}
	for _, k := range []string{"mode", "ok", "seconds", "failed"} {
		if _, ok := m[k]; !ok {
			t.Errorf("result line has no %q: %s", k, line)
		}
	}
	if m["mode"] != res.Mode {
		t.Errorf("mode = %v, want %s", m["mode"], res.Mode)
	}
	return m
}

func TestSmokeFirehose(t *testing.T) {
	addr := serveRxsse(t)
	res := Firehose(t.Context(), FirehoseConfig{Addr: addr, Stack: "rxsse", N: 2000, Timeout: 30 * time.Second, PID: os.Getpid()})
	m := roundTrip(t, res)
	if !res.OK || res.Events != 2000 || res.Invalid != 0 {
		t.Fatalf("firehose: %+v", res)
	}
	if res.EventsPerSec <= 0 || res.MBPerSec <= 0 || res.TTFEMillis <= 0 {
		t.Errorf("firehose measured nothing: %+v", res)
	}
	if m["events"] != float64(2000) {
		t.Errorf("events in the line = %v", m["events"])
	}
}

func TestSmokeFanout(t *testing.T) {
	addr := serveRxsse(t)
	res := Fanout(t.Context(), FanoutConfig{
		Addr: addr, Stack: "rxsse", Clients: 5, Ramp: 100 * time.Millisecond,
		Settle: 300 * time.Millisecond, Window: time.Second, PID: os.Getpid(),
	})
	roundTrip(t, res)
	if !res.OK || res.Connected != 5 || res.Failed != 0 || res.Dropped != 0 || res.Gaps != 0 || res.Reordered != 0 {
		t.Fatalf("fanout: %+v", res)
	}
	if res.MinClientEvents < 1 || res.LatencyP99 <= 0 || res.LatencyMax < res.LatencyP50 || res.TicksPerSec <= 0 {
		t.Errorf("fanout measured nothing: %+v", res)
	}
	if res.ServerRSSAfterK <= 0 {
		t.Errorf("no RSS read from /proc: %+v", res)
	}
	if res.GoroutinesAtEnd < res.Connected || res.HeapGoalKB <= 0 {
		t.Errorf("no runtime figures from GET /debug/runtime: %+v", res)
	}
}

func TestSmokeChurn(t *testing.T) {
	addr := serveRxsse(t)
	res := Churn(t.Context(), ChurnConfig{Addr: addr, Stack: "rxsse", Parallel: 4, Duration: time.Second, PID: os.Getpid()})
	roundTrip(t, res)
	if !res.OK || res.Connects == 0 || res.Failed != 0 {
		t.Fatalf("churn: %+v", res)
	}
	if res.GoroutinesBefore <= 0 || !res.GoroutinesSettled {
		t.Errorf("goroutines not back to the baseline: %+v", res)
	}
}

// The same modes against the bare net/http server, which the benchmark
// compares with.
func TestSmokeNetHTTP(t *testing.T) {
	app := nethttpapp.New()
	addr := serve(t, app, app.Close)
	if res := Firehose(t.Context(), FirehoseConfig{Addr: addr, N: 5000}); !res.OK || res.Events != 5000 {
		t.Errorf("firehose: %+v", res)
	}
	res := Fanout(t.Context(), FanoutConfig{Addr: addr, Clients: 3, Settle: 300 * time.Millisecond, Window: 500 * time.Millisecond})
	if !res.OK || res.Connected != 3 || res.Gaps != 0 || res.MinClientEvents < 1 {
		t.Errorf("fanout: %+v", res)
	}
	if res.GoroutinesAtEnd < res.Connected || res.HeapGoalKB <= 0 {
		t.Errorf("no runtime figures from GET /debug/runtime: %+v", res)
	}
	if res := Churn(t.Context(), ChurnConfig{Addr: addr, Parallel: 2, Duration: 300 * time.Millisecond}); !res.OK || !res.GoroutinesSettled {
		t.Errorf("churn: %+v", res)
	}
}

// rawServer serves body as a chunked text/event-stream response to
// GET /firehose.
func rawServer(t *testing.T, body string) string {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /firehose", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.(http.Flusher).Flush()
		w.Write([]byte(body))
	})
	return serve(t, mux, func() error { return nil })
}

// The validation fails when it should: wrong ids, wrong data, too few
// events.
func TestFirehoseValidates(t *testing.T) {
	good := "\nid: 1\ndata: {\"hello\":\"world\",\"i\":0}\n\n: a comment\n\nevent: message\nid: 2\ndata: { \"i\": 1, \"hello\": \"world\" }\n\n"
	for _, tc := range []struct {
		name, body string
		n          int
		ok         bool
		invalid    int64
	}{
		{"good, other JSON spelling", good, 2, true, 0},
		{"too few", good, 3, false, 0},
		{"wrong id", "id: 7\ndata: {\"hello\":\"world\",\"i\":0}\n\n", 1, false, 1},
		{"wrong i", "id: 1\ndata: {\"hello\":\"world\",\"i\":5}\n\n", 1, false, 1},
		{"not JSON", "id: 1\ndata: {\"hello\":\"world\",\"i\":0\n\n", 1, false, 1},
		{"no id", "data: {\"hello\":\"world\",\"i\":0}\n\n", 1, false, 1},
		{"CRLF lines", "id: 1\r\ndata: {\"hello\":\"world\",\"i\":0}\r\n\r\n", 1, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := rawServer(t, tc.body)
			res := Firehose(t.Context(), FirehoseConfig{Addr: addr, N: tc.n, Timeout: 10 * time.Second})
			if res.OK != tc.ok || res.Invalid != tc.invalid {
				t.Errorf("got ok %v, invalid %d (%s); want ok %v, invalid %d", res.OK, res.Invalid, res.Error, tc.ok, tc.invalid)
			}
		})
	}
}

func TestNotAStream(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /firehose", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "no", http.StatusTeapot) })
	addr := serve(t, mux, func() error { return nil })
	if res := Firehose(t.Context(), FirehoseConfig{Addr: addr, N: 1}); res.OK || !strings.Contains(res.Error, "418") {
		t.Errorf("got %+v, want a failed run naming the status", res)
	}
	if res := Fanout(t.Context(), FanoutConfig{Addr: addr, Clients: 2, Settle: 200 * time.Millisecond, Window: 100 * time.Millisecond}); res.OK || res.Failed != 2 {
		t.Errorf("got %+v, want 2 failed connections", res)
	}
}

func TestParseTick(t *testing.T) {
	for _, tc := range []struct {
		in     string
		t, seq uint64
		ok     bool
	}{
		{`{"t":1796036407888134,"seq":1}`, 1796036407888134, 1, true},
		{`{"seq":7, "t":12}`, 12, 7, true},
		{`{"t":12,"seq":0}`, 0, 0, false},
		{`{"t":12}`, 0, 0, false},
		{`{"t":12,"seq":3`, 0, 0, false},
		{`hello`, 0, 0, false},
	} {
		tt, seq, ok := parseTick([]byte(tc.in))
		if tt != tc.t || seq != tc.seq || ok != tc.ok {
			t.Errorf("parseTick(%s) = %d, %d, %v; want %d, %d, %v", tc.in, tt, seq, ok, tc.t, tc.seq, tc.ok)
		}
	}
}
