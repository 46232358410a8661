// Package natsapp runs the load benchmark's rxsse app (package rxsseapp) on
// NATS JetStream: n instances in one process, each with its own NATS
// connection, natshub.Broker and rxsseapp.App on one stream, as n
// processes behind a load balancer would have; the first instance publishes
// the tick, every instance serves it. The app is the same as on the
// in-memory hub: only the Broker it is given differs.
//
// With no URL, Start embeds a nats-server with JetStream on 127.0.0.1 (a
// random port, the file store in a temporary directory), so that the
// benchmark needs no install.
package natsapp

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/rxsse/rxsse/loadtest/rxsseapp"
	"github.com/rxsse/rxsse/observable/hub/natshub"
)

// DefaultStream is the JetStream stream of the benchmark's instances.
const DefaultStream = "RXSSE_LOAD"

// Config configures a Cluster.
type Config struct {
	URL       string       // the NATS server; empty: embed one
	Instances int          // how many instances (at least 1)
	Stream    string       // the stream the instances share (DefaultStream if empty)
	Logger    *slog.Logger // for the Brokers' connection faults (slog.Default() if nil)
}

// Cluster is the instances of the app and, if embedded, the NATS server.
type Cluster struct {
	// Apps are the instances, the first publishing the tick; each is served
	// by its own http.Server (App.Handler). Close closes them.
	Apps []*rxsseapp.App

	ns    *server.Server // the embedded server, or nil
	dir   string         // its store
	conns []*nats.Conn
}

// Start starts the NATS server if cfg.URL is empty, then the instances in
// order, each on its own connection and Broker.
func Start(ctx context.Context, cfg Config) (*Cluster, error) {
	if cfg.Instances < 1 {
		return nil, fmt.Errorf("natsapp: %d instances, want at least 1", cfg.Instances)
	}
	c := &Cluster{}
	url := cfg.URL
	if url == "" {
		if err := c.embed(); err != nil {
			return nil, err
		}
		url = c.ns.ClientURL()
	}
	logger := cmp.Or(cfg.Logger, slog.Default())
	for i := range cfg.Instances {
		nc, err := nats.Connect(url, nats.Name(fmt.Sprintf("rxsse load instance %d", i+1)), nats.MaxReconnects(-1))
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("natsapp: instance %d: %w", i+1, err)
		}
		c.conns = append(c.conns, nc)
		b, err := natshub.New(ctx, nc, natshub.Config{Stream: cmp.Or(cfg.Stream, DefaultStream), Logger: logger.With("instance", i+1)})
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("natsapp: instance %d: %w", i+1, err)
		}
		c.Apps = append(c.Apps, rxsseapp.NewWithBroker(b, i == 0))
	}
	return c, nil
}

// embed starts a nats-server with JetStream on 127.0.0.1, storing in a new
// temporary directory.
func (c *Cluster) embed() error {
	dir, err := os.MkdirTemp("", "rxsse-load-nats-")
	if err != nil {
		return err
	}
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: dir, NoSigs: true, NoLog: true})
	if err != nil {
		os.RemoveAll(dir)
		return fmt.Errorf("natsapp: %w", err)
	}
	ns.Start()
	c.ns, c.dir = ns, dir
	if !ns.ReadyForConnections(10 * time.Second) {
		c.Close()
		return errors.New("natsapp: the embedded nats-server did not start within 10 s")
	}
	return nil
}

// Close closes the apps (their publisher and Broker; serve them no more
// before), the connections and the embedded server, and removes its store.
func (c *Cluster) Close() error {
	var errs []error
	for _, a := range c.Apps {
		errs = append(errs, a.Close())
	}
	for _, nc := range c.conns {
		nc.Close()
	}
	if c.ns != nil {
		c.ns.Shutdown()
		c.ns.WaitForShutdown()
		errs = append(errs, os.RemoveAll(c.dir))
	}
	return errors.Join(errs...)
}
