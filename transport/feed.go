package transport

import (
	"time"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/observable"
)

// feed is where a stream's items come from: a pulled Observable's iterator
// (see observable.Pulled) or an observed rxgo channel.
type feed interface {
	// next returns an item that is ready, without blocking.
	next() (rxgo.Item, observable.State)
	// wait blocks until next may have something, done is closed or beat
	// fires.
	wait(done <-chan struct{}, beat <-chan time.Time) waitResult
}

type waitResult int

const (
	waitReady waitResult = iota
	waitDone
	waitBeat
)

type chanFeed struct {
	ch     <-chan rxgo.Item
	held   rxgo.Item
	has    bool
	closed bool
}

func (f *chanFeed) next() (rxgo.Item, observable.State) {
	if f.has {
		f.has = false
		return f.held, observable.Value
	}
	if f.closed {
		return rxgo.Item{}, observable.Done
	}
	select {
	case it, ok := <-f.ch:
		if !ok {
			f.closed = true
			return rxgo.Item{}, observable.Done
		}
		return it, observable.Value
	default:
		return rxgo.Item{}, observable.Empty
	}
}

func (f *chanFeed) wait(done <-chan struct{}, beat <-chan time.Time) waitResult {
	select {
	case it, ok := <-f.ch:
		if ok {
			f.held, f.has = it, true
		} else {
			f.closed = true
		}
		return waitReady
	case <-done:
		return waitDone
	case <-beat:
		return waitBeat
	}
}

type pullFeed struct {
	it    observable.Iterator
	held  rxgo.Item
	state observable.State
	has   bool
}

func (f *pullFeed) next() (rxgo.Item, observable.State) {
	if f.has {
		f.has = false
		return f.held, f.state
	}
	return f.it.Next()
}

func (f *pullFeed) wait(done <-chan struct{}, beat <-chan time.Time) waitResult {
	ready := f.it.Ready()
	// An item that arrived between the Next that found nothing and Ready
	// may not signal the channel just taken: look once more.
	if it, st := f.it.Next(); st != observable.Empty {
		f.held, f.state, f.has = it, st, true
		return waitReady
	}
	select {
	case <-ready:
		return waitReady
	case <-done:
		return waitDone
	case <-beat:
		return waitBeat
	}
}
