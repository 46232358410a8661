package natshub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rxsse/rxsse/internal/fanout"
	"github.com/rxsse/rxsse/internal/publish"
	"github.com/rxsse/rxsse/observable/hub"
)

// Broker is a hub.Broker on a NATS JetStream stream. Every instance of an
// application creates its own Broker on the same stream: an event
// published on any instance reaches the subscribers of all, and its id,
// "<epoch>-<stream sequence>", resumes on any.
//
// Each Broker runs one JetStream consumer, which feeds an in-memory
// fan-out: however many subscribers an instance has, it costs the NATS
// servers one consumer. Create a Broker with New; it is safe for
// concurrent use.
type Broker struct {
	cfg    config
	nc     *nats.Conn
	js     jetstream.JetStream
	prefix string

	// History reads (resumes older than the local window) go over a
	// connection of their own, hc, so that a storm of them cannot delay
	// or disconnect the live consumer; historyTurns bounds how many run
	// at once.
	hc           *nats.Conn
	hjs          jetstream.JetStream
	historyTurns chan struct{}

	ctx      context.Context // cancelled by Close
	cancel   context.CancelFunc
	status   chan nats.Status
	advisory *nats.Subscription // the stream's deletion advisories
	failed   chan *session      // a session whose consumer failed
	done     chan struct{}      // closed when run returns

	acked   atomic.Uint64  // the latest sequence this instance published
	readers sync.WaitGroup // goroutines reading the stream for resumes

	mu     sync.Mutex
	closed bool
	sess   *session // the latest session; never nil after New
	epoch  string
}

// session is one stretch of uninterrupted consuming: the local fan-out and
// the consumer that feeds it. When the consumer fails, the session ends, its
// subscribers end with ErrUnavailable, and the next session starts after
// the last event this one appended.
type session struct {
	log   *fanout.Log
	epoch string
	base  uint64 // the stream sequence before the first event this session appends
	live  uint64 // where the session started to be live: a subscription for live events only starts after it
	// whole: the session started at the stream's first event, so its
	// fan-out holds every event the stream retains until it drops one.
	whole bool
	// maxMsgs is the stream's limit by count (0: none): an event more than
	// maxMsgs behind the latest is gone from the stream, even if the
	// fan-out, lagging behind, still holds it.
	maxMsgs uint64

	mu      sync.Mutex
	ended   bool
	endErr  error  // why the session ended: ErrUnavailable, or nil when the broker closed
	last    uint64 // stream sequence of the latest event appended
	lastDel uint64 // consumer delivery sequence of that event
	cc      jetstream.ConsumeContext
	moved   chan struct{} // closed when last moves or the session ends, if armed
	armed   bool          // someone waits on moved
}

// reached reports whether the session has appended the event of sequence
// seq (or a later one), or has ended; if not, it returns a channel that is
// closed when it moves on.
func (s *session) reached(seq uint64) (bool, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last >= seq || s.ended {
		return true, nil
	}
	if s.moved == nil {
		s.moved = make(chan struct{})
	}
	s.armed = true
	return false, s.moved
}

// advance records that the session has appended up to seq, and wakes who
// waits for it. The caller holds s.mu.
func (s *session) advance(seq uint64) {
	s.last = seq
	if s.armed {
		s.armed = false
		close(s.moved)
		s.moved = make(chan struct{})
	}
}

// ErrUnavailable ends the subscriptions of an instance that lost its NATS
// connection or consumer, and is the error Subscribe's streams carry
// while that lasts. The instance recovers by itself when NATS is back.
//
// It implements transport.Reconnecter: the transport ends the stream
// without an error frame, and the client reconnects with Last-Event-ID,
// to this instance or another one, and misses nothing.
var ErrUnavailable error = unavailableError{}

type unavailableError struct{}

func (unavailableError) Error() string {
	return "natshub: NATS unavailable, stream ended (it can resume with Last-Event-ID)"
}

// Reconnect reports that the client should reconnect.
func (unavailableError) Reconnect() bool { return true }

// New binds the stream c names (see Config), creating it if it does not
// exist, and starts consuming it from its current end. nc must be
// connected; the Broker never closes it, and keeps working across its
// reconnections. Close the Broker before nc.
func New(ctx context.Context, nc *nats.Conn, c Config) (*Broker, error) {
	cfg := newConfig(c)
	if nc == nil {
		return nil, errors.New("natshub: nil connection")
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("natshub: %w", err)
	}
	b := &Broker{
		cfg:          cfg,
		nc:           nc,
		js:           js,
		prefix:       "rxsse." + cfg.stream,
		historyTurns: make(chan struct{}, historyReaders),
		failed:       make(chan *session, 1),
		done:         make(chan struct{}),
	}
	if err := b.start(ctx, true); err != nil {
		return nil, err
	}
	b.hc, b.hjs = historyConn(nc, cfg.logger)
	if b.hjs == nil {
		b.hjs = js
	}
	// NATS announces a deleted stream on an advisory subject: the consumer
	// may not notice it at once, and the stream may be recreated at once.
	deleted, err := nc.Subscribe("$JS.EVENT.ADVISORY.STREAM.DELETED."+cfg.stream, func(*nats.Msg) {
		b.fail(b.current())
	})
	if err != nil {
		b.current().end(nil)
		if b.hc != nil {
			b.hc.Close()
		}
		return nil, fmt.Errorf("natshub: %w", err)
	}
	b.advisory = deleted
	b.ctx, b.cancel = context.WithCancel(context.Background())
	b.status = nc.StatusChanged(nats.CONNECTED, nats.DISCONNECTED, nats.RECONNECTING, nats.CLOSED)
	go b.run()
	return b, nil
}

// start binds the stream and starts a session with its consumer. The first
// session is live from the stream's end; a later one continues after the
// last event the previous one appended, unless the stream was recreated (a
// new epoch) or has dropped the events in between. Either way the consumer
// starts up to Config.LocalWindow events earlier, so that the fan-out's window
// is warm and resumes right after a start are served from memory.
func (b *Broker) start(ctx context.Context, first bool) error {
	stream, info, err := ensureStream(ctx, b.js, b.cfg, b.prefix)
	if err != nil {
		return err
	}
	epoch := epochOf(info.Created)
	b.mu.Lock()
	prev := b.sess
	b.mu.Unlock()
	pos := info.State.LastSeq
	if !first && prev != nil && prev.epoch == epoch {
		prev.mu.Lock()
		last := prev.last
		prev.mu.Unlock()
		if last+1 >= info.State.FirstSeq {
			pos = last // nothing lost in between: continue where it stopped
		} else {
			b.cfg.logger.Warn("natshub: events dropped from the stream while disconnected", "stream", b.cfg.stream, "last", last, "first", info.State.FirstSeq)
		}
	} else if !first && prev != nil {
		b.cfg.logger.Warn("natshub: the stream was recreated: new epoch", "stream", b.cfg.stream, "old", prev.epoch, "new", epoch)
	}
	from := max(info.State.FirstSeq, pos+1-min(pos, uint64(b.cfg.localWindow)), 1)
	from = min(from, pos+1)

	fc := b.fanoutConfig(info.Config)
	fc.Start = from - 1
	s := &session{
		log:   fanout.New(fc),
		epoch: epoch,
		base:  from - 1,
		live:  pos,
		last:  from - 1,
		whole: from <= max(info.State.FirstSeq, 1),
	}
	if info.Config.MaxMsgs > 0 {
		s.maxMsgs = uint64(info.Config.MaxMsgs)
	}
	cons, err := stream.CreateConsumer(ctx, jetstream.ConsumerConfig{
		Description:       "rxsse instance fan-out",
		DeliverPolicy:     jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:       from,
		AckPolicy:         jetstream.AckNonePolicy,
		MemoryStorage:     true,
		Replicas:          1,
		InactiveThreshold: time.Minute,
	})
	if err != nil {
		s.log.Close()
		return fmt.Errorf("natshub: consumer on %q: %w", b.cfg.stream, err)
	}
	// Heartbeats every 5 s: a consumer that is gone without a word is
	// noticed within 10 s.
	cc, err := cons.Consume(s.append(b), jetstream.ConsumeErrHandler(b.consumeError(s)), jetstream.PullHeartbeat(5*time.Second))
	if err != nil {
		s.log.Close()
		return fmt.Errorf("natshub: consume %q: %w", b.cfg.stream, err)
	}
	s.mu.Lock()
	s.cc = cc
	s.mu.Unlock()

	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		s.end(nil)
		return hub.ErrClosed
	}
	b.epoch, b.sess = epoch, s
	return nil
}

// fanoutConfig is the configuration of a session's local fan-out. Its
// window never holds more than the stream does, so that a resume the
// stream would answer with a gap is not served from memory instead.
func (b *Broker) fanoutConfig(sc jetstream.StreamConfig) fanout.Config {
	replay, lag := b.cfg.localWindow, b.cfg.buffer
	if sc.MaxMsgs > 0 {
		// A subscriber cut off for lagging must find its position in the
		// stream: the lag bound never exceeds what the stream retains.
		replay = int(min(int64(replay), sc.MaxMsgs))
		lag = int(min(int64(lag), sc.MaxMsgs))
	}
	cfg := fanout.Config{
		Replay:    replay,
		ReplayAge: sc.MaxAge,
		MaxLag:    lag,
		ErrSlow:   hub.ErrSlowSubscriber,
	}
	if o := b.cfg.observer; o != nil {
		cfg.OnEnd = func(r fanout.EndReason) { o.Unsubscribed(hub.EndReason(r)) }
	}
	return cfg
}

// append returns the consumer's message handler: it appends each event to
// the session's fan-out. NATS calls it on one goroutine, in stream order.
func (s *session) append(b *Broker) jetstream.MessageHandler {
	return func(m jetstream.Msg) {
		md, err := m.Metadata()
		if err != nil {
			b.cfg.logger.Error("natshub: message without metadata", "stream", b.cfg.stream, "err", err)
			return
		}
		seq := md.Sequence.Stream
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.ended {
			return
		}
		if md.Sequence.Consumer != s.lastDel+1 || seq <= s.last {
			// A delivery was lost (it can be, without acks, across a
			// reconnection): start again after the last event appended.
			b.cfg.logger.Warn("natshub: consumer skipped a delivery, restarting it", "stream", b.cfg.stream, "last", s.last, "got", seq)
			b.fail(s)
			return
		}
		s.lastDel = md.Sequence.Consumer
		if seq > s.last+1 {
			// The stream dropped events (its limits, or a deletion) before
			// this consumer read them: the subscribers cannot get them from
			// here, and must not jump over them silently. They are cut off,
			// and resuming tells them of the gap.
			b.cfg.logger.Warn("natshub: events left the stream before this instance read them; cutting its subscribers off", "stream", b.cfg.stream, "last", s.last, "next", seq)
			s.log.Break(seq)
		}
		e, err := readMsg(seq, md.Timestamp, m.Headers(), m.Data())
		if err != nil {
			// Not written by a Broker: skip it, and say so once per message.
			b.cfg.logger.Error("natshub: skipping a message", "stream", b.cfg.stream, "seq", seq, "err", err)
			s.log.Advance(seq)
			s.advance(seq)
			return
		}
		e.ev.ID = publish.FormatID(s.epoch, seq)
		delivered, err := s.log.Append(fanout.Event{Seq: seq, Time: e.time, Topics: e.topics, Item: publish.Item(e.ev)})
		if err != nil {
			return // closed: the session is ending
		}
		if o := b.cfg.observer; o != nil {
			o.Published(delivered, time.Since(md.Timestamp))
		}
		s.advance(seq)
	}
}

// waitReached waits until the session has appended the event of sequence
// seq (or a later one) or has ended, or until ctx ends.
func (s *session) waitReached(ctx context.Context, seq uint64) error {
	for {
		reached, moved := s.reached(seq)
		if reached {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-moved:
		}
	}
}

// consumeError returns the consumer's error handler: an error that stops
// the consumer ends the session, and run starts another.
func (b *Broker) consumeError(s *session) jetstream.ConsumeErrHandler {
	return func(_ jetstream.ConsumeContext, err error) {
		switch {
		case errors.Is(err, jetstream.ErrNoHeartbeat),
			errors.Is(err, jetstream.ErrConsumerDeleted),
			errors.Is(err, jetstream.ErrConsumerNotFound),
			errors.Is(err, jetstream.ErrBadRequest),
			errors.Is(err, jetstream.ErrConnectionClosed):
			b.cfg.logger.Warn("natshub: consumer failed", "stream", b.cfg.stream, "err", err)
			b.fail(s)
		default:
			b.cfg.logger.Debug("natshub: consumer", "stream", b.cfg.stream, "err", err)
		}
	}
}

// fail asks run to end session s, if it is still the current one, and
// start another.
func (b *Broker) fail(s *session) {
	select {
	case b.failed <- s:
	default:
	}
}

// end ends the session: its consumer stops, and its subscriptions, after
// the events already appended, end with err (nil: they complete).
func (s *session) end(err error) {
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return
	}
	s.ended, s.endErr = true, err
	if s.moved != nil {
		close(s.moved) // whoever waits sees the end
		s.moved = nil
	}
	cc := s.cc
	s.mu.Unlock()
	if cc != nil {
		cc.Stop()
	}
	s.log.Close()
}

// endError reports whether the session ended, and with which error.
func (s *session) endError() (ended bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ended, s.endErr
}

// run watches the connection and the consumer until Close: it ends the
// session when either fails, and starts a new one, with a growing delay
// between attempts, once NATS answers again.
func (b *Broker) run() {
	defer close(b.done)
	const minDelay, maxDelay = 50 * time.Millisecond, 2 * time.Second
	delay := minDelay
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	down := false
	interrupt := func() {
		if !down {
			down = true
			b.current().end(ErrUnavailable)
			b.cfg.logger.Warn("natshub: consuming interrupted; subscribers will reconnect", "stream", b.cfg.stream)
		}
	}
	for {
		select {
		case <-b.ctx.Done():
			return
		case st := <-b.status:
			if st != nats.CONNECTED {
				interrupt()
				retry.Stop()
				continue
			}
			delay = minDelay
			retry.Reset(0)
		case s := <-b.failed:
			if s != b.current() {
				continue // an earlier session: already replaced
			}
			interrupt()
			retry.Reset(delay)
		case <-retry.C:
			if !down || !b.nc.IsConnected() {
				continue
			}
			ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
			err := b.start(ctx, false)
			cancel()
			if err != nil {
				b.cfg.logger.Warn("natshub: cannot consume yet", "stream", b.cfg.stream, "err", err, "retry", delay)
				retry.Reset(delay)
				delay = min(2*delay, maxDelay)
				continue
			}
			down, delay = false, minDelay
			b.cfg.logger.Info("natshub: consuming again", "stream", b.cfg.stream)
		}
	}
}

// current returns the current session.
func (b *Broker) current() *session {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sess
}

// Close stops consuming and ends every subscription of this instance (each
// completes after the events it already has), and makes Publish fail with
// hub.ErrClosed. It neither deletes the stream nor closes the connection.
// It returns nil; calling it again does nothing.
func (b *Broker) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	s := b.sess
	b.mu.Unlock()
	// What this instance published reaches its own subscribers before they
	// complete, if the consumer delivers it soon enough.
	ctx, cancel := context.WithTimeout(context.Background(), closeWait)
	s.waitReached(ctx, b.acked.Load())
	cancel()
	b.cancel()
	<-b.done
	b.advisory.Unsubscribe()
	b.nc.RemoveStatusListener(b.status)
	b.current().end(nil)
	b.readers.Wait()
	if b.hc != nil {
		b.hc.Close()
	}
	return nil
}

// historyConn opens the connection history reads use: a second one with
// nc's options (servers, credentials, TLS), so that they never share the
// live consumer's. If it cannot be opened, history reads share nc, and
// that is logged.
func historyConn(nc *nats.Conn, logger *slog.Logger) (*nats.Conn, jetstream.JetStream) {
	opts := nc.Opts
	if opts.Name != "" {
		opts.Name += " (rxsse history)"
	}
	hc, err := opts.Connect()
	if err == nil {
		var js jetstream.JetStream
		if js, err = jetstream.New(hc); err == nil {
			return hc, js
		}
		hc.Close()
	}
	logger.Warn("natshub: no second NATS connection for history reads; they share the live one", "err", err)
	return nil, nil
}

// closeWait bounds how long Close waits for the consumer to deliver what
// this instance published.
const closeWait = 2 * time.Second
