package eventsource

import "time"

// minBackoff is where the doubling starts when the reconnection time is
// shorter, so that "retry: 0" cannot make a failing server a hot loop.
const minBackoff = 100 * time.Millisecond

// backoff returns the wait before the next attempt, given the reconnection
// time and the number of attempts that failed in a row since a connection
// last opened. The first reconnect waits exactly the reconnection time, as
// a browser does; after that the wait doubles with each failure, from the
// reconnection time or minBackoff, whichever is longer, capped at the
// larger of maxBackoff and retry, and jitter spreads it out. It is never
// shorter than retry: the server asked for at least that.
func (c *config) backoff(retry time.Duration, failures int) time.Duration {
	if failures <= 1 || c.maxBackoff <= 0 {
		return retry
	}
	limit := max(c.maxBackoff, retry)
	d := max(retry, min(minBackoff, limit))
	for i := 1; i < failures && d < limit; i++ {
		d *= 2
		if d <= 0 { // overflow
			d = limit
		}
	}
	d = min(d, limit)
	return min(max(c.jitter(d), retry), d)
}
