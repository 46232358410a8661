package natshub

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/internal/publish"
	"github.com/rxsse/rxsse/observable/hub"
)

// Publish appends ev to the stream, published to topics (none: every
// subscriber), and returns its id once NATS has acknowledged it: the event
// is then stored, and reaches the subscribers of every instance. It
// validates and encodes ev exactly as hub.Hub.Publish does: ev.ID must be
// empty, ev.Type must not contain a line break, and ev.Data is encoded
// once (strings as they are, []byte copied, json.RawMessage validated,
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
	ev, topics, err := publish.Prepare(ev, topics, publish.Errors{IDSet: hub.ErrIDSet, EmptyTopic: hub.ErrEmptyTopic})
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
	return publish.FormatID(epoch, ack.Sequence), nil
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
