package natshub

import (
	"bytes"
	"fmt"
	"log/slog"
	"sync"
	"testing"

	"github.com/rxsse/rxsse/internal/publish"
	"github.com/rxsse/rxsse/observable"
	"github.com/rxsse/rxsse/observable/hub"
)

// logBuffer is a logger's output, safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// A stream with no event yet, one purged, and one whose first retained
// sequence is above 1 all serve: a live subscription opens at once with a
// start position it resumes from, a resume it cannot serve gets a gap
// whose id resumes, hub.Oldest gets what is retained, and nothing retries
// in a loop (a read of an empty stream used to ask NATS for "start
// sequence 0", error 10094, about once a second, and answer with the id
// "<epoch>-18446744073709551615").
func TestEmptyPurgedAndTrimmedStreamsServe(t *testing.T) {
	n := startNATS(t)
	for _, tc := range []struct {
		name    string
		cfg     Config
		prepare func(t *testing.T, b *Broker) // leaves the stream in the state under test
		first   uint64                        // the stream's first retained sequence, then
		kept    []string                      // the data it retains
	}{
		{"empty", Config{}, func(*testing.T, *Broker) {}, 1, nil},
		{"purged", Config{}, func(t *testing.T, b *Broker) {
			for i := range 5 {
				mustPublish(t, b, fmt.Sprint(i))
			}
			s, err := b.js.Stream(t.Context(), b.cfg.stream)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Purge(t.Context()); err != nil {
				t.Fatal(err)
			}
		}, 6, nil},
		{"trimmed by its limit", Config{ReplayCount: 3, Buffer: 3}, func(t *testing.T, b *Broker) {
			for i := range 10 {
				mustPublish(t, b, fmt.Sprint(i))
			}
		}, 8, []string{"7", "8", "9"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs logBuffer
			logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
			cfg := tc.cfg
			cfg.Stream, cfg.MemoryStorage = "EMPTY"+fmt.Sprint(len(tc.name)), true
			prep := newBroker(t, connect(t, n.url), cfg)
			tc.prepare(t, prep)
			// A new instance binds the stream as it is now.
			cfg.Logger = logger
			b := newBroker(t, connect(t, n.url), cfg)
			epoch := b.current().epoch

			live := subscribe(t, b, "")
			if _, st := live.it.Next(); st != observable.Empty {
				t.Fatalf("a live subscription to the %s stream: state %v, want it open and waiting", tc.name, st)
			}
			start := live.it.StartID()
			if want := publish.FormatID(epoch, tc.first-1+uint64(len(tc.kept))); start != want {
				t.Errorf("start position %q, want %q", start, want)
			}
			oldest := subscribe(t, b, hub.Oldest)
			if len(tc.kept) > 0 {
				if got := oldest.data(len(tc.kept)); fmt.Sprint(got) != fmt.Sprint(tc.kept) {
					t.Errorf("hub.Oldest got %q, want %q", got, tc.kept)
				}
			}
			foreign := subscribe(t, b, "other-3")
			gap := foreign.event()
			if gap.Type != hub.GapEventType || gap.ID != publish.FormatID(epoch, tc.first-1) {
				t.Fatalf("a foreign id got %+v, want the gap with id %s", gap, publish.FormatID(epoch, tc.first-1))
			}
			if len(tc.kept) > 0 {
				foreign.data(len(tc.kept))
			}
			fromGap := subscribe(t, b, gap.ID)
			if len(tc.kept) > 0 {
				fromGap.data(len(tc.kept))
			}
			fromStart := subscribe(t, b, start)

			next := mustPublish(t, b, "next")
			for name, s := range map[string]*sub{"live": live, "oldest": oldest, "foreign": foreign, "from the gap": fromGap, "from the start position": fromStart} {
				if ev := s.event(); ev.ID != next || ev.Type == hub.GapEventType {
					t.Errorf("%s: got %+v, want the event %s", name, ev, next)
				}
			}
			if l := logs.String(); l != "" {
				t.Errorf("warnings or errors were logged:\n%s", l)
			}
		})
	}
}

// A history read deletes its consumer when it is done: NATS would keep it
// for its inactivity threshold, and a churn of resumes then exhausted the
// stream's limit of consumers (1,000 by default; "maximum consumers limit
// reached").
func TestAResumeLeavesNoConsumerBehind(t *testing.T) {
	n := startNATS(t)
	b := newBroker(t, connect(t, n.url), Config{Stream: "NOLEFTOVERS", MemoryStorage: true, LocalWindow: 1})
	first := mustPublish(t, b, "0")
	for i := 1; i < 5; i++ {
		mustPublish(t, b, fmt.Sprint(i))
	}
	stream, err := b.js.Stream(t.Context(), "NOLEFTOVERS")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		s := subscribe(t, b, first) // older than the local window: read from the stream
		s.data(4 + i)               // 1 to 4, and the events of the rounds before
		if i%2 == 0 {
			mustPublish(t, b, "live")
			s.data(1)
			b.readers.Wait() // the read is over: it joined the fan-out
			s.it.Close()
		} else {
			s.it.Close()
			b.readers.Wait() // the read is over: it was stopped
			mustPublish(t, b, "live")
		}
		info, err := stream.Info(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if c := info.State.Consumers; c != 1 {
			for name := range stream.ConsumerNames(t.Context()).Name() {
				ci, _ := stream.Consumer(t.Context(), name)
				if ci != nil {
					t.Logf("consumer %s: %+v", name, ci.CachedInfo().Config)
				}
			}
			t.Fatalf("after resume %d the stream has %d consumers, want only the instance's", i, c)
		}
	}
}
