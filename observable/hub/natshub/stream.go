package natshub

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// streamConfig is the stream a Broker creates when none exists.
func (c config) streamConfig(prefix string) jetstream.StreamConfig {
	sc := jetstream.StreamConfig{
		Name:        c.stream,
		Description: "rxsse events (github.com/rxsse/rxsse/observable/hub/natshub)",
		Subjects:    []string{prefix + ".>"},
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxMsgs:     -1,
		MaxAge:      c.replayAge,
		Storage:     jetstream.FileStorage,
		Replicas:    c.replicas,
		AllowDirect: true,
	}
	if c.replayCount > 0 {
		sc.MaxMsgs = c.replayCount
	}
	if c.memory {
		sc.Storage = jetstream.MemoryStorage
	}
	return sc
}

// ErrStreamSubjects is returned by New when a stream of the name exists but
// does not capture the broker's subjects: it belongs to something else.
var ErrStreamSubjects = errors.New("natshub: the stream exists but does not capture the broker's subjects")

// ensureStream binds the stream, creating it first if it does not exist,
// and returns its current info.
func ensureStream(ctx context.Context, js jetstream.JetStream, cfg config, prefix string) (jetstream.Stream, *jetstream.StreamInfo, error) {
	s, err := js.Stream(ctx, cfg.stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		s, err = js.CreateStream(ctx, cfg.streamConfig(prefix))
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			s, err = js.Stream(ctx, cfg.stream) // another instance created it first
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("natshub: stream %q: %w", cfg.stream, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("natshub: stream %q: %w", cfg.stream, err)
	}
	if !slices.Contains(info.Config.Subjects, prefix+".>") {
		return nil, nil, fmt.Errorf("%w: %q captures %q, not %q", ErrStreamSubjects, cfg.stream, info.Config.Subjects, prefix+".>")
	}
	return s, info, nil
}

// epochOf returns the epoch of a stream: its creation time in base 36.
// NATS keeps that time across server restarts and gives every replica of
// a stream the same one; a deleted and recreated stream gets a new one.
func epochOf(created time.Time) string {
	return strconv.FormatInt(created.UnixNano(), 36)
}
