package natshub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"unicode/utf8"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/internal/fanout"
	"github.com/rxsse/rxsse/observable"
	"github.com/rxsse/rxsse/observable/hub"
)

// Publish appends ev to the stream, published to topics (none: every
// subscriber), and returns its id once NATS has acknowledged it: the event
// is then stored, and reaches the subscribers of every instance. It
// validates and encodes ev exactly as hub.Hub.Publish does: ev.ID must be
// empty, ev.Type must not contain a line break, and ev.Data is encoded
// once (strings and []byte as they are, json.RawMessage validated,
// anything else as JSON).
//
// It fails, and the event is not acknowledged, when ctx ends first, when
// NATS is unreachable (ErrUnavailable, or the client's error), or after
// Close (hub.ErrClosed). An error never hides an acknowledged event; after
// a timeout, the event may still have been stored.
func (b *Broker) Publish(ctx context.Context, ev encoder.MessageEvent, topics ...string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	ev, err := encodeEvent(ev)
	if err != nil {
		return "", err
	}
	topics, err = normalizeTopics(topics)
	if err != nil {
		return "", err
	}
	msg, err := newMsg(b.prefix, ev, topics)
	if err != nil {
		return "", err
	}
	b.mu.Lock()
	closed, epoch, s := b.closed, b.epoch, b.sess
	b.mu.Unlock()
	if closed {
		return "", hub.ErrClosed
	}
	// While the instance is not consuming, it may not know the stream's
	// epoch any more (the stream may have been recreated): refuse rather
	// than return an id that could be misread.
	if ended, _ := s.endError(); ended || !b.nc.IsConnected() {
		return "", ErrUnavailable
	}
	ack, err := b.js.PublishMsg(ctx, msg, jetstream.WithExpectStream(b.cfg.stream))
	if err != nil {
		return "", fmt.Errorf("natshub: publish to %q: %w", b.cfg.stream, err)
	}
	b.noteAcked(ack.Sequence)
	return formatID(epoch, ack.Sequence), nil
}

// noteAcked remembers the latest sequence this instance published, so that
// a subscription started after Publish returned never gets that event as
// live, even if the consumer has not delivered it yet.
func (b *Broker) noteAcked(seq uint64) {
	for {
		cur := b.acked.Load()
		if seq <= cur || b.acked.CompareAndSwap(cur, seq) {
			return
		}
	}
}

// encodeEvent validates ev and encodes its data once, as the in-memory hub
// does (the hub keeps its helpers unexported: this is the same code).
func encodeEvent(ev encoder.MessageEvent) (encoder.MessageEvent, error) {
	if ev.ID != "" {
		return ev, &encoder.FieldError{Field: "id", Err: hub.ErrIDSet}
	}
	if strings.ContainsAny(ev.Type, "\r\n") {
		return ev, &encoder.FieldError{Field: "event", Err: encoder.ErrInvalidType}
	}
	switch d := ev.Data.(type) {
	case nil, string:
	case []byte:
		ev.Data = append([]byte(nil), d...)
	case json.RawMessage:
		if !json.Valid(d) {
			return ev, &encoder.FieldError{Field: "data", Err: errors.New("invalid JSON in json.RawMessage")}
		}
		ev.Data = append(json.RawMessage(nil), d...)
	default:
		data, err := marshalJSON(d)
		if err != nil {
			return ev, &encoder.FieldError{Field: "data", Err: err}
		}
		ev.Data = json.RawMessage(data)
	}
	return ev, nil
}

// marshalJSON marshals v like the encoder's default: no HTML escaping, no
// trailing newline. A MarshalJSON that panics becomes an error.
func marshalJSON(v any) (_ []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &observable.PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return []byte(strings.TrimSuffix(buf.String(), "\n")), nil
}

// normalizeTopics returns topics sorted and deduplicated (nil if none), or
// hub.ErrEmptyTopic, as the in-memory hub does.
func normalizeTopics(topics []string) ([]string, error) {
	for i, t := range topics {
		if t == "" {
			return nil, fmt.Errorf("topic %d: %w", i, hub.ErrEmptyTopic)
		}
	}
	return fanout.Normalize(topics), nil
}

// gapItem is the event a subscription starts with when it cannot resume
// from lastEventID: its id is the position before the oldest retained
// event.
func gapItem(epoch string, before uint64, lastEventID string) encoder.MessageEvent {
	lastEventID = truncate(lastEventID)
	data, _ := json.Marshal(struct {
		LastEventID string `json:"lastEventId"`
	}{lastEventID})
	return encoder.MessageEvent{Type: hub.GapEventType, ID: formatID(epoch, before), Data: json.RawMessage(data)}
}

// maxEchoedID bounds how much of a client's Last-Event-ID the gap event
// echoes and the log shows, as in the in-memory hub.
const maxEchoedID = 128

// truncate bounds a client's id to maxEchoedID bytes, on a rune boundary.
func truncate(id string) string {
	if len(id) <= maxEchoedID {
		return id
	}
	cut := maxEchoedID
	for cut > 0 && !utf8.RuneStart(id[cut]) {
		cut--
	}
	return id[:cut]
}
