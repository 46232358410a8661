package natshub

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/internal/fanout"
	"github.com/rxsse/rxsse/internal/publish"
)

// readHistory reads into h the events of the stream after lastEventID up to
// sequence L, where the live part of the subscription starts; if it cannot
// resume from lastEventID, the gap event and every retained event up to L
// instead. It returns the sequence up to which the live part must drop
// events (lastEventID's own, when it is ahead of L), how many events it
// read, and whether it sent the gap event.
//
// The stream is read with an ordered consumer filtered on the topics'
// subjects, so NATS sends only the events the subscription can match.
func (b *Broker) readHistory(ctx context.Context, h *history, s *session, stream jetstream.Stream, L uint64, lastEventID string, topics []string) (skip uint64, read int, gap bool, err error) {
	info, err := stream.Info(ctx)
	if err != nil {
		return 0, 0, false, err
	}
	if epochOf(info.Created) != s.epoch {
		return 0, 0, false, fmt.Errorf("stream %q was recreated", b.cfg.stream)
	}
	first, last := info.State.FirstSeq, info.State.LastSeq
	epoch, seq, ok := publish.ParseID(lastEventID)
	from := seq + 1
	if gap = !ok || epoch != s.epoch || seq+1 < first || seq > last; gap {
		b.cfg.logger.Info("natshub: resume gap, replaying every retained event", "stream", b.cfg.stream, "lastEventID", publish.Truncate(lastEventID), "first", first)
		if !h.push(ctx, rxgo.Of(publish.Gap(s.epoch, first-1, lastEventID))) {
			return 0, 0, gap, ctx.Err()
		}
		from, seq = first, first-1
	}
	if from > L {
		return seq, 0, gap, nil
	}
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects:    filterSubjects(b.prefix, topics),
		DeliverPolicy:     jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:       from,
		InactiveThreshold: 10 * time.Second,
	})
	if err != nil {
		return 0, 0, gap, err
	}
	msgs, err := cons.Messages(jetstream.PullMaxMessages(historyBuffer))
	if err != nil {
		return 0, 0, gap, err
	}
	defer msgs.Stop()
	if ci := cons.CachedInfo(); ci != nil && ci.NumPending == 0 {
		return 0, 0, gap, nil // nothing matches
	}
	for {
		m, err := msgs.Next(jetstream.NextContext(ctx))
		if err != nil {
			return 0, read, gap, err
		}
		md, err := m.Metadata()
		if err != nil {
			return 0, read, gap, err
		}
		n := md.Sequence.Stream
		if n > L {
			return 0, read, gap, nil
		}
		e, err := readMsg(n, md.Timestamp, m.Headers(), m.Data())
		if err == nil && fanout.Match(topics, e.topics) {
			e.ev.ID = publish.FormatID(s.epoch, n)
			if !h.push(ctx, rxgo.Of(e.ev)) {
				return 0, read, gap, ctx.Err()
			}
			read++
		}
		if n == L || md.NumPending == 0 {
			return 0, read, gap, nil
		}
	}
}
