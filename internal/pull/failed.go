package pull

import "github.com/reactivex/rxgo/v2"

// Ready is a channel that is always ready, for iterators whose Next never
// has to wait.
var Ready <-chan struct{} = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Failed returns an Iterator that ends at once: with the error item err,
// or, if err is nil, by completing.
func Failed(err error) Iterator { return &failed{err: err} }

type failed struct {
	err  error
	done bool
}

func (f *failed) Ready() <-chan struct{} { return Ready }

func (f *failed) Next() (rxgo.Item, State) {
	if f.done || f.err == nil {
		f.done = true
		return rxgo.Item{}, Done
	}
	f.done = true
	return rxgo.Error(f.err), Value
}

func (f *failed) Close() { f.done = true }
