package observable

import (
	"time"

	"github.com/reactivex/rxgo/v2"
)

// retained is one event in the replay window.
type retained struct {
	seq    uint64
	at     time.Time
	id     string // set only when the publisher chose the id
	topics []string
	item   rxgo.Item // the event, boxed once and shared by every subscriber
}

// window is the replay window: a ring of the latest events in publish
// order. Sequence numbers in it are consecutive, so finding the event after
// a given one is arithmetic, not a search.
type window struct {
	buf   []retained // grows up to max, then wraps
	start int        // index of the oldest event in buf
	size  int
	max   int
}

func (w *window) at(i int) *retained { return &w.buf[(w.start+i)%len(w.buf)] }

// firstSeq returns the sequence number of the oldest retained event, or
// next when none is retained.
func (w *window) firstSeq(next uint64) uint64 {
	if w.size == 0 {
		return next
	}
	return w.at(0).seq
}

// push appends e, dropping the oldest event when full; it returns the
// dropped event (zero if none).
func (w *window) push(e retained) (dropped retained) {
	if w.max == 0 {
		return e
	}
	if w.size == w.max {
		dropped = w.pop()
	}
	if w.size == len(w.buf) {
		grown := make([]retained, min(max(2*len(w.buf), 16), w.max))
		for i := range w.size {
			grown[i] = *w.at(i)
		}
		w.buf, w.start = grown, 0
	}
	*w.at(w.size) = e
	w.size++
	return dropped
}

// pop removes and returns the oldest event, clearing its slot so the event
// can be collected.
func (w *window) pop() retained {
	slot := w.at(0)
	e := *slot
	*slot = retained{}
	w.start = (w.start + 1) % len(w.buf)
	w.size--
	return e
}
