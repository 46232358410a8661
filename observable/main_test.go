package observable_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reactivex/rxgo/v2"
	"go.uber.org/goleak"

	"github.com/rxsse/rxsse/observable"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// stuck bounds every wait in these tests, so that a broken stream fails the
// test instead of hanging it. Under synctest it is virtual time.
const stuck = 10 * time.Second

// receive returns the next item of ch, failing the test if ch is closed or
// stays silent too long.
func receive(t testing.TB, ch <-chan rxgo.Item) rxgo.Item {
	t.Helper()
	timeout := time.NewTimer(stuck)
	defer timeout.Stop()
	select {
	case item, ok := <-ch:
		if !ok {
			t.Fatal("stream closed, want an item")
		}
		return item
	case <-timeout.C:
		t.Fatal("no item")
	}
	return rxgo.Item{}
}

// collect reads ch until it closes and returns its items, failing the test
// if ch stays open too long.
func collect(t testing.TB, ch <-chan rxgo.Item) []rxgo.Item {
	t.Helper()
	timeout := time.NewTimer(stuck)
	defer timeout.Stop()
	var items []rxgo.Item
	for {
		select {
		case item, ok := <-ch:
			if !ok {
				return items
			}
			items = append(items, item)
		case <-timeout.C:
			t.Fatalf("stream still open after %d items", len(items))
		}
	}
}

// values returns the values of items, failing the test on an error item.
func values(t testing.TB, items []rxgo.Item) []any {
	t.Helper()
	vs := make([]any, 0, len(items))
	for _, item := range items {
		if item.E != nil {
			t.Fatalf("unexpected error item: %v", item.E)
		}
		vs = append(vs, item.V)
	}
	return vs
}

// spy counts the subscriptions to the Observables it watches.
type spy struct {
	started atomic.Int32 // subscriptions ever made
	live    atomic.Int32 // subscriptions whose source has not yet closed
}

// watch returns o as a cold Observable that counts its subscriptions in s:
// a subscription is live from when it is subscribed until o's stream has
// closed, so a live count of zero means o's goroutines have stopped.
func (s *spy) watch(o rxgo.Observable) rxgo.Observable {
	return observable.Defer(func(ctx context.Context, next chan<- rxgo.Item) {
		s.started.Add(1)
		s.live.Add(1)
		in := o.Observe(rxgo.WithContext(ctx))
		defer func() {
			for range in { // Closes once o has seen the cancelled context.
			}
			s.live.Add(-1)
		}()
		for item := range in {
			if !item.SendContext(ctx, next) {
				return
			}
		}
	})
}
