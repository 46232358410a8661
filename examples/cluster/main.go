// Command cluster is the chat of examples/chat on NATS JetStream: three
// instances of the app, each with its own NATS connection and
// natshub.Broker on one shared stream, so that a message posted on any
// instance reaches the browsers of all, and a browser whose instance dies
// resumes on another with Last-Event-ID, missing nothing.
//
//	make cluster    # or: go run ./examples/cluster
//
// It starts an embedded NATS server with JetStream (or uses $NATS_URL) and
// the instances A, B and C on http://localhost:3001, :3002 and :3003 (or
// the ports in $PORTS, comma-separated). Open one in a browser: the page
// lets you pick the instance you stream from, post, and stop or start any
// instance. A room shows its recent messages when you join: the page
// subscribes with ?lastEventId=0, an id no broker can resume from, which
// the Broker answers with the gap event and then every message the stream
// retains.
//
// Besides the chat's routes (and GET /metrics, with the Broker's and the
// streams' metrics), each instance serves GET /instances (the
// instances and whether each is up) and POST /instances/{name}/stop and
// /instances/{name}/start. It shuts down on SIGINT or SIGTERM.
package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"os"
	"os/signal"
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
		ns, err := startNATS(dir, 4222)
		if err != nil {
			return err
		}
		defer ns.WaitForShutdown()
		defer ns.Shutdown()
		url = ns.ClientURL()
		log.Printf("embedded NATS server with JetStream on %s (set NATS_URL to use another)", url)
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

// startNATS starts a NATS server with JetStream on 127.0.0.1, storing in
// dir, on port (or a random one if it is taken).
func startNATS(dir string, port int) (*server.Server, error) {
	opts := &server.Options{Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: dir, NoSigs: true, NoLog: true}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, err
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		if port != -1 {
			return startNATS(dir, -1) // 4222 is taken: any port will do
		}
		return nil, errors.New("embedded NATS server not ready")
	}
	return ns, nil
}

// errNoInstance answers a stop or start of an instance that does not exist.
var errNoInstance = fmt.Errorf("no such instance")
