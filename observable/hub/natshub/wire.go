package natshub

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/rxsse/rxsse/encoder"
)

// How an event is stored in a stream message: the data bytes are the body;
// everything else is a header. String values are token-encoded (see
// encodeToken), so no header value can carry a line break or lose
// surrounding spaces.
const (
	hdrTopic   = "Rxsse-Topic"   // one value per topic
	hdrType    = "Rxsse-Type"    // the event type
	hdrComment = "Rxsse-Comment" // the comment
	hdrRetry   = "Rxsse-Retry"   // the retry hint, in nanoseconds
	hdrData    = "Rxsse-Data"    // how Data was given: dataString, dataBytes or dataJSON; absent when nil
)

const (
	dataString = "s"
	dataBytes  = "b"
	dataJSON   = "j"
)

// storedEvent is an event read back from the stream.
type storedEvent struct {
	seq    uint64
	time   time.Time
	topics []string // nil: every subscriber
	ev     encoder.MessageEvent
}

// newMsg returns the stream message for ev, whose Data is already encoded
// (a string, []byte or json.RawMessage, or nil), published to topics
// (deduplicated, possibly none).
func newMsg(prefix string, ev encoder.MessageEvent, topics []string) (*nats.Msg, error) {
	m := nats.NewMsg(subjectFor(prefix, topics))
	for _, t := range topics {
		m.Header.Add(hdrTopic, encodeToken(t))
	}
	if ev.Type != "" {
		m.Header.Set(hdrType, encodeToken(ev.Type))
	}
	if ev.Comment != "" {
		m.Header.Set(hdrComment, encodeToken(ev.Comment))
	}
	if ev.Retry != 0 {
		m.Header.Set(hdrRetry, strconv.FormatInt(int64(ev.Retry), 10))
	}
	switch d := ev.Data.(type) {
	case nil:
	case string:
		m.Header.Set(hdrData, dataString)
		m.Data = []byte(d)
	case json.RawMessage:
		m.Header.Set(hdrData, dataJSON)
		m.Data = d
	case []byte:
		m.Header.Set(hdrData, dataBytes)
		m.Data = d
	default:
		return nil, fmt.Errorf("natshub: data of type %T is not encoded", ev.Data)
	}
	return m, nil
}

// readMsg decodes a stream message written by newMsg. The event's ID is
// left empty: it is the broker's to set.
func readMsg(seq uint64, at time.Time, h nats.Header, data []byte) (storedEvent, error) {
	e := storedEvent{seq: seq, time: at}
	var err error
	if vs := h.Values(hdrTopic); len(vs) > 0 {
		e.topics = make([]string, len(vs))
		for i, v := range vs {
			if e.topics[i], err = decodeToken(v); err != nil {
				return e, fmt.Errorf("natshub: message %d: topic: %w", seq, err)
			}
		}
	}
	if v := h.Get(hdrType); v != "" {
		if e.ev.Type, err = decodeToken(v); err != nil {
			return e, fmt.Errorf("natshub: message %d: type: %w", seq, err)
		}
	}
	if v := h.Get(hdrComment); v != "" {
		if e.ev.Comment, err = decodeToken(v); err != nil {
			return e, fmt.Errorf("natshub: message %d: comment: %w", seq, err)
		}
	}
	if v := h.Get(hdrRetry); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return e, fmt.Errorf("natshub: message %d: retry: %w", seq, err)
		}
		e.ev.Retry = time.Duration(n)
	}
	switch h.Get(hdrData) {
	case "":
	case dataString:
		e.ev.Data = string(data)
	case dataBytes:
		e.ev.Data = data
	case dataJSON:
		e.ev.Data = json.RawMessage(data)
	default:
		return e, fmt.Errorf("natshub: message %d: unknown data kind %q", seq, h.Get(hdrData))
	}
	return e, nil
}
