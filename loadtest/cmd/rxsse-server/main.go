// Command rxsse-server is the rxsse server of the load benchmark
// (package rxsseapp) on 127.0.0.1:$PORT or -addr, on the in-memory hub.
//
// With -nats it runs the same app on NATS JetStream (package natsapp):
// -instances instances in this one process, each with its own NATS
// connection, natshub.Broker and HTTP server, on -addr's port and the ports
// after it; the first instance publishes the tick. -nats embedded starts a
// nats-server with JetStream inside the process (file store in a temporary
// directory); otherwise -nats is the URL of a NATS server.
//
//	rxsse-server -addr 127.0.0.1:3000
//	rxsse-server -addr 127.0.0.1:3001 -nats embedded -instances 3
//
// $TICK, a duration, sets the tick's period (100 ms by default); PARK=0
// serves /fanout on the goroutine path (rxsseapp.Parking), to compare.
package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/rxsse/rxsse/loadtest"
	"github.com/rxsse/rxsse/loadtest/natsapp"
	"github.com/rxsse/rxsse/loadtest/rxsseapp"
	"github.com/rxsse/rxsse/transport"
)

func main() {
	natsURL := flag.String("nats", "", `the hub on NATS JetStream: "embedded" or a NATS URL (default: the in-memory hub)`)
	instances := flag.Int("instances", 1, "with -nats: instances, on consecutive ports from -addr's")
	if d, err := time.ParseDuration(os.Getenv("TICK")); err == nil && d > 0 {
		rxsseapp.Tick = d
	}
	if os.Getenv("PARK") == "0" {
		rxsseapp.Parking = false
	}
	loadtest.ServersMain("rxsse-server", func() ([]*http.Server, func() error, error) {
		if *natsURL == "" {
			if *instances != 1 {
				return nil, nil, errors.New("-instances needs -nats")
			}
			app := rxsseapp.New()
			return []*http.Server{server(app)}, app.Close, nil
		}
		url := *natsURL
		if url == "embedded" {
			url = ""
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := natsapp.Start(ctx, natsapp.Config{URL: url, Instances: *instances, Logger: slog.Default()})
		if err != nil {
			return nil, nil, err
		}
		var srvs []*http.Server
		for _, app := range c.Apps {
			srvs = append(srvs, server(app))
		}
		return srvs, c.Close, nil
	})
}

// server serves app, cancelling its streams on shutdown.
func server(app *rxsseapp.App) *http.Server {
	srv := &http.Server{Handler: app.Handler()}
	transport.CancelOnShutdown(srv)
	return srv
}
