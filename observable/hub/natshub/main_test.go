package natshub

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/reactivex/rxgo/v2"
	"go.uber.org/goleak"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/observable"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// natsServer is a real nats-server with JetStream, embedded in the test
// process, on 127.0.0.1 and a random port, storing under a test directory.
type natsServer struct {
	t    testing.TB
	opts *server.Options
	srv  *server.Server
	url  string
}

func startNATS(t testing.TB) *natsServer {
	t.Helper()
	n := &natsServer{t: t, opts: &server.Options{
		Host:      "127.0.0.1",
		Port:      -1,
		JetStream: true,
		StoreDir:  t.TempDir(),
		NoLog:     true,
		NoSigs:    true,
	}}
	n.start()
	n.opts.Port = n.srv.Addr().(*net.TCPAddr).Port // a restart keeps the port
	n.url = n.srv.ClientURL()
	t.Cleanup(n.stop)
	return n
}

func (n *natsServer) start() {
	n.t.Helper()
	srv, err := server.NewServer(n.opts)
	if err != nil {
		n.t.Fatal(err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		n.t.Fatal("nats-server not ready")
	}
	n.srv = srv
}

func (n *natsServer) stop() {
	n.srv.Shutdown()
	n.srv.WaitForShutdown()
}

// restart stops the server and starts it again on the same port and store.
func (n *natsServer) restart() {
	n.stop()
	n.start()
}

// connect returns a connection that reconnects for ever, quickly.
func connect(t testing.TB, url string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond), nats.ReconnectJitter(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

func newBroker(t testing.TB, nc *nats.Conn, cfg Config) *Broker {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Quiet by default; a test may pass its own logger after this one.
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	b, err := New(ctx, nc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func mustPublish(t testing.TB, b *Broker, data string, topics ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	id, err := b.Publish(ctx, encoder.MessageEvent{Data: data}, topics...)
	if err != nil {
		t.Fatalf("publish %q: %v", data, err)
	}
	return id
}

// puller is how the transport recognises a pulled Observable.
type puller interface {
	Pull(ctx context.Context) observable.Iterator
}

// sub is a subscription pulled by the test.
type sub struct {
	t  testing.TB
	it observable.Iterator
}

func subscribe(t testing.TB, b *Broker, lastEventID string, topics ...string) *sub {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	it := b.Subscribe(lastEventID, topics...).(puller).Pull(ctx)
	t.Cleanup(func() { it.Close(); cancel() })
	return &sub{t: t, it: it}
}

// next returns the next item, failing the test if none comes within 10 s.
func (s *sub) next() (rxgo.Item, observable.State) {
	s.t.Helper()
	timeout := time.NewTimer(10 * time.Second)
	defer timeout.Stop()
	for {
		item, st := s.it.Next()
		if st != observable.Empty {
			return item, st
		}
		select {
		case <-s.it.Ready():
		case <-timeout.C:
			s.t.Fatal("no item within 10 s")
		}
	}
}

// event returns the next item, which must be an event.
func (s *sub) event() encoder.MessageEvent {
	s.t.Helper()
	item, st := s.next()
	if st != observable.Value || item.E != nil {
		s.t.Fatalf("want an event, got state %v item %+v", st, item)
	}
	return item.V.(encoder.MessageEvent)
}

// data returns the data of the next n events, which must be strings.
func (s *sub) data(n int) []string {
	s.t.Helper()
	out := make([]string, n)
	for i := range out {
		ev := s.event()
		d, ok := ev.Data.(string)
		if !ok {
			s.t.Fatalf("event %d: data %T %v", i, ev.Data, ev.Data)
		}
		out[i] = d
	}
	return out
}

// end returns the error the subscription ends with (nil: it completed).
func (s *sub) end() error {
	s.t.Helper()
	for {
		item, st := s.next()
		if st == observable.Done {
			return nil
		}
		if item.E != nil {
			if _, st := s.next(); st != observable.Done {
				s.t.Fatalf("an item after the error %v", item.E)
			}
			return item.E
		}
	}
}
