package transport_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/transport"
	"github.com/rxsse/rxsse/transport/ssetest"
)

// returns wraps h so that wg.Done is called each time a response ends.
func returns(h http.Handler, wg *sync.WaitGroup) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer wg.Done()
		h.ServeHTTP(w, r)
	})
}

func TestHEADGetsTheHeadersAndNoSubscription(t *testing.T) {
	var subscribed atomic.Int32
	sse := transport.Handler(func(*http.Request) rxgo.Observable {
		return rxgo.Defer([]rxgo.Producer{func(ctx context.Context, _ chan<- rxgo.Item) {
			subscribed.Add(1)
			<-ctx.Done()
		}})
	})
	mux := http.NewServeMux()
	mux.Handle("GET /sse", sse) // ServeMux answers HEAD with a GET route
	r := chi.NewRouter()
	r.Use(middleware.GetHead)
	r.Get("/sse", sse.ServeHTTP)
	for name, router := range map[string]http.Handler{"http.ServeMux": mux, "chi with middleware.GetHead": r} {
		t.Run(name, func(t *testing.T) {
			var done sync.WaitGroup
			done.Add(1)
			ts := serve(t, returns(router, &done))
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodHead, ts.URL+"/sse", nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
				t.Errorf("HEAD: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			done.Wait() // the handler returned by itself
			if n := subscribed.Load(); n != 0 {
				t.Errorf("HEAD subscribed %d times, want 0", n)
			}
		})
	}
}

func TestARequestWithAnUnsentBodyGetsItsHeadersAndEndsWhenTheClientHangsUp(t *testing.T) {
	const clients = 200
	var done sync.WaitGroup
	done.Add(clients)
	ts := serve(t, returns(transport.Handler(func(*http.Request) rxgo.Observable { return idle(nil) },
		transport.WithHeartbeat(0)), &done))
	declared := []string{"Content-Length: 100", "Transfer-Encoding: chunked"}
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range clients {
		c, err := net.Dial("tcp", ts.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		// The body is declared and never sent.
		fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\n%s\r\n\r\n", declared[i%2])
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
			t.Fatalf("client %d: %d %q", i, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	for _, c := range conns {
		c.Close()
	}
	done.Wait() // every stream noticed its client hang up; goleak checks the rest
}

// smallSendBuffer shrinks the send buffer of every accepted connection, so a
// client that stops reading blocks the server's writes quickly.
type smallSendBuffer struct{ net.Listener }

func (l smallSendBuffer) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(4 << 10)
	}
	return c, err
}

type openedSignal struct {
	countingObserver
	opened chan struct{}
}

func (o *openedSignal) StreamOpened(*http.Request) { o.opened <- struct{}{} }

func TestAStalledClientDoesNotHoldShutdown(t *testing.T) {
	huge := strings.Repeat("x", 3<<20)
	obs := &openedSignal{opened: make(chan struct{}, 8)}
	var stalledFeed *feed
	healthy := transport.Handler(func(*http.Request) rxgo.Observable { return idle(nil) })
	stalled := transport.Handler(func(*http.Request) rxgo.Observable {
		stalledFeed = newFeed()
		stalledFeed.push(huge, huge, huge)
		return stalledFeed
	}, transport.WithObserver(obs), transport.WithWriteTimeout(time.Hour))
	mux := http.NewServeMux()
	mux.Handle("/healthy", healthy)
	mux.Handle("/stalled", stalled)
	ts := httptest.NewUnstartedServer(mux)
	ts.Listener = smallSendBuffer{ts.Listener}
	transport.CancelOnShutdown(ts.Config)
	ts.Start()
	defer ts.Close()

	var bodies []*http.Response
	for range 3 {
		resp := get(t, ts.URL+"/healthy", nil)
		bodies = append(bodies, resp)
	}
	c, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.(*net.TCPConn).SetReadBuffer(4 << 10)
	fmt.Fprintf(c, "GET /stalled HTTP/1.1\r\nHost: x\r\n\r\n") // and never reads
	<-obs.opened                                               // the handler is writing 3 MiB

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := ts.Config.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown with a stalled client: %v after %v", err, time.Since(start))
	}
	for i, resp := range bodies {
		if got, err := io.ReadAll(resp.Body); err != nil || string(got) != "\n" {
			t.Errorf("healthy client %d: %q, %v; want a clean end", i, got, err)
		}
	}
}

func TestAnIdleHTTP2StreamOutlivesTheWriteTimeout(t *testing.T) {
	ts := httptest.NewUnstartedServer(transport.Handler(func(*http.Request) rxgo.Observable {
		return emitAt(false, 0, 300*time.Millisecond) // idle for six write timeouts
	}, transport.WithWriteTimeout(50*time.Millisecond), transport.WithHeartbeat(0)))
	ts.EnableHTTP2 = true
	ts.StartTLS()
	defer ts.Close()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, ts.URL, nil)
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Fatalf("served over %s", resp.Proto)
	}
	got, err := io.ReadAll(resp.Body)
	if err != nil || string(got) != "\nid: 1\ndata: 0\n\nid: 2\ndata: 1\n\n" {
		t.Errorf("body %q, %v; want both events and a clean end", got, err)
	}
}

func TestAShutdownAfterALongIdleEndsHTTP1StreamsCleanly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := ssetest.NewServer(transport.Handler(func(*http.Request) rxgo.Observable { return idle(nil) },
			transport.WithWriteTimeout(time.Second), transport.WithHeartbeat(0)))
		st, err := srv.Get(t.Context(), "/", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		type result struct {
			body string
			err  error
		}
		read := make(chan result)
		go func() {
			b, err := io.ReadAll(st.Response.Body)
			read <- result{string(b), err}
		}()
		time.Sleep(time.Minute) // virtual: idle for a minute, far past the write timeout
		srv.Close()
		if r := <-read; r.err != nil || r.body != "\n" {
			t.Errorf("body %q, %v; want a clean end", r.body, r.err)
		}
	})
}

func TestLoggedInputIsBoundedAndDisconnectsAreDebug(t *testing.T) {
	logger, logs := newLogger()
	var done sync.WaitGroup
	done.Add(1)
	ts := serve(t, returns(transport.Handler(func(*http.Request) rxgo.Observable {
		return ticks(time.Millisecond, nil)
	}, transport.WithLogger(logger)), &done))
	long := strings.Repeat("7", 64<<10)
	resp := get(t, ts.URL+"/"+strings.Repeat("p", 4096), http.Header{"Last-Event-ID": {long}})
	if _, err := encoder.NewDecoder(resp.Body).Decode(); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close() // an ordinary disconnect
	done.Wait()
	out := logs.String()
	if !strings.Contains(out, "last_event_id=") {
		t.Fatalf("the stream's start was not logged: %s", out)
	}
	for line := range strings.Lines(out) {
		if len(line) > 1024 {
			t.Errorf("a log line of %d bytes: %.200s...", len(line), line)
		}
		if !strings.Contains(line, "level=DEBUG") {
			t.Errorf("an ordinary stream logged above Debug: %s", line)
		}
	}
}

func TestAStreamDiscardsABoundedUnreadBody(t *testing.T) {
	var done sync.WaitGroup
	done.Add(1)
	ts := serve(t, returns(transport.Handler(func(*http.Request) rxgo.Observable { return idle(nil) },
		transport.WithHeartbeat(0)), &done))
	c, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const size = 1 << 20 // four times what a stream discards
	fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", size)
	go func() { _, _ = c.Write(make([]byte, size)) }() // fails once the server hangs up
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	// The stream ends by itself once the body passes the bound.
	if _, err := io.ReadAll(resp.Body); err != nil {
		t.Fatalf("the stream did not end cleanly: %v", err)
	}
	done.Wait()
}
