// Package nethttpapp is the bare net/http server of the load benchmark: no
// framework, written for speed, the ceiling for Go on this workload. It
// serves the same endpoints as the rxsse and NestJS servers.
package nethttpapp

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/rxsse/rxsse/loadtest/runtimestats"
)

// ringSize is how many recent ticks a /fanout client may lag behind before
// it skips ticks.
const ringSize = 64

// Tick is the period of the /fanout tick, 100 ms; the benchmark's idle runs
// set a longer one before New.
var Tick = 100 * time.Millisecond

// Server serves GET /sse, /firehose?n=N, /fanout, /debug/goroutines and
// /debug/runtime.
type Server struct {
	mux  *http.ServeMux
	stop context.CancelFunc
	done chan struct{}

	mu     sync.Mutex
	seq    uint64           // the last tick's sequence number
	frames [ringSize][]byte // the last ticks, encoded once, by seq % ringSize
	wake   chan struct{}    // closed and replaced at every tick
	closed bool
}

// New starts the server's tick publisher; Close stops it.
func New() *Server {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{mux: http.NewServeMux(), stop: cancel, done: make(chan struct{}), wake: make(chan struct{})}
	s.mux.HandleFunc("GET /sse", s.sse)
	s.mux.HandleFunc("GET /firehose", s.firehose)
	s.mux.HandleFunc("GET /fanout", s.fanout)
	s.mux.HandleFunc("GET /debug/goroutines", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, runtime.NumGoroutine())
	})
	s.mux.HandleFunc("GET "+runtimestats.Path, runtimestats.Handler) // the harness's memory readings
	go s.publish(ctx)
	return s
}

// ServeHTTP routes the request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Close stops the publisher and ends every /fanout stream.
func (s *Server) Close() error {
	s.stop()
	<-s.done
	s.mu.Lock()
	s.closed = true
	close(s.wake)
	s.mu.Unlock()
	return nil
}

// publish encodes one tick every Tick and wakes every /fanout client.
func (s *Server) publish(ctx context.Context) {
	defer close(s.done)
	t := time.NewTicker(Tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			s.mu.Lock()
			s.seq++
			f := s.frames[s.seq%ringSize][:0]
			f = append(f, "id: "...)
			f = strconv.AppendUint(f, s.seq, 10)
			f = append(f, "\ndata: {\"t\":"...)
			f = strconv.AppendInt(f, now.UnixMicro(), 10)
			f = append(f, ",\"seq\":"...)
			f = strconv.AppendUint(f, s.seq, 10)
			f = append(f, "}\n\n"...)
			s.frames[s.seq%ringSize] = f
			close(s.wake)
			s.wake = make(chan struct{})
			s.mu.Unlock()
		}
	}
}

// start writes the stream's headers and its first newline.
func start(w http.ResponseWriter) *http.ResponseController {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	w.Write([]byte{'\n'})
	rc.Flush()
	return rc
}

// sse is the seed: {"hello":"world"} every second.
func (s *Server) sse(w http.ResponseWriter, r *http.Request) {
	rc := start(w)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	buf := make([]byte, 0, 64)
	for id := uint64(1); ; id++ {
		select {
		case <-r.Context().Done():
			return
		case <-t.C:
		}
		buf = append(buf[:0], "id: "...)
		buf = strconv.AppendUint(buf, id, 10)
		buf = append(buf, "\ndata: {\"hello\":\"world\"}\n\n"...)
		if _, err := w.Write(buf); err != nil {
			return
		}
		if rc.Flush() != nil {
			return
		}
	}
}

// firehose writes n events {"hello":"world","i":i} in 32 KB writes.
func (s *Server) firehose(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.URL.Query().Get("n"))
	if err != nil || n < 0 || n > 100_000_000 {
		http.Error(w, "n: a count of events", http.StatusBadRequest)
		return
	}
	rc := start(w)
	const batch = 32 << 10
	buf := make([]byte, 0, batch+128)
	for i := 0; i < n; i++ {
		buf = append(buf, "id: "...)
		buf = strconv.AppendInt(buf, int64(i+1), 10)
		buf = append(buf, "\ndata: {\"hello\":\"world\",\"i\":"...)
		buf = strconv.AppendInt(buf, int64(i), 10)
		buf = append(buf, "}\n\n"...)
		if len(buf) >= batch {
			if _, err := w.Write(buf); err != nil {
				return
			}
			buf = buf[:0]
		}
	}
	if _, err := w.Write(buf); err != nil {
		return
	}
	rc.Flush()
}

// fanout writes every tick published after the client arrived; a client
// more than ringSize ticks behind skips to the oldest tick still kept.
func (s *Server) fanout(w http.ResponseWriter, r *http.Request) {
	rc := start(w)
	s.mu.Lock()
	last := s.seq
	s.mu.Unlock()
	var buf []byte
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return
		}
		wake, seq := s.wake, s.seq
		if seq-last > ringSize {
			last = seq - ringSize
		}
		buf = buf[:0]
		for q := last + 1; q <= seq; q++ {
			buf = append(buf, s.frames[q%ringSize]...)
		}
		s.mu.Unlock()
		last = seq
		if len(buf) > 0 {
			if _, err := w.Write(buf); err != nil {
				return
			}
			if rc.Flush() != nil {
				return
			}
		}
		select {
		case <-wake:
		case <-r.Context().Done():
			return
		}
	}
}
