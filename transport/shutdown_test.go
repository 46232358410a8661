package transport_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/transport"
)

func TestServeEndsStreamsAtOnceAndDrainsOrdinaryRequests(t *testing.T) {
	streamEnded := make(chan struct{})
	postStarted, release := make(chan struct{}), make(chan struct{})
	mux := http.NewServeMux()
	mux.Handle("GET /events", transport.Handler(func(*http.Request) rxgo.Observable { return idle(streamEnded) }))
	mux.HandleFunc("POST /messages", func(w http.ResponseWriter, r *http.Request) {
		close(postStarted)
		<-release
		if err := r.Context().Err(); err != nil {
			http.Error(w, "cancelled: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "stored")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- transport.Serve(ctx, &http.Server{Handler: mux}, ln) }()
	url := "http://" + ln.Addr().String()

	stream := get(t, url+"/events", nil)
	posted := make(chan string, 1)
	go func() {
		resp, err := http.Post(url+"/messages", "text/plain", strings.NewReader("hi"))
		if err != nil {
			posted <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		posted <- resp.Status + " " + string(b)
	}()
	<-postStarted

	stop()
	// The stream ends while the POST is still in its handler.
	if got := body(t, stream); got != "\n" {
		t.Errorf("stream body %q, want a clean end", got)
	}
	<-streamEnded
	close(release)
	if got := <-posted; got != "200 OK stored" {
		t.Errorf("the POST in flight got %q, want it to finish normally", got)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
}

func TestServeReturnsTheListenerError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	if err := transport.Serve(t.Context(), &http.Server{}, ln); err == nil {
		t.Error("Serve on a closed listener returned nil")
	}
}
