package observable_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/observable"
	"github.com/rxsse/rxsse/transport"
)

// countdown is one subscription of a source written outside rxsse: it
// counts down from n, with the ids "c-<n>". Every item is ready at once; a
// source that has to wait (a broker's subscription) returns Empty and makes
// its Ready channel readable when Next has something new.
type countdown struct {
	ctx context.Context
	n   int
}

func (c *countdown) Next() (rxgo.Item, observable.State) {
	if c.n == 0 || c.ctx.Err() != nil {
		return rxgo.Item{}, observable.Done
	}
	c.n--
	return rxgo.Of(encoder.MessageEvent{ID: fmt.Sprint("c-", c.n), Data: c.n}), observable.Value
}

// alwaysReady is closed: Next never has to wait.
var alwaysReady = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func (c *countdown) Ready() <-chan struct{} { return alwaysReady }

func (c *countdown) Close() { c.n = 0 }

// StartID is the position before the first event: a client cut off before
// it resumes from there.
func (c *countdown) StartID() string { return fmt.Sprint("c-", c.n) }

// A source of your own, pulled by the transport on the goroutine that
// writes the response, with Map fused into it.
func ExamplePulled() {
	countdownFrom := func(n int) rxgo.Observable {
		return observable.Pulled(func(ctx context.Context) observable.Iterator {
			return &countdown{ctx: ctx, n: n}
		})
	}
	h := transport.Handler(func(*http.Request) rxgo.Observable {
		return countdownFrom(3).Map(func(_ context.Context, v any) (any, error) {
			ev := v.(encoder.MessageEvent)
			ev.Data = fmt.Sprintf("%d left", ev.Data)
			return ev, nil
		})
	})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	fmt.Printf("%q\n", w.Body.String())
	// Output:
	// "\nid: c-3\n\nid: c-2\ndata: 2 left\n\nid: c-1\ndata: 1 left\n\nid: c-0\ndata: 0 left\n\n"
}
