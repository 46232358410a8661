package fanout

import (
	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/observable"
)

// Ready is a channel that is always ready, for iterators whose Next never
// has to wait.
var Ready <-chan struct{} = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Failed returns the iterator of a subscription that could not start: it
// ends at once, with the error item err or, if err is nil, by completing.
func Failed(err error) observable.Iterator { return &failed{err: err} }

type failed struct {
	err  error
	done bool
}

func (f *failed) Ready() <-chan struct{} { return Ready }

func (f *failed) Next() (rxgo.Item, observable.State) {
	if f.done || f.err == nil {
		f.done = true
		return rxgo.Item{}, observable.Done
	}
	f.done = true
	return rxgo.Error(f.err), observable.Value
}

func (f *failed) Close() { f.done = true }

// StartID returns "": a failed subscription has no position.
func (f *failed) StartID() string { return "" }
