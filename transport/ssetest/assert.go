package ssetest

import (
	"errors"
	"io"
	"testing"

	"go.uber.org/goleak"

	"github.com/rxsse/rxsse/encoder"
)

// Collect reads n events from st, failing the test if the stream ends or
// breaks first.
func Collect(t testing.TB, st *Stream, n int) []encoder.Event {
	t.Helper()
	events := make([]encoder.Event, 0, n)
	for len(events) < n {
		ev, err := st.Next()
		if err != nil {
			t.Fatalf("after %d of %d events: %v", len(events), n, err)
		}
		events = append(events, ev)
	}
	return events
}

// ExpectEvents reads len(want) events from st and fails the test unless
// they are exactly want, in order.
func ExpectEvents(t testing.TB, st *Stream, want ...encoder.Event) {
	t.Helper()
	got := Collect(t, st, len(want))
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// ExpectEnd fails the test unless the stream ends cleanly, with no further
// event.
func ExpectEnd(t testing.TB, st *Stream) {
	t.Helper()
	ev, err := st.Next()
	switch {
	case err == nil:
		t.Errorf("got event %+v, want the end of the stream", ev)
	case !errors.Is(err, io.EOF):
		t.Errorf("stream ended with %v, want a clean end", err)
	}
}

// NoLeaks records the goroutines running now and, when the test and its
// other cleanups are done, fails the test if any goroutine started since is
// still running (after goleak's grace period). Call it first in a test, so
// its check runs after the cleanups registered later (such as closing a
// Server). Inside a testing/synctest bubble it is not needed: the bubble
// itself fails on leaked goroutines.
func NoLeaks(t testing.TB, opts ...goleak.Option) {
	t.Helper()
	opts = append([]goleak.Option{goleak.IgnoreCurrent()}, opts...)
	t.Cleanup(func() {
		if err := goleak.Find(opts...); err != nil {
			t.Errorf("goroutines leaked: %v", err)
		}
	})
}
