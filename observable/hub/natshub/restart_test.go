package natshub

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/transport/eventsource"
)

// A NATS restart (the same store and port) under load, with publishers going
// on and 120 clients streaming from two instances through the Go client,
// loses nothing acknowledged: Publish fails while NATS is down and every id
// it returned is delivered; every client gets every acknowledged event of
// its topics after its start, exactly once and in order; and the instances
// recover by themselves. The recovery times are logged for SCALING.md.
func TestANATSRestartUnderLoadLosesNothingAcknowledged(t *testing.T) {
	const (
		clients    = 120
		publishers = 3
		rate       = 50 // events a second, per publisher
		stream     = "RESTART"
		// What the streams ask for and the cap of the client's backoff:
		// they bound how soon a client tries again after NATS is back.
		retry      = 100 * time.Millisecond
		backoffCap = time.Second
	)
	topics := []string{"t0", "t1", "t2", "t3"}
	ns := startNATS(t)
	logs := newLogCount()
	nodes := []*appNode{
		startAppNode(t, "A", ns.url, logs, retry, Config{Stream: stream}),
		startAppNode(t, "B", ns.url, logs, retry, Config{Stream: stream}),
	}
	l := newLedger()
	// Every client resumes after this event: its start position.
	startID := mustPublish(t, nodes[0].broker(), "start", topics[0])

	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	defer hc.CloseIdleConnections()
	var following sync.WaitGroup
	defer following.Wait()
	ctx, stopClients := context.WithCancel(context.Background())
	defer stopClients()
	tallies := make([]*tally, clients)
	for i := range tallies {
		ts := []string{topics[i%len(topics)]}
		if i%3 == 0 {
			ts = append(ts, topics[(i+1)%len(topics)])
		}
		c := newTally(fmt.Sprintf("c%d", i), ts)
		c.resumeFrom(startID)
		tallies[i] = c
		n := nodes[i%len(nodes)]
		following.Go(func() {
			follow(ctx, c, n, eventsource.WithClient(hc), eventsource.WithLastEventID(startID),
				eventsource.WithRetry(retry), eventsource.WithBackoff(backoffCap))
		})
	}

	var publishing sync.WaitGroup
	defer publishing.Wait()
	pctx, stopPublishing := context.WithCancel(context.Background())
	defer stopPublishing()
	for p := range publishers {
		publishing.Go(func() {
			tick := time.NewTicker(time.Second / rate)
			defer tick.Stop()
			for i := 0; ; i++ {
				select {
				case <-pctx.Done():
					return
				case <-tick.C:
				}
				node, topic := (p+i)%len(nodes), topics[(p+2*i)%len(topics)]
				l.publish(pctx, nodes[node].broker(), node, topic, fmt.Sprintf("%s|p%d-%d", topic, p, i))
			}
		})
	}

	// Every client streams before the restart.
	if !l.waitUntil(10*time.Second, func() bool { return len(l.acked) >= 60 }) {
		t.Fatalf("60 events not acknowledged within 10 s: errors%s", l.errors())
	}
	if behind := awaitAll(l, tallies, 15*time.Second); len(behind) > 0 {
		t.Fatalf("before the restart, %d clients not streaming:\n%s", len(behind), statuses(behind))
	}

	ns.stop()
	down := time.Now()
	endsBefore := sumEnds(tallies)
	// NATS stays down while the publishers try rate times, about a second.
	if !l.waitUntil(10*time.Second, func() bool {
		return countAttempts(l.attempts, func(a publishAttempt) bool { return a.started.After(down) }) >= rate*publishers
	}) {
		t.Fatalf("no publish attempts while NATS was down: %d", len(l.attempts))
	}
	upAt := time.Now()
	ns.start()
	back := time.Now()
	lastBefore := streamLastSeq(t, ns.url, stream)
	// Every client streams again once it receives an event stored after
	// NATS came back.
	waits := make([]<-chan struct{}, len(tallies))
	for i, c := range tallies {
		waits[i] = c.await(lastBefore + 1)
	}

	// The instances recover by themselves: Publish succeeds again on each.
	firstAck := make([]time.Time, len(nodes))
	if !l.waitUntil(15*time.Second, func() bool {
		for i := range firstAck {
			firstAck[i] = firstAckAfter(l.attempts, i, lastBefore)
		}
		return !slices.ContainsFunc(firstAck, time.Time.IsZero)
	}) {
		t.Fatalf("Publish not acknowledged again within 15 s of NATS being back (first acks %v): errors%s", firstAck, l.errors())
	}
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for i, ch := range waits {
		select {
		case <-ch:
		case <-deadline.C:
			var behind []*tally
			for j, c := range tallies[i:] {
				select {
				case <-waits[i+j]:
				default:
					behind = append(behind, c)
				}
			}
			t.Fatalf("20 s after NATS came back, %d clients not streaming again:\n%s\ninstances logged:%s", len(behind), statuses(behind), logs)
		}
	}
	streaming := make([]time.Duration, len(tallies))
	for i, c := range tallies {
		streaming[i] = c.reachedTime().Sub(back)
	}
	slices.Sort(streaming)
	endsDuring := sumEnds(tallies) - endsBefore

	// A while longer, then everything acknowledged must have arrived.
	_, acked := l.counts()
	if !l.waitUntil(10*time.Second, func() bool { return len(l.acked) >= acked+60 }) {
		t.Fatalf("60 more events not acknowledged within 10 s: errors%s", l.errors())
	}
	stopPublishing()
	publishing.Wait()
	behind := awaitAll(l, tallies, 15*time.Second)
	stopClients()
	following.Wait()

	published, acknowledged := l.counts()
	v := l.check(tallies)
	l.mu.Lock()
	downErrors := countAttempts(l.attempts, func(a publishAttempt) bool { return a.started.After(down) && a.returned.Before(upAt) })
	for _, a := range l.attempts {
		if a.seq != 0 && a.started.After(down) && a.returned.Before(upAt) {
			t.Errorf("while NATS was down, Publish on instance %d returned sequence %d", a.node, a.seq)
		}
	}
	l.mu.Unlock()
	if len(behind) > 0 {
		t.Errorf("%d clients did not catch up with the last acknowledged event of their topics within 15 s:\n%s", len(behind), statuses(behind))
	}
	for _, c := range tallies {
		if c.err != nil {
			t.Errorf("%s: the client stopped: %v", c.name, c.err)
		}
	}
	if v.failed() {
		t.Errorf("%s\n%s", v, strings.Join(v.notes, "\n"))
	}
	t.Logf("NATS restart under load: %d clients (Go client, retry %v, backoff cap %v) on %d instances, %d publishers at %d/s; published=%d acknowledged=%d %s",
		clients, retry, backoffCap, len(nodes), publishers, rate, published, acknowledged, v)
	t.Logf("NATS down %v (%d Publish attempts failed meanwhile, %d client streams ended), its start took %v; NATS back → first acknowledged Publish %v (A %v, B %v) → every client streaming again %v (median %v); Publish errors:%s",
		back.Sub(down).Round(time.Millisecond), downErrors, endsDuring, back.Sub(upAt).Round(time.Millisecond),
		slices.MinFunc(firstAck, time.Time.Compare).Sub(back).Round(time.Millisecond),
		firstAck[0].Sub(back).Round(time.Millisecond), firstAck[1].Sub(back).Round(time.Millisecond),
		streaming[len(streaming)-1].Round(time.Millisecond), streaming[len(streaming)/2].Round(time.Millisecond), l.errors())
	t.Logf("events received that Publish did not acknowledge, by its error:%s\ninstances logged:%s", v.unackedErrors(), logs)
}

// follow reads the stream of c's topics on n with the Go client until ctx
// ends, recording what it receives in c.
func follow(ctx context.Context, c *tally, n *appNode, opts ...eventsource.Option) {
	opts = append(opts,
		eventsource.WithOnOpen(func() { c.opened(n.name, false) }),
		eventsource.WithOnError(func(error, time.Duration) { c.ended() }))
	for item := range eventsource.Observe(ctx, n.eventsURL(c.topics), opts...).Observe() {
		if item.E != nil {
			c.stopped(item.E)
			continue
		}
		c.receive(item.V.(encoder.Event))
	}
}

// streamLastSeq returns the last sequence of the stream, asked on a
// connection of its own.
func streamLastSeq(t *testing.T, url, stream string) uint64 {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
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
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return info.State.LastSeq
}

// firstAckAfter returns when the first Publish on instance node that was
// stored after sequence after returned, or the zero time.
func firstAckAfter(attempts []publishAttempt, node int, after uint64) time.Time {
	for _, a := range attempts {
		if a.node == node && a.seq > after {
			return a.returned
		}
	}
	return time.Time{}
}

func countAttempts(attempts []publishAttempt, f func(publishAttempt) bool) int {
	n := 0
	for _, a := range attempts {
		if f(a) {
			n++
		}
	}
	return n
}

func sumEnds(clients []*tally) int {
	n := 0
	for _, c := range clients {
		c.mu.Lock()
		n += c.ends
		c.mu.Unlock()
	}
	return n
}

// statuses describes the first clients, for a failure message.
func statuses(clients []*tally) string {
	var lines []string
	for i, c := range clients {
		if i == 10 {
			lines = append(lines, fmt.Sprintf("... and %d more", len(clients)-i))
			break
		}
		lines = append(lines, "\t"+c.status())
	}
	return strings.Join(lines, "\n")
}
