package natshub

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/rxsse/rxsse/observable/hub"
	"github.com/rxsse/rxsse/observable/hub/hubtest"
)

// Each broker of the suite is an instance on a stream of its own, so that
// two brokers stand for two processes with different epochs.
func TestConformance(t *testing.T) {
	n := startNATS(t)
	var streams atomic.Int64
	const window, maxLag = 256, 64 // small, for a fast run
	hubtest.Run(t, window, maxLag, func(t *testing.T) hub.Broker {
		return newBroker(t, connect(t, n.url), Config{Stream: fmt.Sprintf("CONFORMANCE%d", streams.Add(1)), ReplayCount: window, Buffer: maxLag, MemoryStorage: true})
	})
}

// The promises hold on the defaults (file storage included), not only on
// the suite's sizes.
func TestConformanceDefaults(t *testing.T) {
	n := startNATS(t)
	var streams atomic.Int64
	hubtest.Run(t, hub.DefaultReplayCount, hub.DefaultBuffer, func(t *testing.T) hub.Broker {
		return newBroker(t, connect(t, n.url), Config{Stream: fmt.Sprintf("DEFAULTS%d", streams.Add(1))})
	})
}
