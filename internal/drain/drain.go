// Package drain empties rxgo item channels that nobody forwards any more.
//
// When a subscriber stops early, an upstream goroutine may be blocked sending
// to it; reading the channel unblocks it so it can see its cancelled context
// and return. Sources that honour the context close their channel at once;
// rxgo's hot sources never close, hence the bound.
package drain

import (
	"time"

	"github.com/reactivex/rxgo/v2"
)

// Items reads items until the channel closes or timeout passes, discarding
// what it reads.
func Items(items <-chan rxgo.Item, timeout time.Duration) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case _, ok := <-items:
			if !ok {
				return
			}
		case <-t.C:
			return
		}
	}
}
