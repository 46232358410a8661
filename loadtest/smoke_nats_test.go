package loadtest

import (
	"context"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/rxsse/rxsse/loadtest/natsapp"
)

// The rxsse app on NATS JetStream (an embedded nats-server, as
// rxsse-server -nats embedded runs it), with one and three instances: the
// clients, spread over the instances, get every tick the first instance
// publishes, in order, with no gap.
func TestSmokeFanoutNATS(t *testing.T) {
	for _, n := range []int{1, 3} {
		t.Run(strconv.Itoa(n)+" instances", func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			c, err := natsapp.Start(ctx, natsapp.Config{Instances: n, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			// Registered first, so it runs after the servers' shutdowns.
			t.Cleanup(func() {
				if err := c.Close(); err != nil {
					t.Errorf("closing the cluster: %v", err)
				}
			})
			if len(c.Apps) != n {
				t.Fatalf("%d apps, want %d", len(c.Apps), n)
			}
			var addrs []string
			for _, app := range c.Apps {
				// The apps close with the cluster.
				addrs = append(addrs, serve(t, app.Handler(), func() error { return nil }))
			}
			clients := 2 * n
			res := Fanout(t.Context(), FanoutConfig{
				Addrs: addrs, Stack: "rxsse-nats" + strconv.Itoa(n), Clients: clients, Ramp: 100 * time.Millisecond,
				Settle: 300 * time.Millisecond, Window: time.Second, PID: os.Getpid(),
			})
			roundTrip(t, res)
			if !res.OK || res.Connected != clients || res.Failed != 0 || res.Dropped != 0 || res.Gaps != 0 || res.Reordered != 0 {
				t.Fatalf("fanout: %+v", res)
			}
			// 10 ticks a second: every client, so every instance, delivered
			// most of the window's.
			if res.MinClientEvents < 5 || res.LatencyP99 <= 0 || res.TicksPerSec <= 0 {
				t.Errorf("fanout measured too little: %+v", res)
			}
		})
	}
}
