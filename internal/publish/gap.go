package publish

import (
	"encoding/json"
	"unicode/utf8"

	"github.com/rxsse/rxsse/encoder"
)

// gapType is the type of the gap event, hub.GapEventType (a test of
// package hub checks that they agree).
const gapType = "gap"

// maxEchoedID bounds how much of a client's Last-Event-ID the gap event
// echoes and the logs show: the header is client input of any size.
const maxEchoedID = 128

// Gap returns the event a subscription starts with when it cannot resume
// from lastEventID: its data is {"lastEventId":"<lastEventID, truncated>"}
// and its id is the position before, that of the event before the oldest
// one retained.
func Gap(epoch string, before uint64, lastEventID string) encoder.MessageEvent {
	data, _ := json.Marshal(struct {
		LastEventID string `json:"lastEventId"`
	}{Truncate(lastEventID)})
	return encoder.MessageEvent{Type: gapType, ID: FormatID(epoch, before), Data: json.RawMessage(data)}
}

// Truncate bounds a client's id to 128 bytes, on a rune boundary, for the
// gap event and the logs.
func Truncate(id string) string {
	if len(id) <= maxEchoedID {
		return id
	}
	cut := maxEchoedID
	for cut > 0 && !utf8.RuneStart(id[cut]) {
		cut--
	}
	return id[:cut]
}
