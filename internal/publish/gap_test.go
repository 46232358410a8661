package publish_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rxsse/rxsse/internal/publish"
)

func TestGap(t *testing.T) {
	ev := publish.Gap("abcdefgh", 6, `old-"3"`)
	if ev.Type != "gap" || ev.ID != "abcdefgh-6" {
		t.Errorf("gap event type %q id %q, want gap, abcdefgh-6", ev.Type, ev.ID)
	}
	if got, want := string(ev.Data.(json.RawMessage)), `{"lastEventId":"old-\"3\""}`; got != want {
		t.Errorf("gap data %s, want %s", got, want)
	}
}

// A client's Last-Event-ID is input of any size: the gap event echoes at
// most 128 bytes of it.
func TestGapTruncatesTheEchoedID(t *testing.T) {
	ev := publish.Gap("e", 0, strings.Repeat("x", 1<<20))
	var data struct{ LastEventID string }
	if err := json.Unmarshal(ev.Data.(json.RawMessage), &data); err != nil {
		t.Fatal(err)
	}
	if data.LastEventID != strings.Repeat("x", 128) {
		t.Errorf("gap echoes %d bytes, want 128", len(data.LastEventID))
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		name string
		id   string
		want string
	}{
		{"a short id stays", "abc-1", "abc-1"},
		{"128 bytes stay", strings.Repeat("a", 128), strings.Repeat("a", 128)},
		{"129 bytes lose one", strings.Repeat("a", 129), strings.Repeat("a", 128)},
		{"a rune across the limit goes whole", strings.Repeat("a", 127) + "é", strings.Repeat("a", 127)},
		{"a rune ending at the limit stays", strings.Repeat("a", 126) + "é" + "z", strings.Repeat("a", 126) + "é"},
		{"a four-byte rune across the limit goes whole", strings.Repeat("a", 126) + "😀", strings.Repeat("a", 126)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := publish.Truncate(tc.id); got != tc.want {
				t.Errorf("Truncate = %q (%d bytes), want %d bytes", got, len(got), len(tc.want))
			}
		})
	}
}
