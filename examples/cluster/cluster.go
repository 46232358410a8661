package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rxsse/rxsse/metrics"
	"github.com/rxsse/rxsse/observable/hub/natshub"
	"github.com/rxsse/rxsse/transport"
)

// clusterConfig is what differs between main and tests.
type clusterConfig struct {
	natsURL string
	addrs   []string      // one listen address per instance
	stream  string        // the JetStream stream ("RXSSE" if empty)
	retry   time.Duration // the reconnection delay the streams ask for (1 s if zero)
	logger  *slog.Logger
	// wrap, if set, wraps each instance's handler (tests watch streams).
	wrap func(instance string, h http.Handler) http.Handler
}

// cluster is the instances of the app, in one process for the demo: each
// has its own NATS connection, Broker and HTTP server, as separate
// processes would.
type cluster struct {
	cfg       clusterConfig
	instances []*instance
	pending   sync.WaitGroup // stops requested over HTTP
}

// background runs fn on its own goroutine; close waits for it.
func (c *cluster) background(fn func()) { c.pending.Go(fn) }

// instance is one app instance, which can be stopped and started again.
type instance struct {
	c    *cluster
	name string // "A", "B", ...
	addr string

	mu     sync.Mutex
	srv    *http.Server
	nc     *nats.Conn
	broker *natshub.Broker
	served chan error // Serve's result, while running
}

func newCluster(ctx context.Context, cfg clusterConfig) (*cluster, error) {
	cfg.retry = cmp.Or(cfg.retry, time.Second)
	cfg.logger = cmp.Or(cfg.logger, slog.Default())
	c := &cluster{cfg: cfg}
	for i, addr := range cfg.addrs {
		c.instances = append(c.instances, &instance{c: c, name: string(rune('A' + i)), addr: addr})
	}
	for _, in := range c.instances {
		if err := in.start(ctx); err != nil {
			c.close()
			return nil, fmt.Errorf("instance %s: %w", in.name, err)
		}
	}
	return c, nil
}

func (c *cluster) instance(name string) *instance {
	for _, in := range c.instances {
		if in.name == name {
			return in
		}
	}
	return nil
}

// close stops every instance.
func (c *cluster) close() error {
	c.pending.Wait()
	var errs []error
	for _, in := range c.instances {
		errs = append(errs, in.stop())
	}
	return errors.Join(errs...)
}

// start connects the instance to NATS and serves it; it does nothing if it
// is running.
func (in *instance) start(ctx context.Context) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.srv != nil {
		return nil
	}
	cfg := in.c.cfg
	nc, err := nats.Connect(cfg.natsURL, nats.Name("rxsse cluster "+in.name), nats.MaxReconnects(-1), nats.ReconnectWait(250*time.Millisecond))
	if err != nil {
		return err
	}
	// A registry per instance: in one process for the demo, they would be
	// separate processes.
	reg := prometheus.NewRegistry()
	rec, err := metrics.New(reg)
	if err != nil {
		nc.Close()
		return err
	}
	b, err := natshub.New(ctx, nc, natshub.Config{
		Stream:      cfg.stream, // "RXSSE" if empty
		ReplayCount: 10_000,
		ReplayAge:   24 * time.Hour,
		Logger:      cfg.logger.With("instance", in.name),
		Observer:    rec,
	})
	if err != nil {
		nc.Close()
		return err
	}
	h, err := newHandler(in, b, rec, reg)
	if err != nil {
		b.Close()
		nc.Close()
		return err
	}
	ln, err := net.Listen("tcp", in.addr)
	if err != nil {
		b.Close()
		nc.Close()
		return err
	}
	in.addr = ln.Addr().String() // the port chosen, for ":0"
	if cfg.wrap != nil {
		h = cfg.wrap(in.name, h)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	transport.CancelOnShutdown(srv)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	in.srv, in.nc, in.broker, in.served = srv, nc, b, served
	cfg.logger.Info("instance started", "instance", in.name, "addr", in.addr)
	return nil
}

// stop shuts the instance down as a crash-free exit would: open streams end
// at once (their browsers reconnect, to another instance if this one stays
// down), then the Broker and the connection close. It does nothing if the
// instance is stopped.
func (in *instance) stop() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := in.srv.Shutdown(ctx)
	if serr := <-in.served; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	in.broker.Close()
	in.nc.Close()
	in.srv, in.nc, in.broker, in.served = nil, nil, nil, nil
	in.c.cfg.logger.Info("instance stopped", "instance", in.name)
	return err
}

// up reports whether the instance is running.
func (in *instance) up() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.srv != nil
}

// port returns the port the instance listens on.
func (in *instance) port() string {
	in.mu.Lock()
	defer in.mu.Unlock()
	_, port, _ := net.SplitHostPort(in.addr)
	return port
}
