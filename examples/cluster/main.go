// Command cluster is the chat of examples/chat on NATS JetStream: three
// instances of the app, each with its own NATS connection and
// natshub.Broker on one shared stream, so that a message posted on any
// instance reaches the browsers of all, and a browser whose instance dies
// resumes on another with Last-Event-ID, missing nothing.
//
//	make cluster    # or, in examples/: go run ./cluster
//
// It starts an embedded NATS server with JetStream on 127.0.0.1:4222 (or
// the port in $NATS_PORT; 0 picks a free one; if 4222 is taken and
// $NATS_PORT is unset, it picks a free one too), or uses $NATS_URL instead,
// and the instances A, B and C on http://localhost:3001, :3002 and :3003
// (or the ports in $PORTS, comma-separated):
//
//	NATS_PORT=4333 PORTS=4001,4002,4003 go run ./cluster   (in examples/)
//	NATS_URL=nats://nats.internal:4222 go run ./cluster   (in examples/)
//
// Open one in a browser: the page lets you pick the instance you stream
// from, post, and stop or start any instance. A room shows its recent
// messages when you join and when you reload: the page opens its stream
// with ?history=1, which the rooms controller answers, when the request
// has no Last-Event-ID, by subscribing at hub.Oldest (every message the
// stream retains, then the live ones, no gap event). A reconnecting
// browser sends Last-Event-ID and resumes instead.
//
// Besides the chat's routes (and GET /metrics, with the Broker's and the
// streams' metrics), each instance serves GET /instances (the
// instances and whether each is up) and POST /instances/{name}/stop and
// /instances/{name}/start, and the routes' OpenAPI document at GET
// /openapi.json (and /openapi.yaml), rendered at GET /docs. It shuts down
// on SIGINT or SIGTERM.
package main

import (
	"cmp"
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	url := os.Getenv("NATS_URL")
	if url == "" {
		dir, err := os.MkdirTemp("", "rxsse-cluster-nats-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		port, anyIfTaken, err := natsPort(os.Getenv("NATS_PORT"))
		if err != nil {
			return err
		}
		ns, err := startNATS(dir, port, anyIfTaken)
		if err != nil {
			return err
		}
		defer ns.WaitForShutdown()
		defer ns.Shutdown()
		url = ns.ClientURL()
		log.Printf("embedded NATS server with JetStream on %s (NATS_PORT moves it; NATS_URL uses another server)", url)
	}
	var addrs []string
	for _, p := range strings.Split(cmp.Or(os.Getenv("PORTS"), "3001,3002,3003"), ",") {
		addrs = append(addrs, ":"+strings.TrimSpace(p))
	}
	c, err := newCluster(ctx, clusterConfig{natsURL: url, addrs: addrs, logger: slog.Default()})
	if err != nil {
		return err
	}
	for _, in := range c.instances {
		log.Printf("instance %s on http://localhost:%s", in.name, in.port())
	}
	<-ctx.Done()
	return c.close()
}

// defaultNATSPort is the embedded NATS server's port unless $NATS_PORT says
// otherwise: NATS's own default, so NATS tools find it.
const defaultNATSPort = 4222

// natsPort reads $NATS_PORT (env): the port for the embedded NATS server,
// -1 for any free one ("0"), and whether another port will do if it is
// taken (only for the default: a port asked for is a port meant).
func natsPort(env string) (port int, anyIfTaken bool, err error) {
	if env == "" {
		return defaultNATSPort, true, nil
	}
	n, err := strconv.Atoi(env)
	if err != nil || n < 0 || n > 65535 {
		return 0, false, fmt.Errorf("NATS_PORT=%q: want a port number, 0 for any free one", env)
	}
	if n == 0 {
		return -1, false, nil // NATS reads 0 as its default, 4222; -1 is a random port
	}
	return n, false, nil
}

// startNATS starts a NATS server with JetStream on 127.0.0.1, storing in
// dir, on port (-1: a random one), or on a random one if port is taken and
// anyIfTaken.
func startNATS(dir string, port int, anyIfTaken bool) (*server.Server, error) {
	opts := &server.Options{Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: dir, NoSigs: true, NoLog: true}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, err
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		if anyIfTaken && port != -1 {
			return startNATS(dir, -1, false) // the default port is taken: any port will do
		}
		return nil, fmt.Errorf("embedded NATS server not ready on 127.0.0.1:%d (is the port taken? set NATS_PORT)", port)
	}
	return ns, nil
}

// errNoInstance answers a stop or start of an instance that does not exist.
var errNoInstance = fmt.Errorf("no such instance")
