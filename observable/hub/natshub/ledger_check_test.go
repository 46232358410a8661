package natshub

import (
	"testing"
	"time"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/internal/publish"
	"github.com/rxsse/rxsse/observable/hub"
)

// The check the fault tests end with finds every way a stream can be
// wrong: a lost, repeated, reordered, foreign or altered event, and a gap.
func TestTheFaultTestsCheckFindsWhatWentWrong(t *testing.T) {
	const epoch = "e"
	l := newLedger()
	t0 := time.Now()
	// Events 1 to 10: odd ones of topic a, even ones of topic b.
	for seq := uint64(1); seq <= 10; seq++ {
		topic := "a"
		if seq%2 == 0 {
			topic = "b"
		}
		l.acked[seq] = ackedEvent{topic: topic, sum: checksum(eventData(seq)), started: t0, returned: t0}
		l.last[topic] = seq
	}
	l.epoch = epoch
	// Event 11 was stored, but its Publish failed.
	l.failed[checksum(eventData(11))] = "context deadline exceeded"
	ev := func(seq uint64) encoder.Event {
		return encoder.Event{Type: "message", Data: eventData(seq), LastEventID: publish.FormatID(epoch, seq)}
	}
	client := func(topics []string, start uint64, seqs ...uint64) *tally {
		c := newTally("c", topics)
		c.resumeFrom(publish.FormatID(epoch, start))
		for _, seq := range seqs {
			c.receive(ev(seq))
		}
		return c
	}
	altered := client([]string{"a"}, 0, 1, 3, 5, 7)
	bad := ev(9)
	bad.Data = "something else"
	altered.receive(bad)
	gap := client([]string{"b"}, 4, 6, 8, 10)
	gap.receive(encoder.Event{Type: hub.GapEventType, Data: "{}", LastEventID: publish.FormatID(epoch, 4)})
	// A live client, started after event 8 was published, expects 9
	// whatever its first event.
	live := newTally("live", []string{"a"})
	live.opened("A", true)
	later := time.Now().Add(time.Millisecond)
	l.acked[9] = ackedEvent{topic: "a", sum: checksum(eventData(9)), started: later, returned: later}

	for _, tc := range []struct {
		name   string
		client *tally
		want   verdict
	}{
		{"all of its topics after its start", client([]string{"a", "b"}, 4, 5, 6, 7, 8, 9, 10), verdict{delivered: 6}},
		{"nothing before its start is expected", client([]string{"b"}, 8, 10), verdict{delivered: 1}},
		{"a lost event", client([]string{"a"}, 0, 1, 3, 7, 9), verdict{delivered: 4, lost: 1}},
		{"a lost last event", client([]string{"b"}, 0, 2, 4, 6, 8), verdict{delivered: 4, lost: 1}},
		{"a repeated event", client([]string{"a"}, 0, 1, 3, 3, 5, 7, 9), verdict{delivered: 6, duplicated: 1}},
		{"events out of order", client([]string{"a"}, 0, 1, 5, 3, 7, 9), verdict{delivered: 5, disordered: 1}},
		{"an event of another topic", client([]string{"a"}, 6, 7, 8, 9), verdict{delivered: 3, foreign: 1}},
		{"altered data", altered, verdict{delivered: 5, mismatched: 1}},
		{"a gap event", gap, verdict{delivered: 3, gaps: 1}},
		{"an event whose Publish failed", client([]string{"a"}, 8, 9, 11), verdict{delivered: 2, unacked: 1}},
		{"an event nobody published", client([]string{"a"}, 8, 9, 13), verdict{delivered: 2, problems: 1}},
		{"a live client that missed what was published after it started", live, verdict{lost: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := l.check([]*tally{tc.client})
			if v.String() != tc.want.String() {
				t.Errorf("got %s, want %s", v, tc.want)
			}
			if v.failed() != tc.want.failed() {
				t.Errorf("failed() = %v", v.failed())
			}
			if v.failed() && len(v.notes) == 0 {
				t.Error("no note says what failed")
			}
		})
	}
}

func eventData(seq uint64) string { return "d" + publish.FormatID("", seq) }
