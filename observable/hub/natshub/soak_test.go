package natshub

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rxsse/rxsse/encoder"
)

// soakShort is how long the soak publishes in make test; make soak sets
// RXSSE_SOAK to SOAK_DURATION (3m by default).
const soakShort = 12 * time.Second

// soakDuration returns how long TestSoak publishes: $RXSSE_SOAK, a Go
// duration, or soakShort.
func soakDuration(t *testing.T) time.Duration {
	s := os.Getenv("RXSSE_SOAK")
	if s == "" {
		return soakShort
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		t.Fatalf("RXSSE_SOAK=%q: want a positive Go duration such as 3m", s)
	}
	return d
}

// soakSeed returns the seed of the soak's random choices: $RXSSE_SOAK_SEED,
// or a new one. Timing still differs from run to run.
func soakSeed(t *testing.T) uint64 {
	if s := os.Getenv("RXSSE_SOAK_SEED"); s != "" {
		seed, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("RXSSE_SOAK_SEED=%q: %v", s, err)
		}
		return seed
	}
	return rand.Uint64()
}

// TestSoak runs three instances on one NATS server (file storage; one
// instance with a small local window, so that resumes on it read the
// stream), with
// publishers at a steady rate on several topics and 300 clients that each
// follow one or two topics, leave at random moments and resume with the
// last id they received on a random instance. Midway one instance is
// stopped and started again, then the NATS server restarts. At the end,
// once every client has caught up, every client must have every
// acknowledged event of its topics after its start exactly once and in
// order, and no gap event (the default retention covers every resume).
//
// It prints one line, "soak: <duration> published=... lost=0 ...".
// make test runs it for soakShort; make soak for SOAK_DURATION.
func TestSoak(t *testing.T) {
	d := soakDuration(t)
	seed := soakSeed(t)
	const (
		instances  = 3
		clients    = 300
		publishers = 3
		rate       = 100 // events a second, per publisher
		stream     = "SOAK"
		// How long a client stays on one connection before it leaves,
		// at random between these, and how long it waits before it
		// connects again after a stream it did not leave ended or a
		// connection failed.
		minStay, maxStay = 500 * time.Millisecond, 5 * time.Second
		retry            = 100 * time.Millisecond
	)
	topics := []string{"t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7"}
	catchUp := max(15*time.Second, d/6) // the bound on the final catch-up

	ns := startNATS(t)
	logs := newLogCount()
	// A and B on the defaults; C keeps a small local window, so that
	// many resumes on it read the stream from NATS.
	var nodes []*appNode
	for i := range instances {
		cfg := Config{Stream: stream}
		if i == 2 {
			cfg.LocalWindow = 64
		}
		nodes = append(nodes, startAppNode(t, string(rune('A'+i)), ns.url, logs, retry, cfg))
	}
	l := newLedger()
	rng := rand.New(rand.NewPCG(seed, 0))

	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	defer hc.CloseIdleConnections()
	var following sync.WaitGroup
	defer following.Wait()
	ctx, stopClients := context.WithCancel(context.Background())
	defer stopClients()
	var calm atomic.Bool // once set, clients stop leaving
	var reconnects atomic.Int64
	tallies := make([]*tally, clients)
	for i := range tallies {
		first := rng.IntN(len(topics))
		ts := []string{topics[first]}
		if rng.IntN(2) == 0 {
			ts = append(ts, topics[(first+1+rng.IntN(len(topics)-1))%len(topics)])
		}
		c := newTally(fmt.Sprintf("c%d", i), ts)
		tallies[i] = c
		crng := rand.New(rand.NewPCG(seed, uint64(1+i)))
		following.Go(func() {
			var last string // the last id received, sent as Last-Event-ID
			for first := true; ctx.Err() == nil; first = false {
				if !first {
					reconnects.Add(1)
				}
				n := nodes[crng.IntN(len(nodes))]
				conn, cancel := context.WithCancel(ctx)
				var leave *time.Timer
				if !calm.Load() {
					leave = time.AfterFunc(minStay+time.Duration(crng.Int64N(int64(maxStay-minStay))), cancel)
				}
				var ended bool
				last, ended = soakConnect(conn, c, hc, n, last)
				if leave != nil {
					leave.Stop()
				}
				cancel()
				if ended {
					// The reconnection delay a stream asks for.
					wait := time.NewTimer(retry)
					select {
					case <-ctx.Done():
					case <-wait.C:
					}
					wait.Stop()
				}
			}
		})
	}

	var publishing sync.WaitGroup
	defer publishing.Wait()
	pctx, stopPublishing := context.WithCancel(context.Background())
	defer stopPublishing()
	for p := range publishers {
		prng := rand.New(rand.NewPCG(seed, uint64(1_000_000+p)))
		publishing.Go(func() {
			tick := time.NewTicker(time.Second / rate)
			defer tick.Stop()
			for i := 0; ; i++ {
				select {
				case <-pctx.Done():
					return
				case <-tick.C:
				}
				// Through a random instance that is running.
				k := prng.IntN(len(nodes))
				for range nodes {
					if b := nodes[k].broker(); b != nil {
						topic := topics[prng.IntN(len(topics))]
						l.publish(pctx, b, k, topic, fmt.Sprintf("%s|p%d-%d", topic, p, i))
						break
					}
					k = (k + 1) % len(nodes)
				}
			}
		})
	}

	// The faults, at fixed points of the run: instance B stops at 25% and
	// starts again at 40%; the NATS server stops at 65% and starts again
	// on the same port and store 5% later (at most 3 s).
	start := time.Now()
	until := func(frac float64) {
		timer := time.NewTimer(time.Until(start.Add(time.Duration(frac * float64(d)))))
		defer timer.Stop()
		<-timer.C
	}
	until(0.25)
	nodes[1].stop()
	until(0.40)
	nodes[1].start()
	restartedB := time.Now()
	until(0.65)
	ns.stop()
	until(0.65 + min(0.05, 3*float64(time.Second)/float64(d)))
	ns.start()
	restartedNATS := time.Now()
	until(1)

	stopPublishing()
	publishing.Wait()
	calm.Store(true)
	behind := awaitAll(l, tallies, catchUp)
	stopClients()
	following.Wait()

	published, acknowledged := l.counts()
	v := l.check(tallies)
	line := fmt.Sprintf("soak: %v published=%d acknowledged=%d delivered=%d lost=%d duplicated=%d gaps=%d clients=%d reconnects=%d behind=%d disordered=%d mismatched=%d foreign=%d problems=%d unacked-delivered=%d",
		d, published, acknowledged, v.delivered, v.lost, v.duplicated, v.gaps, v.clients, reconnects.Load(),
		len(behind), v.disordered, v.mismatched, v.foreign, v.problems, v.unacked)
	t.Log(line)
	fmt.Println(line)
	t.Logf("seed %d (RXSSE_SOAK_SEED); %d instances, %d publishers at %d/s on %d topics, clients stay %v to %v\nPublish errors:%s\nevents received that Publish did not acknowledge, by its error:%s\ninstances logged:%s",
		seed, instances, publishers, rate, len(topics), minStay, maxStay, l.errors(), v.unackedErrors(), logs)

	if len(behind) > 0 {
		t.Errorf("%d clients did not catch up with the last acknowledged event of their topics within %v:\n%s", len(behind), catchUp, statuses(behind))
	}
	if v.failed() {
		t.Errorf("%s\n%s", v, strings.Join(v.notes, "\n"))
	}
	// The instances recovered by themselves: B after its restart, every
	// instance after NATS's.
	l.mu.Lock()
	for k, n := range nodes {
		if !firstAckSince(l.attempts, k, restartedNATS) {
			t.Errorf("instance %s: no Publish acknowledged after NATS restarted", n.name)
		}
	}
	if !firstAckSince(l.attempts, 1, restartedB) {
		t.Errorf("instance B: no Publish acknowledged after it restarted")
	}
	l.mu.Unlock()
}

// soakConnect makes one connection of client c to instance n, resuming
// after last (live if ""), and reads it until it ends or ctx does. It
// returns the last id received, to resume from, and whether the stream
// ended (or the connection failed) without the client leaving.
func soakConnect(ctx context.Context, c *tally, hc *http.Client, n *appNode, last string) (string, bool) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, n.eventsURL(c.topics), nil)
	if last != "" {
		req.Header.Set("Last-Event-ID", last)
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return last, false
		}
		c.openFailed() // the instance is stopped
		return last, true
	}
	defer resp.Body.Close()
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); resp.StatusCode != http.StatusOK || mt != "text/event-stream" {
		c.mu.Lock()
		c.problem("%s answered %d %s", n.name, resp.StatusCode, resp.Header.Get("Content-Type"))
		c.mu.Unlock()
		return last, true
	}
	c.opened(n.name, last == "")
	body := &startSniffer{r: resp.Body, slow: last == "", onBlock: c.startBlock}
	dec := encoder.NewDecoder(body, encoder.WithLastEventID(last))
	body.dec = dec
	for {
		ev, err := dec.Decode()
		if err != nil {
			break
		}
		body.slow = false
		c.receive(ev)
	}
	ended := ctx.Err() == nil
	if ended {
		c.ended()
	}
	return dec.LastEventID(), ended
}

// startSniffer lets a client see the id-only block a live stream starts
// with (see tally.startBlock), which a Decoder records without returning
// anything: until the first event, it hands the Decoder one byte per read,
// so the Decoder has processed everything before each read, and a last
// event id it has then can only come from such a block.
type startSniffer struct {
	r       io.Reader
	dec     *encoder.Decoder
	slow    bool
	onBlock func(id string)
}

func (s *startSniffer) Read(p []byte) (int, error) {
	if s.slow {
		if id := s.dec.LastEventID(); id != "" {
			s.slow = false
			s.onBlock(id)
		} else if len(p) > 1 {
			p = p[:1]
		}
	}
	return s.r.Read(p)
}

// firstAckSince reports whether a Publish on instance node that started
// after t was acknowledged.
func firstAckSince(attempts []publishAttempt, node int, t time.Time) bool {
	for _, a := range attempts {
		if a.node == node && a.seq != 0 && a.started.After(t) {
			return true
		}
	}
	return false
}

// The soak's clients see the id-only block a live stream starts with, even
// when it arrives in one read with the first event, and nothing else.
func TestTheSoakClientSeesTheStartBlock(t *testing.T) {
	for _, tc := range []struct{ stream, block string }{
		{"\nretry: 100\n\nid: e-7\n\nid: e-8\ndata: x\n\n", "e-7"},
		{"\nid: e-7\n\n", "e-7"},
		{"\nretry: 100\n\nid: e-8\ndata: x\n\n", ""},
		{"\nid: e-8\ndata: x\n\nid: e-9\n\n", ""},
	} {
		var block string
		body := &startSniffer{r: strings.NewReader(tc.stream), slow: true, onBlock: func(id string) { block = id }}
		dec := encoder.NewDecoder(body)
		body.dec = dec
		for {
			if _, err := dec.Decode(); err != nil {
				break
			}
			body.slow = false
		}
		if block != tc.block {
			t.Errorf("%q: start block %q, want %q", tc.stream, block, tc.block)
		}
	}
}
