package natshub

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/internal/publish"
	"github.com/rxsse/rxsse/observable"
	"github.com/rxsse/rxsse/transport"
)

// instance is one rxsse server process: its own NATS connection, Broker
// and HTTP server streaming the Broker's events.
type instance struct {
	b   *Broker
	srv *httptest.Server
}

func startInstance(t *testing.T, url string, cfg Config) *instance {
	t.Helper()
	b := newBroker(t, connect(t, url), cfg)
	srv := httptest.NewServer(transport.Handler(func(r *http.Request) rxgo.Observable {
		return b.Subscribe(transport.LastEventID(r), r.URL.Query()["topic"]...)
	}, transport.WithAutoID(false)))
	t.Cleanup(srv.Close)
	return &instance{b: b, srv: srv}
}

// readStream connects to srv resuming after lastEventID and returns the
// events it reads until it has n of them or the stream ends.
func readStream(t *testing.T, srv *httptest.Server, lastEventID string, n int) []encoder.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel() // cuts the connection: the client goes away
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	dec := encoder.NewDecoder(resp.Body)
	var out []encoder.Event
	for len(out) < n {
		ev, err := dec.Decode()
		if err != nil {
			if ctx.Err() != nil {
				t.Fatalf("after %d events: %v", len(out), err)
			}
			return out
		}
		out = append(out, ev)
	}
	return out
}

// A client cut on one instance resumes on another with Last-Event-ID and
// receives exactly the events it missed, in order, while every instance
// keeps publishing.
func TestAClientResumesOnAnyInstanceWhilePublishingGoesOn(t *testing.T) {
	for _, instances := range []int{2, 3} {
		t.Run(fmt.Sprintf("%d instances", instances), func(t *testing.T) {
			n := startNATS(t)
			var in []*instance
			for i := range instances {
				// Small local windows: most resumes read the stream.
				in = append(in, startInstance(t, n.url, Config{LocalWindow: 8 * (i + 1)}))
			}
			start := mustPublish(t, in[0].b, "start")
			_, startSeq, _ := publish.ParseID(start)

			const perPublisher = 150
			var wg sync.WaitGroup
			var mu sync.Mutex
			acked := map[string]string{} // id → data
			for p, inst := range in {
				wg.Go(func() {
					for i := range perPublisher {
						data := fmt.Sprintf("p%d-%d", p, i)
						id, err := inst.b.Publish(context.Background(), encoder.MessageEvent{Data: data})
						if err != nil {
							t.Errorf("publish %s: %v", data, err)
							return
						}
						mu.Lock()
						acked[id] = data
						mu.Unlock()
					}
				})
			}

			total := instances * perPublisher
			var got []encoder.Event
			last := start
			for hop := 0; len(got) < total; hop++ {
				srv := in[hop%instances].srv
				evs := readStream(t, srv, last, min(17+hop, total-len(got)))
				if len(evs) == 0 {
					t.Fatalf("hop %d: nothing after %s", hop, last)
				}
				got = append(got, evs...)
				last = evs[len(evs)-1].LastEventID
			}
			wg.Wait()
			if t.Failed() {
				return
			}
			for i, ev := range got {
				epoch, seq, ok := publish.ParseID(ev.LastEventID)
				if !ok || seq != startSeq+uint64(i)+1 || ev.Type != "message" {
					t.Fatalf("event %d: %+v, want id %s-%d", i, ev, epoch, startSeq+uint64(i)+1)
				}
				if want := acked[ev.LastEventID]; ev.Data != want {
					t.Fatalf("event %d (%s): data %q, published %q", i, ev.LastEventID, ev.Data, want)
				}
			}
			if len(got) != len(acked) {
				t.Fatalf("got %d events, %d were published", len(got), len(acked))
			}
		})
	}
}

// A NATS restart mid-stream, with file storage, loses nothing that was
// acknowledged: subscribers end with ErrUnavailable, resume with their
// last id once NATS is back, and get every acknowledged event in order.
func TestANATSRestartLosesNothingAcknowledged(t *testing.T) {
	n := startNATS(t)
	pub := newBroker(t, connect(t, n.url), Config{})
	reader := newBroker(t, connect(t, n.url), Config{})
	start := mustPublish(t, pub, "start")

	var mu sync.Mutex
	var acked []string // ids, in order
	failures := 0
	publishUntil := func(want int) {
		for {
			mu.Lock()
			done := len(acked) >= want
			mu.Unlock()
			if done {
				return
			}
			id, err := pub.Publish(context.Background(), encoder.MessageEvent{Data: "x"})
			mu.Lock()
			if err != nil {
				failures++
			} else {
				acked = append(acked, id)
			}
			mu.Unlock()
			if err != nil {
				time.Sleep(10 * time.Millisecond) // a publisher's retry delay
			}
		}
	}

	received := map[string]bool{}
	var order []uint64
	last := start
	unavailable := 0
	// read subscribes after last and reads until it has seen want, or the
	// stream ends with ErrUnavailable.
	read := func(want string) bool {
		s := subscribe(t, reader, last)
		for {
			item, st := s.next()
			if st == observable.Done {
				t.Fatal("subscription completed")
			}
			if item.E != nil {
				if !errors.Is(item.E, ErrUnavailable) {
					t.Fatalf("ended with %v", item.E)
				}
				unavailable++
				return false
			}
			ev := item.V.(encoder.MessageEvent)
			_, seq, _ := publish.ParseID(ev.ID)
			order = append(order, seq)
			received[ev.ID] = true
			last = ev.ID
			if ev.ID == want {
				return true
			}
		}
	}

	publishUntil(30)
	mu.Lock()
	want := acked[len(acked)-1]
	mu.Unlock()
	if !read(want) {
		t.Fatal("stream ended before the restart")
	}
	// Restart NATS while a subscription is open and publishing goes on.
	s := subscribe(t, reader, last)
	done := make(chan struct{})
	go func() { defer close(done); publishUntil(60) }()
	n.restart()
	if err := s.end(); !errors.Is(err, ErrUnavailable) {
		t.Errorf("open subscription ended with %v, want ErrUnavailable", err)
	}
	<-done
	publishUntil(90)
	mu.Lock()
	want = acked[len(acked)-1]
	mu.Unlock()
	for !read(want) {
		time.Sleep(20 * time.Millisecond) // a client's reconnection delay
	}
	for _, id := range acked {
		if !received[id] {
			t.Errorf("acknowledged %s never delivered", id)
		}
	}
	for i := 1; i < len(order); i++ {
		if order[i] <= order[i-1] {
			t.Fatalf("order: %d after %d", order[i], order[i-1])
		}
	}
	t.Logf("%d acknowledged, %d publish errors during the restart, %d subscriptions ended by it", len(acked), failures, unavailable)
}

// While NATS is down, Publish fails instead of hanging or dropping, new
// subscriptions end at once with ErrUnavailable (so clients retry), and the
// instance recovers by itself when NATS is back.
func TestWhileNATSIsDownPublishFailsAndSubscriptionsAskToReconnect(t *testing.T) {
	n := startNATS(t)
	b := newBroker(t, connect(t, n.url), Config{})
	before := mustPublish(t, b, "before")
	open := subscribe(t, b, "")
	n.stop()
	if err := open.end(); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("open subscription ended with %v, want ErrUnavailable", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if id, err := b.Publish(ctx, encoder.MessageEvent{Data: "lost?"}); err == nil {
		t.Fatalf("Publish while NATS is down returned %s", id)
	}
	var rc interface{ Reconnect() bool }
	if err := subscribe(t, b, before).end(); !errors.As(err, &rc) || !rc.Reconnect() {
		t.Fatalf("a subscription while NATS is down ended with %v, want a Reconnect() error", err)
	}

	n.start()
	deadline := time.Now().Add(10 * time.Second)
	var after string
	for {
		id, err := b.Publish(context.Background(), encoder.MessageEvent{Data: "after"})
		if err == nil {
			after = id
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not recovered: %v", err)
		}
		time.Sleep(20 * time.Millisecond) // a publisher's retry delay
	}
	s := subscribe(t, b, before)
	if ev := s.event(); ev.ID != after || ev.Data != "after" {
		t.Errorf("after recovery, resuming from before the outage got %+v, want %s", ev, after)
	}
}
