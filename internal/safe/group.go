package safe

import (
	"context"
	"fmt"
	"time"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/internal/drain"
)

// drainTimeout bounds how long an operator keeps reading an input it has
// stopped forwarding (see internal/drain).
const drainTimeout = time.Second

// retry re-subscribes to src after an error item while count allows and
// shouldRetry agrees, like rxgo's Retry, but only when observed and under the
// Observe context. A panic in shouldRetry ends the stream with the
// *PanicError.
func retry(src rxgo.Observable, count int, shouldRetry func(error) bool, opts ...rxgo.Option) rxgo.Observable {
	return rxgo.Defer([]rxgo.Producer{func(ctx context.Context, next chan<- rxgo.Item) {
		for {
			again := false
			sub, cancel := context.WithCancel(ctx)
			in := src.Observe(rxgo.WithContext(sub))
			for done := false; !done; {
				select {
				case <-ctx.Done():
					done = true
				case item, ok := <-in:
					switch {
					case !ok:
						cancel()
						return
					case item.Error():
						if count--; count >= 0 {
							if perr := Call(func() { again = shouldRetry(item.E) }); perr != nil {
								item, again = rxgo.Error(perr), false
							}
						}
						if !again {
							item.SendContext(ctx, next)
						}
						done = true
					default:
						done = !item.SendContext(ctx, next)
					}
				}
			}
			cancel()
			go drain.Items(in, drainTimeout)
			if !again {
				return
			}
		}
	}}, opts...)
}

// groupBy is rxgo's GroupBy under recover: the stream emits length guarded
// groups and completes, and a goroutine bound to the Observe context hands
// each item of src to the group distribution chooses. An error item of src,
// a panic in distribution or an index out of range is sent to every group as
// an error item and ends them all. Unlike rxgo's, it subscribes to src only
// when observed.
func groupBy(src rxgo.Observable, length int, distribution func(rxgo.Item) int, opts ...rxgo.Option) rxgo.Observable {
	return rxgo.Defer([]rxgo.Producer{func(ctx context.Context, next chan<- rxgo.Item) {
		chs := make([]chan rxgo.Item, length)
		groups := make([]rxgo.Observable, length)
		for i := range chs {
			chs[i] = make(chan rxgo.Item)
			groups[i] = Wrap(rxgo.FromChannel(chs[i]))
		}
		go distribute(ctx, src, chs, distribution)
		for _, g := range groups {
			if !rxgo.Of(g).SendContext(ctx, next) {
				return
			}
		}
	}}, opts...)
}

func distribute(ctx context.Context, src rxgo.Observable, chs []chan rxgo.Item, distribution func(rxgo.Item) int) {
	in := src.Observe(rxgo.WithContext(ctx))
	defer func() {
		for _, ch := range chs {
			close(ch)
		}
		go drain.Items(in, drainTimeout)
	}()
	fail := func(item rxgo.Item) {
		for _, ch := range chs {
			item.SendContext(ctx, ch)
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case item, ok := <-in:
			if !ok {
				return
			}
			if item.Error() {
				fail(item)
				return
			}
			var idx int
			if perr := Call(func() { idx = distribution(item) }); perr != nil {
				fail(rxgo.Error(perr))
				return
			}
			if idx < 0 || idx >= len(chs) {
				fail(rxgo.Error(fmt.Errorf("GroupBy: index %d, length %d", idx, len(chs))))
				return
			}
			if !item.SendContext(ctx, chs[idx]) {
				return
			}
		}
	}
}

// groupByDynamic is rxgo's GroupByDynamic under recover: the stream emits a
// rxgo.GroupedObservable, with a guarded Observable, for each new key
// distribution returns, and the item goes to that group. An error item of src
// or a panic in distribution is sent to every group and to the stream, and
// ends them all. Unlike rxgo's, it subscribes to src only when observed.
func groupByDynamic(src rxgo.Observable, distribution func(rxgo.Item) string, opts ...rxgo.Option) rxgo.Observable {
	return rxgo.Defer([]rxgo.Producer{func(ctx context.Context, next chan<- rxgo.Item) {
		in := src.Observe(rxgo.WithContext(ctx))
		chs := make(map[string]chan rxgo.Item)
		defer func() {
			for _, ch := range chs {
				close(ch)
			}
			go drain.Items(in, drainTimeout)
		}()
		fail := func(item rxgo.Item) {
			for _, ch := range chs {
				item.SendContext(ctx, ch)
			}
			item.SendContext(ctx, next)
		}
		for {
			select {
			case <-ctx.Done():
				return
			case item, ok := <-in:
				if !ok {
					return
				}
				if item.Error() {
					fail(item)
					return
				}
				var key string
				if perr := Call(func() { key = distribution(item) }); perr != nil {
					fail(rxgo.Error(perr))
					return
				}
				ch, found := chs[key]
				if !found {
					ch = make(chan rxgo.Item)
					chs[key] = ch
					group := rxgo.GroupedObservable{Observable: Wrap(rxgo.FromChannel(ch)), Key: key}
					if !rxgo.Of(group).SendContext(ctx, next) {
						return
					}
				}
				if !item.SendContext(ctx, ch) {
					return
				}
			}
		}
	}}, opts...)
}
