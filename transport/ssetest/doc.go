// Package ssetest is the test kit for rxsse streams, what net/http/httptest
// is for plain handlers.
//
// A Server serves any http.Handler with a real http.Server over in-memory
// net.Pipe connections. Because a goroutine blocked on a pipe counts as
// durably blocked, a whole stream — handler, subscription, heartbeats,
// client — runs inside a testing/synctest bubble, where time is virtual: a
// test of ten seconds of one-second events finishes in milliseconds and
// never flakes.
//
//	func TestTicks(t *testing.T) {
//		synctest.Test(t, func(t *testing.T) {
//			srv := ssetest.NewServer(transport.Handler(ticks))
//			defer srv.Close()
//			st, err := srv.Get(t.Context(), "/", nil)
//			if err != nil {
//				t.Fatal(err)
//			}
//			defer st.Close()
//			events := ssetest.Collect(t, st, 10) // ten virtual seconds
//			...
//		})
//	}
//
// ExpectDeclared checks every event of a stream against what the route
// declares (transport.Emits): an event of another type, or data that is
// not of the declared type, fails the test.
//
// Build observables inside the bubble (an observable built outside and
// observed inside is a fatal error), and close the Server before the bubble
// ends. Outside a bubble, NoLeaks checks that a test leaves no goroutine
// behind.
package ssetest
