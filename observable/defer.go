package observable

import (
	"context"
	"slices"

	"github.com/reactivex/rxgo/v2"
)

// Defer returns a cold, guarded Observable that runs producers one after the
// other, on a goroutine of its own, each time it is observed: the panic-safe
// rxgo.Defer. Each producer gets the context given to Observe and must stop
// when it is done, selecting on it for every send (rxgo.Item's SendContext
// does).
//
// A panic in a producer is recovered: it is emitted as a *PanicError error
// item, the remaining producers do not run, and the stream completes. Like
// everything this package returns, the result is guarded (see Guard), so the
// functions of the operators chained on it are safe too:
//
//	observable.Defer(func(ctx context.Context, next chan<- rxgo.Item) {
//		for _, row := range db.Rows(ctx) {
//			if !rxgo.Of(row).SendContext(ctx, next) {
//				return
//			}
//		}
//	}).Map(render)
func Defer(producers ...rxgo.Producer) rxgo.Observable {
	producers = slices.Clone(producers)
	return Guard(rxgo.Defer([]rxgo.Producer{func(ctx context.Context, next chan<- rxgo.Item) {
		for _, p := range producers {
			if perr := catch(func() { p(ctx, next) }); perr != nil {
				rxgo.Error(perr).SendContext(ctx, next)
				return
			}
		}
	}}))
}
