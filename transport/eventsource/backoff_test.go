package eventsource

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	const s, ms = time.Second, time.Millisecond
	identity := func(d time.Duration) time.Duration { return d }
	for _, tc := range []struct {
		name       string
		retry      time.Duration
		maxBackoff time.Duration
		jitter     func(time.Duration) time.Duration
		want       []time.Duration // for 0, 1, 2, ... attempts in a row without an event
	}{
		{"the first reconnect waits the reconnection time, then it doubles up to the cap", s, 10 * s, identity,
			[]time.Duration{s, s, 2 * s, 4 * s, 8 * s, 10 * s, 10 * s}},
		{"a reconnection time past the cap is kept", 20 * s, 10 * s, identity,
			[]time.Duration{20 * s, 20 * s, 20 * s, 20 * s}},
		{"no backoff waits the reconnection time every time", s, 0, identity,
			[]time.Duration{s, s, s, s}},
		{"a reconnection time under 100 ms waits 100 ms, then backs off from there", 0, 10 * s, identity,
			[]time.Duration{100 * ms, 100 * ms, 200 * ms, 400 * ms, 800 * ms}},
		{"without backoff, retry: 0 still waits 100 ms", 0, 0, identity,
			[]time.Duration{100 * ms, 100 * ms, 100 * ms, 100 * ms}},
		{"a cap under 100 ms gives way to the 100 ms floor", 10 * ms, 50 * ms, identity,
			[]time.Duration{100 * ms, 100 * ms, 100 * ms, 100 * ms}},
		{"jitter is kept at or above the reconnection time", s, 10 * s, func(time.Duration) time.Duration { return 0 },
			[]time.Duration{s, s, s, s}},
		{"jitter is kept at or below the backoff", s, 10 * s, func(d time.Duration) time.Duration { return 100 * d },
			[]time.Duration{s, s, 2 * s, 4 * s}},
		{"a huge reconnection time does not overflow", time.Duration(1<<62) - 1, 10 * s, identity,
			[]time.Duration{1<<62 - 1, 1<<62 - 1, 1<<62 - 1}},
		{"many failures do not overflow", s, time.Duration(1<<63 - 1), identity,
			[]time.Duration{s, s, 2 * s, 4 * s}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := config{maxBackoff: tc.maxBackoff, jitter: tc.jitter}
			for quiet, want := range tc.want {
				if got := c.backoff(tc.retry, quiet); got != want {
					t.Errorf("backoff(%v, %d) = %v, want %v", tc.retry, quiet, got, want)
				}
			}
			if got := c.backoff(tc.retry, 200); got < 0 {
				t.Errorf("backoff(%v, 200) = %v", tc.retry, got)
			}
		})
	}
}

func TestEqualJitterStaysBetweenHalfAndAll(t *testing.T) {
	for _, d := range []time.Duration{0, 1, 2, 3, time.Millisecond, time.Second, 1<<63 - 1} {
		for range 1000 {
			if got := equalJitter(d); got < d/2 || got > d {
				t.Fatalf("equalJitter(%v) = %v, want between %v and %v", d, got, d/2, d)
			}
		}
	}
	// It is random: 1000 draws over a second are not all the same.
	seen := map[time.Duration]bool{}
	for range 1000 {
		seen[equalJitter(time.Second)] = true
	}
	if len(seen) < 100 {
		t.Errorf("%d distinct waits in 1000 draws", len(seen))
	}
}
