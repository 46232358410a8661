package natshub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/internal/publish"
	"github.com/rxsse/rxsse/observable"
	"github.com/rxsse/rxsse/observable/hub"
	"github.com/rxsse/rxsse/transport"
)

// The storm tests (issue 15 §6): a burst of history reads — every client of
// a lost instance resuming on another at once, clients that ask for history
// and never read it, more resumes than the stream allows consumers — must
// never take an instance's live path down. Everything is real: an embedded
// nats-server, one NATS connection, Broker and HTTP server (transport.Serve
// on 127.0.0.1) per instance, and HTTP clients decoding with
// encoder.Decoder, one goroutine each.

// TestResumeStormAfterAnInstanceLoss: the clients of instance A stream from
// it; A is lost; while they wait their retry delay the stream moves on by
// about 1,100 events of 4 KB (150 under -race, which costs ten times
// more per event); then every client reconnects at once to B,
// which has a local window of 64 events, so every resume reads the stream.
// Every client gets every acknowledged event after its id exactly once, in
// order; B's own live subscribers, its publisher and its NATS connection do
// not notice; the stream's consumers stay bounded by B's history readers.
//
// RXSSE_STORM=n sets the number of clients (300 by default).
func TestResumeStormAfterAnInstanceLoss(t *testing.T) {
	clients := 300
	if v := os.Getenv("RXSSE_STORM"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("RXSSE_STORM=%q: want a number of clients", v)
		}
		clients = n
	}
	const liveClients, eventSize = 20, 4 << 10
	// The publisher's pace keeps the live deliveries (events/s × clients)
	// at about 40,000/s, whatever the number of clients, so that what is
	// measured is the storm, not a live load the machine cannot carry.
	back, deliveries := 1100, 40_000 // events missed; live deliveries/s
	if stormRace {
		back, deliveries = 150, 4_000
	}
	every := time.Second * time.Duration(clients+liveClients) / time.Duration(deliveries)

	n := startNATS(t)
	warnings := &warnCounter{}
	cfg := Config{
		Stream: "STORM", LocalWindow: 64, Logger: slog.New(warnings),
		// Nothing leaves the stream during the test, however long it takes:
		// a client's resume is then never answered with a gap.
		ReplayCount: 1_000_000,
	}
	a := startStormInstance(t, n.url, cfg)
	b := startStormInstance(t, n.url, cfg)
	mon := newStormMonitor(t, n.url, "STORM", b.b)

	p := newStormPublisher(b.b, eventSize)
	if err := p.publishOne(); err != nil { // k = 0: where every client starts
		t.Fatal(err)
	}
	run := newStormRun(p, eventSize)
	defer run.close()

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()

	live := run.clients(liveClients, p.seq0)
	for _, c := range live {
		wg.Go(func() { run.stream(ctx, b.url, c, "live client on B") })
	}
	loss := make(chan struct{})      // closed just before A goes
	reconnect := make(chan struct{}) // closed when the clients' retry delay is over
	var lost atomic.Int64
	storm := run.clients(clients, p.seq0)
	for _, c := range storm {
		c.measured = true
		wg.Go(func() {
			err := run.follow(ctx, a.url, c)
			if ctx.Err() != nil || run.broke(err) {
				return
			}
			select {
			case <-loss:
			default:
				c.ends.Add(1)
				run.note("client on A: the stream ended before the loss: %v", err)
			}
			lost.Add(1)
			select {
			case <-ctx.Done():
				return
			case <-reconnect:
			}
			run.stream(ctx, b.url, c, "resume on B")
		})
	}
	all := append(slices.Clone(live), storm...)
	run.waitFor(t, time.Minute, "every client connected", func() bool { return connected(all) == len(all) })

	pubCtx, stopPublishing := context.WithCancel(ctx)
	published := make(chan struct{})
	go func() { defer close(published); p.run(pubCtx, every) }()
	defer func() { stopPublishing(); <-published }()
	run.waitFor(t, time.Minute, "every client streaming from A", func() bool { return lowest(storm) >= p.seq0+20 })

	wg.Go(func() { mon.run(ctx) })
	heapBefore, goroutinesBefore := heapInuse(), runtime.NumGoroutine()
	lossAt := time.Now()
	close(loss)
	a.stop(t)
	run.waitFor(t, time.Minute, "every client of A cut off", func() bool { return lost.Load() == int64(clients) })
	// The clients' retry delay: meanwhile the stream moves on by back
	// events, more than B's local window holds.
	from := highest(storm)
	p.burstTo.Store(from + uint64(back))
	run.waitFor(t, time.Minute, "the backlog published", func() bool { return p.last.Load() >= from+uint64(back) })
	target := p.last.Load()
	run.target.Store(target)
	reconnectAt := time.Now()
	close(reconnect)
	run.state = func() string {
		hist := map[uint64]int{}
		for _, c := range storm {
			if c.caughtAt.Load() == 0 {
				hist[c.seen.Load()]++
			}
		}
		return fmt.Sprintf("%d of %d clients caught up to %d (the latest event is %d); %d history turns taken, %d consumers; the others are at %v",
			run.caught.Load(), clients, target, p.last.Load(), len(b.b.historyTurns), mon.current(), hist)
	}
	timeout := time.Minute + time.Duration(clients)*50*time.Millisecond
	run.waitFor(t, timeout, "every client caught up on B", func() bool { return run.caught.Load() >= int64(clients) })
	var lastCaught int64
	for _, c := range storm {
		lastCaught = max(lastCaught, c.caughtAt.Load())
	}
	caughtAt := time.Unix(0, lastCaught)
	stopPublishing()
	<-published
	final := p.last.Load()
	run.waitFor(t, time.Minute, "every client at the last event", func() bool { return lowest(all) == final })
	cancel()
	wg.Wait()

	var failed, cut int64
	for _, c := range storm {
		failed += c.ends.Load()
	}
	for _, c := range live {
		cut += c.ends.Load()
	}
	liveDrops, reconnects := b.liveDrops.Load(), b.nc.Stats().Reconnects
	t.Logf("storm: %d clients %d events (%d KB) back, %d more published during the storm (one per %v), %d live on B; settle %v from the loss (%v after the reconnect, backlog published in %v); "+
		"peak consumers %d (%d created), peak heap %d MB (%d MB before), peak goroutines %d (%d before); failed resumes %d, live cut off %d, "+
		"publish failures %d, B's NATS disconnects %d (history connection %d), slow consumers on the server %d; warnings: %s",
		clients, target-from, int(target-from)*eventSize>>10, final-target, every, liveClients, caughtAt.Sub(lossAt).Round(time.Millisecond),
		caughtAt.Sub(reconnectAt).Round(time.Millisecond), reconnectAt.Sub(lossAt).Round(time.Millisecond),
		mon.consumers, mon.created.Load(), mon.heap>>20, heapBefore>>20, mon.goroutines, goroutinesBefore, failed, cut,
		p.fails.Load(), liveDrops, b.histDrops.Load(), n.srv.NumSlowConsumers(), warnings)

	run.report(t)
	if failed != 0 {
		t.Errorf("%d resumes on B failed", failed)
	}
	if cut != 0 {
		t.Errorf("B's live subscribers were cut off %d times", cut)
	}
	if f := p.fails.Load(); f != 0 {
		t.Errorf("Publish on B failed %d times: %v", f, p.err())
	}
	if liveDrops != 0 || reconnects != 0 {
		t.Errorf("B's NATS connection was disconnected %d times (%d reconnects)", liveDrops, reconnects)
	}
	if limit := historyReaders + 2 + 2; mon.consumers > limit {
		t.Errorf("peak consumers on the stream %d, want at most %d (history readers + instances + 2)", mon.consumers, limit)
	}
}

// TestHistoryHogsDoNotHurtLiveStreams: 150 connections ask an instance for
// 16 MB of history each and never read their response, while 20 live
// subscribers stream from it and events are published: the live streams,
// Publish and the NATS connection do not notice, the stream's consumers
// stay bounded, and what the hogs held is released when they go.
func TestHistoryHogsDoNotHurtLiveStreams(t *testing.T) {
	const hogs, liveClients = 150, 20
	const historyEvents, historySize, eventSize = 256, 64 << 10, 4 << 10
	n := startNATS(t)
	warnings := &warnCounter{}
	in := startStormInstance(t, n.url, Config{Stream: "HOGS", LocalWindow: 64, Logger: slog.New(warnings)})
	mon := newStormMonitor(t, n.url, "HOGS", in.b)

	p := newStormPublisher(in.b, historySize)
	for range historyEvents {
		if err := p.publishOne(); err != nil {
			t.Fatal(err)
		}
	}
	p.size = eventSize
	run := newStormRun(p, 0)
	defer run.close()

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	wg.Go(func() { mon.run(ctx) })
	live := run.clients(liveClients, p.last.Load())
	for _, c := range live {
		wg.Go(func() { run.stream(ctx, in.url, c, "live client") })
	}
	run.waitFor(t, time.Minute, "every live client connected", func() bool { return connected(live) == len(live) })
	baseline := runtime.NumGoroutine()

	addr := strings.TrimPrefix(strings.TrimSuffix(in.url, "/"), "http://")
	far := publish.FormatID(p.epoch, p.seq0)
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for i := range hogs {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
		// A small receive buffer: the hog's kernel takes little of what
		// the server sends it.
		if err := c.(*net.TCPConn).SetReadBuffer(4 << 10); err != nil {
			t.Fatal(err)
		}
		req := "GET /?history HTTP/1.1\r\nHost: " + addr + "\r\n\r\n" // hub.Oldest
		if i%2 == 1 {
			req = "GET / HTTP/1.1\r\nHost: " + addr + "\r\nLast-Event-ID: " + far + "\r\n\r\n"
		}
		if _, err := c.Write([]byte(req)); err != nil {
			t.Fatal(err)
		}
	}
	run.waitFor(t, time.Minute, "every hog's request served", func() bool { return in.requests.Load() == liveClients+hogs })

	// A few seconds of steady publishing while the hogs hold on.
	pubCtx, stopPublishing := context.WithCancel(ctx)
	published := make(chan struct{})
	go func() { defer close(published); p.run(pubCtx, 10*time.Millisecond) }()
	defer func() { stopPublishing(); <-published }()
	from := p.last.Load()
	run.waitFor(t, time.Minute, "300 events published", func() bool { return p.last.Load() >= from+300 })
	stopPublishing()
	<-published
	final := p.last.Load()
	run.waitFor(t, time.Minute, "every live client at the last event", func() bool { return lowest(live) == final })
	holding := runtime.NumGoroutine()
	if holding < baseline+2*hogs {
		t.Errorf("%d goroutines while the hogs hold on, %d before: the hogs' streams ended (the test does not hold the server as it means to)", holding, baseline)
	}

	for _, c := range held {
		c.Close()
	}
	held = nil
	releaseAt := time.Now()
	// Within much less than NATS's inactivity threshold for a consumer:
	// nothing is left for it to clean up.
	run.waitFor(t, 5*time.Second, "the hogs' goroutines released", func() bool { return runtime.NumGoroutine() <= baseline+5 })
	released := time.Since(releaseAt)
	run.waitFor(t, 5*time.Second, "the hogs' consumers gone", func() bool { return mon.current() <= 1 })
	consumersGone := time.Since(releaseAt)
	cancel()
	wg.Wait()

	var cut int64
	for _, c := range live {
		cut += c.ends.Load()
	}
	t.Logf("hogs: %d hogs, %d live, %d events published while they held on; peak consumers %d (%d created), peak history turns %d, peak heap %d MB, "+
		"goroutines %d before the hogs, %d while they held, back in %v, consumers gone in %v; live cut off %d, publish failures %d, "+
		"NATS disconnects %d (history connection %d); warnings: %s",
		hogs, liveClients, final-from, mon.consumers, mon.created.Load(), mon.turns, mon.heap>>20, baseline, holding, released.Round(time.Millisecond),
		consumersGone.Round(time.Millisecond), cut, p.fails.Load(), in.liveDrops.Load(), in.histDrops.Load(), warnings)

	run.report(t)
	if cut != 0 {
		t.Errorf("live subscribers were cut off %d times", cut)
	}
	if f := p.fails.Load(); f != 0 {
		t.Errorf("Publish failed %d times: %v", f, p.err())
	}
	if d, r := in.liveDrops.Load(), in.nc.Stats().Reconnects; d != 0 || r != 0 {
		t.Errorf("the NATS connection was disconnected %d times (%d reconnects)", d, r)
	}
	if limit := historyReaders + 1 + 2; mon.consumers > limit {
		t.Errorf("peak consumers on the stream %d, want at most %d (history readers + 1 + 2)", mon.consumers, limit)
	}
}

// TestTheConsumerLimitIsWaitedOutNotServedEmpty: the stream exists with a
// cap of 3 consumers (one is the instance's own), and 12 clients resume
// from far back at once, half of them by id and half asking for the oldest
// event: each waits for a consumer to free up and gets every event, none an
// empty 200 or a stream that completes early.
func TestTheConsumerLimitIsWaitedOutNotServedEmpty(t *testing.T) {
	const maxConsumers, resumes, events = 3, 12, 400
	n := startNATS(t)
	nc := connect(t, n.url)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	_, err = js.CreateStream(ctx, jetstream.StreamConfig{
		Name:         "CAPPED",
		Subjects:     []string{"rxsse.CAPPED.>"},
		MaxConsumers: maxConsumers,
		MaxMsgs:      10_000,
		Storage:      jetstream.FileStorage,
	})
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	warnings := &warnCounter{}
	in := startStormInstance(t, n.url, Config{Stream: "CAPPED", LocalWindow: 8, Logger: slog.New(warnings)})
	mon := newStormMonitor(t, n.url, "CAPPED", in.b)

	p := newStormPublisher(in.b, 1<<10)
	for range events {
		if err := p.publishOne(); err != nil {
			t.Fatal(err)
		}
	}
	final := p.last.Load()
	run := newStormRun(p, 1<<10)
	defer run.close()

	rctx, rcancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { rcancel(); wg.Wait() }()
	wg.Go(func() { mon.run(rctx) })
	cs := run.clients(resumes, p.seq0)
	for i, c := range cs {
		if i%2 == 1 {
			c.oldest, c.after = true, p.seq0-1
			c.seen.Store(p.seq0 - 1)
		}
		wg.Go(func() { run.stream(rctx, in.url, c, "resume") })
	}
	start := time.Now()
	run.waitFor(t, time.Minute, "every resume at the last event", func() bool { return lowest(cs) == final })
	took := time.Since(start)
	rcancel()
	wg.Wait()

	var failed int64
	for _, c := range cs {
		failed += c.ends.Load()
	}
	limited := warnings.count("natshub: the stream's consumer limit is reached; a history read waits")
	t.Logf("consumer limit: %d resumes of %d events with at most %d consumers in %v; peak consumers %d; consumer limit reached %d times; failed %d; warnings: %s",
		resumes, events, maxConsumers, took.Round(time.Millisecond), mon.consumers, limited, failed, warnings)
	run.report(t)
	if failed != 0 {
		t.Errorf("%d resumes ended early or failed", failed)
	}
	if limited == 0 {
		t.Errorf("no history read met the consumer limit: the test did not test it")
	}
}

// A history read deletes each consumer it lets go of, when it pauses for
// its subscriber and when it is done: once the Broker is closed (which
// waits for its reads), the stream has the instance's own consumer only,
// not a stopped one per read left until NATS's inactivity threshold (the
// pile-up that stalled resume storms at the consumer limit).
func TestHistoryReadsLeaveNoConsumerBehind(t *testing.T) {
	n := startNATS(t)
	nc := connect(t, n.url)
	b := newBroker(t, nc, Config{Stream: "LEFT", LocalWindow: 4})
	data := strings.Repeat("x", 8<<10)
	first := mustPublish(t, b, data)
	const events = 100 // 800 KB: more than a read holds ahead of its subscriber
	for range events {
		mustPublish(t, b, data)
	}
	for range 3 {
		s := subscribe(t, b, first)
		for range events {
			s.event()
		}
	}
	b.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := js.Stream(ctx, "LEFT")
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c := info.State.Consumers; c != 1 {
		t.Errorf("%d consumers on the stream after 3 history reads, want 1 (the instance's)", c)
	}
}

// A history read whose subscriber goes away while NATS creates its
// consumer still deletes that consumer: NATS creates it all the same, and
// a read that gave up waiting for the answer would leave it on the stream
// until its inactivity threshold (one per client that leaves at the wrong
// moment: what made 150 departing clients leave up to 16 consumers). The
// test cancels each subscription when NATS sees its consumer's creation
// request.
func TestAReadWhoseSubscriberLeavesLeavesNoConsumerBehind(t *testing.T) {
	n := startNATS(t)
	nc := connect(t, n.url)
	b := newBroker(t, nc, Config{Stream: "GONE", LocalWindow: 4})
	first := mustPublish(t, b, "first")
	for range 20 {
		mustPublish(t, b, "x")
	}
	// Once the fan-out has the last event, a subscription starts reading
	// the stream at once: first is older than its window.
	_, last, _ := publish.ParseID(mustPublish(t, b, "last"))
	for {
		reached, moved := b.current().reached(last)
		if reached {
			break
		}
		<-moved
	}
	creates := make(chan struct{}, 1)
	wc := connect(t, n.url)
	watch, err := wc.Subscribe("$JS.API.CONSUMER.CREATE.GONE.>", func(*nats.Msg) {
		select {
		case creates <- struct{}{}:
		default:
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Unsubscribe()
	if err := wc.Flush(); err != nil {
		t.Fatal(err)
	}
	const reads = 30
	timeout := time.NewTimer(10 * time.Second)
	defer timeout.Stop()
	for range reads {
		ctx, cancel := context.WithCancel(context.Background())
		it := b.Subscribe(first).(puller).Pull(ctx)
		select {
		case <-creates:
		case <-timeout.C:
			t.Fatal("no consumer created within 10 s")
		}
		cancel()
		it.Close()
	}
	b.Close() // waits for the reads
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := js.Stream(ctx, "GONE")
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c := info.State.Consumers; c != 1 {
		t.Errorf("%d consumers on the stream after %d reads whose subscriber left, want 1 (the instance's)", c, reads)
	}
}

// A history read of large events is never left waiting for NATS: each
// 200 KB event ends a pull request (the reads prefetch 256 KB at most),
// and nats.go can miss sending the next request when one ends while the
// previous is still being sent; the read then waited 10 s, for the missed
// heartbeats to reset its consumer (one to six times per read of 200
// events under -race). Every event must come within 3 s.
func TestAHistoryReadIsNeverLeftWaiting(t *testing.T) {
	n := startNATS(t)
	b := newBroker(t, connect(t, n.url), Config{Stream: "BIG", LocalWindow: 4})
	data := strings.Repeat("x", 200<<10)
	first := mustPublish(t, b, data)
	const events = 200
	for range events {
		mustPublish(t, b, data)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	it := b.Subscribe(first).(puller).Pull(ctx)
	defer it.Close()
	var worst time.Duration
	for got := 0; got < events; {
		item, st := it.Next()
		switch {
		case st == observable.Value && item.E == nil:
			got++
			continue
		case st != observable.Empty:
			t.Fatalf("after %d events: state %v, item %+v", got, st, item)
		}
		waited := time.Now()
		timeout := time.NewTimer(15 * time.Second)
		select {
		case <-it.Ready():
		case <-timeout.C:
			t.Fatalf("after %d events: nothing for 15 s", got)
		}
		timeout.Stop()
		worst = max(worst, time.Since(waited))
	}
	if worst > 3*time.Second {
		t.Errorf("the read waited %v for an event", worst)
	}
}

// stormInstance is one rxsse process: its own NATS connection, Broker and
// HTTP server, served by transport.Serve on 127.0.0.1.
type stormInstance struct {
	b         *Broker
	nc        *nats.Conn
	url       string
	requests  atomic.Int64 // requests the handler took
	liveDrops atomic.Int64 // disconnections of nc, the Broker's live connection
	histDrops atomic.Int64 // disconnections of the Broker's history connection (a clone of nc)

	cancel   context.CancelFunc
	served   chan error
	stopOnce sync.Once
}

func startStormInstance(t *testing.T, natsURL string, cfg Config) *stormInstance {
	t.Helper()
	in := &stormInstance{served: make(chan error, 1)}
	var live atomic.Pointer[nats.Conn]
	// The Broker clones nc's options for its history connection: the
	// handler tells the two apart.
	nc, err := nats.Connect(natsURL, nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond), nats.ReconnectJitter(0, 0),
		nats.DisconnectErrHandler(func(c *nats.Conn, _ error) {
			if c == live.Load() {
				in.liveDrops.Add(1)
			} else {
				in.histDrops.Add(1)
			}
		}))
	if err != nil {
		t.Fatal(err)
	}
	live.Store(nc)
	t.Cleanup(nc.Close)
	in.nc = nc
	in.b = newBroker(t, nc, cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	in.url = "http://" + ln.Addr().String() + "/"
	h := transport.Handler(func(r *http.Request) rxgo.Observable {
		in.requests.Add(1)
		id := transport.LastEventID(r)
		if id == "" && r.URL.Query().Has("history") {
			id = hub.Oldest
		}
		return in.b.Subscribe(id)
	}, transport.WithAutoID(false))
	ctx, cancel := context.WithCancel(context.Background())
	in.cancel = cancel
	go func() { in.served <- transport.Serve(ctx, &http.Server{Handler: h}, ln) }()
	t.Cleanup(func() { in.stop(t) })
	return in
}

// stop shuts the instance down: its server (every stream ends at once),
// then its Broker.
func (in *stormInstance) stop(t *testing.T) {
	in.stopOnce.Do(func() {
		in.cancel()
		if err := <-in.served; err != nil {
			t.Errorf("serve: %v", err)
		}
		in.b.Close()
	})
}

// stormPublisher publishes numbered events: the data of the k-th starts
// with k in 8 digits, and since it is the only publisher on its stream,
// the k-th is the stream's event seq0+k.
type stormPublisher struct {
	b      *Broker
	filler string
	size   int // data size of the next events; set before run

	k           uint64 // the next event's number; one goroutine at a time
	epoch       string
	seq0        uint64        // the sequence of event 0
	last        atomic.Uint64 // the latest acknowledged sequence
	burstTo     atomic.Uint64 // run publishes without pause until last reaches it
	fails       atomic.Int64
	errMu       sync.Mutex
	firstErrors []error
}

func newStormPublisher(b *Broker, size int) *stormPublisher {
	return &stormPublisher{b: b, filler: strings.Repeat("x", size), size: size}
}

// publishOne publishes the next event and waits for its acknowledgement.
func (p *stormPublisher) publishOne() error {
	data := fmt.Sprintf("%08d", p.k) + p.filler[:p.size-8]
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	id, err := p.b.Publish(ctx, encoder.MessageEvent{Data: data})
	cancel()
	if err == nil {
		epoch, seq, _ := publish.ParseID(id)
		switch {
		case p.k == 0:
			p.epoch, p.seq0 = epoch, seq
		case epoch != p.epoch || seq != p.seq0+p.k:
			err = fmt.Errorf("event %d acknowledged as %s, want %s-%d", p.k, id, p.epoch, p.seq0+p.k)
		}
	}
	if err != nil {
		p.fails.Add(1)
		p.errMu.Lock()
		if len(p.firstErrors) < 5 {
			p.firstErrors = append(p.firstErrors, err)
		}
		p.errMu.Unlock()
		return err
	}
	p.k++
	p.last.Store(p.seq0 + p.k - 1)
	return nil
}

// run publishes an event every tick until ctx ends, and without pause
// while last is below burstTo.
func (p *stormPublisher) run(ctx context.Context, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		if p.last.Load() >= p.burstTo.Load() {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		} else if ctx.Err() != nil {
			return
		}
		if p.publishOne() != nil {
			select { // a failure is counted; try again at the steady pace
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}
}

func (p *stormPublisher) err() error {
	p.errMu.Lock()
	defer p.errMu.Unlock()
	return errors.Join(p.firstErrors...)
}

// stormRun is what the clients of a test share: an HTTP client, and what
// every event is checked against.
type stormRun struct {
	tr     *http.Transport
	client *http.Client
	epoch  string
	seq0   uint64
	size   int // every event's data size; 0: not checked

	target atomic.Uint64 // a client that reaches it has caught up
	caught atomic.Int64  // measured clients that reached target
	broken atomic.Int64  // clients that received a wrong event

	state func() string // describes the test's state when a wait fails

	mu    sync.Mutex
	notes []string // the first problems the clients met
	more  int
}

func newStormRun(p *stormPublisher, size int) *stormRun {
	// One connection per stream, closed when it ends.
	tr := &http.Transport{DisableKeepAlives: true, DisableCompression: true}
	return &stormRun{tr: tr, client: &http.Client{Transport: tr}, epoch: p.epoch, seq0: p.seq0, size: size}
}

func (r *stormRun) close() { r.tr.CloseIdleConnections() }

// stormClient is one SSE client.
type stormClient struct {
	after     uint64 // the sequence of the last event received; its goroutine's
	oldest    bool   // the first connection asks for the oldest event (?history), not after
	measured  bool   // it counts in the run's caught
	seen      atomic.Uint64
	connected atomic.Bool
	caughtAt  atomic.Int64 // when it reached the run's target, in Unix nanoseconds
	ends      atomic.Int64 // streams that ended when they should have gone on
}

// clients returns n clients that resume after sequence after.
func (r *stormRun) clients(n int, after uint64) []*stormClient {
	cs := make([]*stormClient, n)
	for i := range cs {
		cs[i] = &stormClient{after: after}
		cs[i].seen.Store(after)
	}
	return cs
}

// errBroken wraps what a client received that it must not have.
var errBroken = errors.New("broken stream")

// broke reports whether err is errBroken, and records it.
func (r *stormRun) broke(err error) bool {
	if !errors.Is(err, errBroken) {
		return false
	}
	r.broken.Add(1)
	r.note("%v", err)
	return true
}

// note records a problem a client met.
func (r *stormRun) note(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.notes) < 10 {
		r.notes = append(r.notes, fmt.Sprintf(format, args...))
	} else {
		r.more++
	}
}

// report fails the test with the problems the clients met.
func (r *stormRun) report(t *testing.T) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.notes) > 0 {
		t.Errorf("the clients met problems (%d more not shown):\n%s", r.more, strings.Join(r.notes, "\n"))
	}
	if b := r.broken.Load(); b != 0 {
		t.Errorf("%d clients received a wrong event", b)
	}
}

// stream follows url as a browser does until ctx ends: every time its
// stream ends, it counts that in c.ends and reconnects with its last id,
// after a short retry delay.
func (r *stormRun) stream(ctx context.Context, url string, c *stormClient, what string) {
	for {
		err := r.follow(ctx, url, c)
		if ctx.Err() != nil || r.broke(err) {
			return
		}
		c.ends.Add(1)
		r.note("%s: the stream ended at %d: %v", what, c.after, err)
		t := time.NewTimer(100 * time.Millisecond) // the client's retry delay
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// follow streams url after c's last event until the stream or ctx ends,
// checking every event.
func (r *stormRun) follow(ctx context.Context, url string, c *stormClient) error {
	if c.oldest {
		c.oldest = false
		url += "?history"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if !strings.HasSuffix(url, "?history") {
		req.Header.Set("Last-Event-ID", publish.FormatID(r.epoch, c.after))
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	c.connected.Store(true)
	dec := encoder.NewDecoder(resp.Body)
	for {
		ev, err := dec.Decode()
		if err != nil {
			return err
		}
		seq, err := r.check(c.after, ev)
		if err != nil {
			return err
		}
		c.after = seq
		c.seen.Store(seq)
		if target := r.target.Load(); c.measured && target != 0 && seq >= target && c.caughtAt.Load() == 0 {
			c.caughtAt.Store(time.Now().UnixNano())
			r.caught.Add(1)
		}
	}
}

// check returns the sequence of ev, which must be the event right after
// sequence after.
func (r *stormRun) check(after uint64, ev encoder.Event) (uint64, error) {
	epoch, seq, ok := publish.ParseID(ev.LastEventID)
	switch {
	case ev.Type != "message":
		return 0, fmt.Errorf("%w: a %q event %q after %d: %.100s", errBroken, ev.Type, ev.LastEventID, after, ev.Data)
	case !ok || epoch != r.epoch:
		return 0, fmt.Errorf("%w: id %q after %d", errBroken, ev.LastEventID, after)
	case seq != after+1:
		return 0, fmt.Errorf("%w: event %d after %d", errBroken, seq, after)
	case len(ev.Data) < 8 || ev.Data[:8] != fmt.Sprintf("%08d", seq-r.seq0):
		return 0, fmt.Errorf("%w: event %d has the data of another: %.20q", errBroken, seq, ev.Data)
	case r.size > 0 && len(ev.Data) != r.size:
		return 0, fmt.Errorf("%w: event %d has %d bytes of data, want %d", errBroken, seq, len(ev.Data), r.size)
	}
	return seq, nil
}

// waitFor polls cond until it holds, failing the test after timeout or as
// soon as a client received a wrong event.
func (r *stormRun) waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if r.broken.Load() != 0 {
			r.report(t)
			t.Fatalf("waiting for %s: a client received a wrong event", what)
		}
		if time.Now().After(deadline) {
			if r.state != nil {
				t.Log(r.state())
			}
			r.report(t)
			t.Fatalf("waiting for %s: not within %v", what, timeout)
		}
		<-tick.C
	}
}

func connected(cs []*stormClient) int {
	n := 0
	for _, c := range cs {
		if c.connected.Load() {
			n++
		}
	}
	return n
}

// lowest and highest return the lowest and highest sequence the clients
// have received.
func lowest(cs []*stormClient) uint64 {
	low := uint64(1<<64 - 1)
	for _, c := range cs {
		low = min(low, c.seen.Load())
	}
	return low
}

func highest(cs []*stormClient) uint64 {
	var high uint64
	for _, c := range cs {
		high = max(high, c.seen.Load())
	}
	return high
}

// stormMonitor samples, until its context ends, the consumers on a stream
// (over a connection of its own), the process's heap in use and
// goroutines, and the history turns a Broker has given out, and keeps
// their peaks.
type stormMonitor struct {
	stream jetstream.Stream
	b      *Broker
	last   atomic.Int64 // the latest count of consumers

	created atomic.Int64 // consumers created on the stream (requests seen)

	// Peaks, read once run has returned.
	consumers, turns, goroutines int
	heap                         uint64
	infoErrors                   int
}

func newStormMonitor(t *testing.T, url, stream string, b *Broker) *stormMonitor {
	t.Helper()
	nc := connect(t, url)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	m := &stormMonitor{stream: s, b: b}
	m.last.Store(-1)
	// Closed with nc, at the test's end.
	if _, err := nc.Subscribe("$JS.API.CONSUMER.CREATE."+stream+".>", func(*nats.Msg) { m.created.Add(1) }); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return m
}

func (m *stormMonitor) run(ctx context.Context) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		ictx, cancel := context.WithTimeout(ctx, 2*time.Second)
		info, err := m.stream.Info(ictx)
		cancel()
		if err == nil {
			m.consumers = max(m.consumers, info.State.Consumers)
			m.last.Store(int64(info.State.Consumers))
		} else if ctx.Err() == nil {
			m.infoErrors++
		}
		m.turns = max(m.turns, len(m.b.historyTurns))
		m.heap = max(m.heap, heapInuse())
		m.goroutines = max(m.goroutines, runtime.NumGoroutine())
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// current returns the latest count of consumers sampled (-1: none yet).
func (m *stormMonitor) current() int { return int(m.last.Load()) }

func heapInuse() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// warnCounter is a slog.Handler that counts the warnings and errors a
// Broker logs, by message.
type warnCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (w *warnCounter) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (w *warnCounter) Handle(_ context.Context, r slog.Record) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.n == nil {
		w.n = map[string]int{}
	}
	w.n[r.Message]++
	return nil
}

func (w *warnCounter) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w *warnCounter) WithGroup(string) slog.Handler      { return w }

func (w *warnCounter) count(msg string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n[msg]
}

func (w *warnCounter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.n) == 0 {
		return "none"
	}
	var out []string
	for msg, n := range w.n {
		out = append(out, fmt.Sprintf("%q ×%d", msg, n))
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}
