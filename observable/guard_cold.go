package observable

import (
	"context"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/internal/drain"
)

// attempt observes src under a child of ctx and forwards its values to next
// until src ends. It returns the error of src's error item, which it does
// not forward, or nil when src completed; ok is false when ctx ended first or
// next stopped taking items.
func attempt(ctx context.Context, src rxgo.Observable, next chan<- rxgo.Item) (err error, ok bool) {
	sub, cancel := context.WithCancel(ctx)
	defer cancel()
	in := src.Observe(rxgo.WithContext(sub))
	defer func() { go drain.Items(in, drainTimeout) }()
	for {
		select {
		case <-ctx.Done():
			return nil, false
		case item, open := <-in:
			switch {
			case !open:
				return nil, true
			case item.Error():
				return item.E, true
			case !item.SendContext(ctx, next):
				return nil, false
			}
		}
	}
}

// retry re-subscribes to src after an error item while count allows and
// shouldRetry agrees, like rxgo's Retry, but only when observed and under the
// Observe context. A panic in shouldRetry ends the stream with the
// *PanicError.
func retry(src rxgo.Observable, count int, shouldRetry func(error) bool, opts ...rxgo.Option) rxgo.Observable {
	return rxgo.Defer([]rxgo.Producer{func(ctx context.Context, next chan<- rxgo.Item) {
		for left := count; ; left-- {
			err, ok := attempt(ctx, src, next)
			if err == nil || !ok {
				return
			}
			again := false
			if left > 0 {
				if perr := catch(func() { again = shouldRetry(err) }); perr != nil {
					err = perr
				}
			}
			if !again {
				rxgo.Error(err).SendContext(ctx, next)
				return
			}
		}
	}}, opts...)
}

// backOffRetry re-subscribes to src after an error item, waiting as b says,
// until b stops, like rxgo's BackOffRetry, but only when observed and under
// the Observe context (rxgo's closes its channel twice, a panic, when the
// context ends). It resets b on each subscription: b must not be shared by
// subscriptions running at the same time.
func backOffRetry(src rxgo.Observable, b backoff.BackOff, opts ...rxgo.Option) rxgo.Observable {
	return rxgo.Defer([]rxgo.Producer{func(ctx context.Context, next chan<- rxgo.Item) {
		b.Reset()
		for {
			err, ok := attempt(ctx, src, next)
			if err == nil || !ok {
				return
			}
			wait := b.NextBackOff()
			if wait == backoff.Stop {
				rxgo.Error(err).SendContext(ctx, next)
				return
			}
			timer := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				timer.Stop()
				return
			case <-timer.C:
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
			groups[i] = Guard(rxgo.FromChannel(chs[i]))
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
			if perr := catch(func() { idx = distribution(item) }); perr != nil {
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
				if perr := catch(func() { key = distribution(item) }); perr != nil {
					fail(rxgo.Error(perr))
					return
				}
				ch, found := chs[key]
				if !found {
					ch = make(chan rxgo.Item)
					chs[key] = ch
					group := rxgo.GroupedObservable{Observable: Guard(rxgo.FromChannel(ch)), Key: key}
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
