// Package pull is the protocol between the transport and the observables of
// this module that can run on the goroutine that writes the response, instead
// of handing every item over rxgo's channels.
//
// An Observable that also implements Source is pulled: the transport calls
// Pull with the stream's context, waits on Ready together with its own
// timers and the context, and drains every item Next has ready into one
// write. Operators fused into such a source (Map, Filter) run inline, so a
// stream costs no goroutine beyond the handler's. Any other Observable is
// observed the ordinary way, through rxgo.
package pull

import (
	"context"

	"github.com/reactivex/rxgo/v2"
)

// State says what Next returned.
type State int

const (
	// Empty: no item is ready now; wait on Ready, then call Next again.
	Empty State = iota
	// Value: Next returned an item (a value or an error).
	Value
	// Done: the stream has ended (it completed, or its error item was
	// returned); Next keeps returning Done.
	Done
)

// Source is an Observable the transport can pull from on its own goroutine.
type Source interface {
	rxgo.Observable
	// Pull starts one subscription bound to ctx: when ctx is done the
	// subscription ends and releases what it holds. The transport calls
	// Close when it stops early.
	Pull(ctx context.Context) Iterator
}

// Iterator is one running subscription of a Source. It is used by one
// goroutine at a time.
type Iterator interface {
	// Ready returns a channel that becomes readable (receives or is closed)
	// when Next may have something new. The channel may change after a call
	// to Next: call Ready again before every wait.
	Ready() <-chan struct{}
	// Next returns the next item that is ready, without blocking.
	Next() (rxgo.Item, State)
	// Close ends the subscription early. It may be called more than once,
	// and after Done.
	Close()
}

// Starter is implemented by an Iterator that knows, before its first item,
// the event id a client should resume from to miss nothing of this
// subscription: the position it started at. A broker subscription started
// without a resumable Last-Event-ID (live only, or from the oldest retained
// event) has one. The transport writes it as an id-only block ("id: <id>"
// and a blank line, which a browser records without dispatching anything)
// before the first event, so a client cut before it has received an event
// still resumes from where it started.
type Starter interface {
	// StartID returns that id, or "" when the client already has it.
	StartID() string
}

// StartID returns its StartID if it implements Starter, or "".
func StartID(it Iterator) string {
	if s, ok := it.(Starter); ok {
		return s.StartID()
	}
	return ""
}
