package hub_test

import (
	"io"
	"log/slog"
	"testing"

	"go.uber.org/goleak"

	"github.com/rxsse/rxsse/observable/hub"
	"github.com/rxsse/rxsse/observable/hub/hubtest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// quiet is a logger for hubs whose cut-offs and gaps are expected.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestTheHubPassesTheBrokerConformanceSuite(t *testing.T) {
	const window, maxLag = 256, 64 // small, for a fast run
	hubtest.Run(t, window, maxLag, func(t *testing.T) hub.Broker {
		return hub.New(hub.WithReplayCount(window), hub.WithBuffer(maxLag), hub.WithLogger(quiet))
	})
}

// The promises hold on the defaults, not only on the suite's sizes.
func TestConformanceDefaults(t *testing.T) {
	hubtest.Run(t, hub.DefaultReplayCount, hub.DefaultBuffer, func(t *testing.T) hub.Broker {
		return hub.New(hub.WithLogger(quiet))
	})
}
