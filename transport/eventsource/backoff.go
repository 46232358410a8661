package eventsource

import "time"

// minRetry is the shortest wait before a reconnect, whatever the stream's
// retry field says: "retry: 0" and a response that ends at once must not
// make a hot loop of requests. Firefox clamps the reconnection time the
// same way (to 500 ms); Chromium does not, and reconnects thousands of
// times a second. It is also where the doubling of the backoff starts.
const minRetry = 100 * time.Millisecond

// maxServerRetry is the longest reconnection time a server's retry field
// can set when the backoff cap is shorter: a server that sends
// "retry: 86400000" must not keep its clients away for a day.
const maxServerRetry = time.Minute

// serverRetry returns the reconnection time a retry field of d sets: d,
// capped at the larger of the backoff cap and maxServerRetry. WithRetry's
// own value is the client's choice and is not capped.
func (c *config) serverRetry(d time.Duration) time.Duration {
	return min(d, max(c.maxBackoff, maxServerRetry))
}

// backoff returns the wait before the next attempt, given the reconnection
// time and the number of attempts in a row, up to the one that just ended,
// that delivered no event. The first reconnect waits exactly the
// reconnection time, as a browser does; after that the wait doubles with
// each further attempt that fails or ends without an event, from the reconnection
// time or minRetry, whichever is longer, capped at the larger of
// maxBackoff and retry, and jitter spreads it out. It is never shorter than
// retry (the server asked for at least that) nor than minRetry.
func (c *config) backoff(retry time.Duration, quiet int) time.Duration {
	retry = max(retry, minRetry)
	if quiet <= 1 || c.maxBackoff <= 0 {
		return retry
	}
	limit := max(c.maxBackoff, retry)
	d := retry
	for i := 1; i < quiet && d < limit; i++ {
		d *= 2
		if d <= 0 { // overflow
			d = limit
		}
	}
	d = min(d, limit)
	return min(max(c.jitter(d), retry), d)
}
