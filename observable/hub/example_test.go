package hub_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/observable/hub"
)

// A client that reconnects with the id of the last event it saw gets what it
// missed, then the live events. In a route, the lastEventID is
// transport.LastEventID(r) and the transport does the observing:
//
//	r.Sse("/rooms/{room}/events", func(r *http.Request) rxgo.Observable {
//		return h.Subscribe(transport.LastEventID(r), chi.URLParam(r, "room"))
//	})
func Example() {
	h := hub.New(hub.WithReplayCount(100))
	defer h.Close()
	ctx := context.Background()
	var ids []string
	for _, text := range []string{"hello", "who's there?", "me"} {
		id, _ := h.Publish(ctx, encoder.MessageEvent{Data: text}, "lobby")
		ids = append(ids, id)
	}

	sub, cancel := context.WithCancel(ctx)
	defer cancel() // Unsubscribes.
	events := h.Subscribe(ids[0], "lobby").Observe(rxgo.WithContext(sub))
	h.Publish(ctx, encoder.MessageEvent{Data: "live now"}, "lobby")
	h.Publish(ctx, encoder.MessageEvent{Data: "not for the lobby"}, "kitchen")
	h.Publish(ctx, encoder.MessageEvent{Data: map[string]string{"to": "everyone"}}) // no topics: all
	for range 4 {
		ev := (<-events).V.(encoder.MessageEvent)
		_, seq, _ := strings.Cut(ev.ID, "-") // ids are "<epoch>-<seq>"
		fmt.Printf("%s %s\n", seq, ev.Data)
	}
	// Output:
	// 2 who's there?
	// 3 me
	// 4 live now
	// 6 {"to":"everyone"}
}

// A client joining a room gets its recent history first when the route
// subscribes at Oldest: every retained event of the room, then the live
// ones, with no gap event. In a route, Oldest stands in for the
// Last-Event-ID a first request does not have, when it asks for history:
//
//	r.Sse("/rooms/{room}/events", func(r *http.Request) rxgo.Observable {
//		id := transport.LastEventID(r)
//		if id == "" && r.URL.Query().Has("history") { // ?history=1
//			id = hub.Oldest
//		}
//		return h.Subscribe(id, chi.URLParam(r, "room"))
//	})
func Example_historyOnJoin() {
	h := hub.New(hub.WithReplayCount(100))
	defer h.Close()
	ctx := context.Background()
	h.Publish(ctx, encoder.MessageEvent{Data: "hello"}, "lobby")
	h.Publish(ctx, encoder.MessageEvent{Data: "soup's ready"}, "kitchen")
	h.Publish(ctx, encoder.MessageEvent{Data: "who's there?"}, "lobby")

	sub, cancel := context.WithCancel(ctx)
	defer cancel() // Unsubscribes.
	events := h.Subscribe(hub.Oldest, "lobby").Observe(rxgo.WithContext(sub))
	h.Publish(ctx, encoder.MessageEvent{Data: "live now"}, "lobby")
	for range 3 {
		ev := (<-events).V.(encoder.MessageEvent)
		_, seq, _ := strings.Cut(ev.ID, "-")
		fmt.Printf("%s %s\n", seq, ev.Data)
	}
	// Output:
	// 1 hello
	// 3 who's there?
	// 4 live now
}

// An id the hub cannot resume from (here one of another process, before a
// restart) gets a "gap" event first, then every retained event.
func Example_gap() {
	before := hub.New()
	old, _ := before.Publish(context.Background(), encoder.MessageEvent{Data: "from the old process"})
	before.Close()

	h := hub.New(hub.WithReplayCount(2), hub.WithBuffer(2))
	defer h.Close()
	for _, text := range []string{"a", "b", "c"} {
		h.Publish(context.Background(), encoder.MessageEvent{Data: text})
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := h.Subscribe(old).Observe(rxgo.WithContext(ctx))
	gap := (<-events).V.(encoder.MessageEvent)
	fmt.Println(gap.Type, strings.Contains(fmt.Sprintf("%s", gap.Data), old))
	for range 2 {
		fmt.Println((<-events).V.(encoder.MessageEvent).Data)
	}
	// Output:
	// gap true
	// b
	// c
}

// Map and Filter on a subscription run inline where the transport pulls it,
// with no goroutine of their own.
func ExampleHub_Subscribe() {
	h := hub.New()
	defer h.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	shout := h.Subscribe("").
		Filter(func(v any) bool { return v.(encoder.MessageEvent).Data != "psst" }).
		Map(func(_ context.Context, v any) (any, error) {
			return strings.ToUpper(v.(encoder.MessageEvent).Data.(string)), nil
		})
	events := shout.Observe(rxgo.WithContext(ctx))
	for _, text := range []string{"hi", "psst", "bye"} {
		h.Publish(ctx, encoder.MessageEvent{Data: text})
	}
	fmt.Println((<-events).V, (<-events).V)
	// Output: HI BYE
}
