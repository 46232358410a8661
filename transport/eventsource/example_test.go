package eventsource_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/transport/eventsource"
)

func ExampleObserve() {
	// A server that sends two events and ends the response; when the client
	// comes back, it answers 204 No Content, the way a server tells an
	// EventSource to stop for good.
	var mu sync.Mutex
	var resumedFrom []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		resumedFrom = append(resumedFrom, r.Header.Get("Last-Event-ID"))
		if len(resumedFrom) > 1 {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "retry: 250\n\nid: 1\nevent: greeting\ndata: hello\n\nid: 2\ndata: two\ndata: lines\n\n")
	}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var status []string // written by the callbacks, read once the stream is over
	events := eventsource.Observe(ctx, srv.URL,
		eventsource.WithOnOpen(func() { status = append(status, "open") }),
		eventsource.WithOnError(func(err error, retryIn time.Duration) {
			status = append(status, fmt.Sprintf("%v; reconnecting in %v", err, retryIn))
		}),
	)
	for item := range events.Observe() {
		if item.E != nil {
			fmt.Println("stopped:", item.E) // the last item
			continue
		}
		ev := item.V.(encoder.Event)
		fmt.Printf("%s %q (last id %s)\n", ev.Type, ev.Data, ev.LastEventID)
	}
	fmt.Printf("status: %q\n", status)
	fmt.Printf("Last-Event-ID of each request: %q\n", resumedFrom)
	// Output:
	// greeting "hello" (last id 1)
	// message "two\nlines" (last id 2)
	// stopped: eventsource: unexpected status 204 No Content
	// status: ["open" "EOF; reconnecting in 250ms"]
	// Last-Event-ID of each request: ["" "2"]
}

func ExampleObserveRequest() {
	// A POST stream: the server reads what to stream from the body, which
	// the client sends again on every reconnect, with Last-Event-ID.
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, fmt.Sprintf("%s %s Last-Event-ID=%q", r.Method, body, r.Header.Get("Last-Event-ID")))
		if len(seen) > 1 {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "retry: 250\nid: 1\ndata: subscribed to %s\n\n", body)
	}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/subscribe", strings.NewReader(`{"room":"7"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	for item := range eventsource.ObserveRequest(ctx, req).Observe() {
		if item.E != nil {
			fmt.Println("stopped:", item.E)
			continue
		}
		fmt.Println(item.V.(encoder.Event).Data)
	}
	fmt.Printf("%q\n", seen)
	// Output:
	// subscribed to {"room":"7"}
	// stopped: eventsource: unexpected status 204 No Content
	// ["POST {\"room\":\"7\"} Last-Event-ID=\"\"" "POST {\"room\":\"7\"} Last-Event-ID=\"1\""]
}
