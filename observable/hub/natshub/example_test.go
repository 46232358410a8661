package natshub_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/observable/hub/natshub"
)

// Two instances share one stream: an event published on one reaches the
// subscribers of the other, and its id resumes on either.
func Example() {
	// A NATS server with JetStream; in production, a cluster (see SCALING.md).
	dir, _ := os.MkdirTemp("", "natshub-example-")
	defer os.RemoveAll(dir)
	ns, _ := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: dir, NoSigs: true, NoLog: true})
	ns.Start()
	defer ns.WaitForShutdown()
	defer ns.Shutdown()
	ns.ReadyForConnections(10 * time.Second)

	ctx := context.Background()
	instance := func() (*natshub.Broker, func()) {
		nc, _ := nats.Connect(ns.ClientURL())
		b, err := natshub.New(ctx, nc, natshub.Config{Stream: "EXAMPLE"})
		if err != nil {
			panic(err)
		}
		return b, func() { b.Close(); nc.Close() }
	}
	a, closeA := instance()
	defer closeA()
	b, closeB := instance()
	defer closeB()

	subCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	events := b.Subscribe("", "room").Observe(rxgo.WithContext(subCtx))
	a.Publish(ctx, encoder.MessageEvent{Data: "hello from A"}, "room")
	fmt.Println((<-events).V.(encoder.MessageEvent).Data)
	// Output: hello from A
}
