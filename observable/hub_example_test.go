package observable_test

import (
	"context"
	"fmt"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/observable"
)

// A client that reconnects with Last-Event-ID "1" gets what it missed, then
// the live events. In a route, the lastEventID is transport.LastEventID(r)
// and the transport does the observing:
//
//	r.Sse("/rooms/{room}/events", func(r *http.Request) rxgo.Observable {
//		return hub.Subscribe(transport.LastEventID(r), chi.URLParam(r, "room"))
//	}, transport.WithAutoID(false))
func ExampleHub() {
	hub := observable.NewHub(observable.WithReplayCount(100))
	defer hub.Close()
	ctx := context.Background()
	for _, text := range []string{"hello", "who's there?", "me"} {
		hub.PublishTo(ctx, "lobby", encoder.MessageEvent{Data: text})
	}

	sub, cancel := context.WithCancel(ctx)
	defer cancel() // Unsubscribes.
	events := hub.Subscribe("1", "lobby").Observe(rxgo.WithContext(sub))
	hub.PublishTo(ctx, "lobby", encoder.MessageEvent{Data: "live now"})
	hub.PublishTo(ctx, "kitchen", encoder.MessageEvent{Data: "not for lobby"})
	for range 3 {
		ev := (<-events).V.(encoder.MessageEvent)
		fmt.Println(ev.ID, ev.Data)
	}
	// Output:
	// 2 who's there?
	// 3 me
	// 4 live now
}
