package natshub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/nats-io/nats.go"
	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/controller"
	"github.com/rxsse/rxsse/transport"
)

// appNode is one instance of an application, as a fault test runs it: its
// own NATS connection, Broker and HTTP server on 127.0.0.1, serving the
// Broker's events through a controller on a chi router, as README shows.
// It can be stopped and started again on the same address, as a restarted
// process would be.
type appNode struct {
	t       *testing.T
	name    string
	natsURL string
	cfg     Config
	logs    *logCount
	retry   time.Duration // the reconnection time the streams ask for

	mu     sync.Mutex
	addr   string // "127.0.0.1:0" until the first start picks a port
	nc     *nats.Conn
	b      *Broker
	srv    *http.Server
	served chan error
}

// startAppNode starts an instance; the test's cleanup stops it.
func startAppNode(t *testing.T, name, natsURL string, logs *logCount, retry time.Duration, cfg Config) *appNode {
	t.Helper()
	n := &appNode{t: t, name: name, natsURL: natsURL, cfg: cfg, logs: logs, retry: retry, addr: "127.0.0.1:0"}
	n.start()
	t.Cleanup(n.stop)
	return n
}

// streamController serves a Broker's events on GET /events, for the topics
// of the query's topic parameters, resuming after Last-Event-ID.
type streamController struct {
	b    *Broker
	opts []transport.Option
}

func (c streamController) Routes(r controller.Router) {
	r.SseDefaults(c.opts...)
	r.Sse("/events", func(r *http.Request) rxgo.Observable {
		return c.b.Subscribe(transport.LastEventID(r), r.URL.Query()["topic"]...)
	})
}

// start connects the instance to NATS and serves it. It must be stopped.
func (n *appNode) start() {
	n.t.Helper()
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.srv != nil {
		n.t.Fatalf("%s: started twice", n.name)
	}
	nc, err := nats.Connect(n.natsURL, nats.Name(n.name), nats.MaxReconnects(-1),
		nats.ReconnectWait(20*time.Millisecond), nats.ReconnectJitter(0, 0))
	if err != nil {
		n.t.Fatalf("%s: %v", n.name, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	log := slog.New(n.logs).With("instance", n.name)
	cfg := n.cfg
	cfg.Logger = log
	b, err := New(ctx, nc, cfg)
	if err != nil {
		nc.Close()
		n.t.Fatalf("%s: %v", n.name, err)
	}
	// The first start picks a port; a restart takes the same one, so that
	// clients reconnect to where the instance was.
	ln, err := net.Listen("tcp", n.addr)
	if err != nil {
		b.Close()
		nc.Close()
		n.t.Fatalf("%s: %v", n.name, err)
	}
	n.addr = ln.Addr().String()
	r := chi.NewRouter()
	controller.Mount(r, streamController{b: b, opts: []transport.Option{
		transport.WithRetry(n.retry),
		transport.WithLogger(log),
	}})
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	transport.CancelOnShutdown(srv)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	n.nc, n.b, n.srv, n.served = nc, b, srv, served
}

// stop shuts the instance down as a clean exit would: its streams end at
// once (clients reconnect), then the Broker and the connection close. It
// does nothing if the instance is stopped.
func (n *appNode) stop() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.srv.Shutdown(ctx); err != nil {
		n.t.Errorf("%s: shutdown: %v", n.name, err)
		n.srv.Close()
	}
	if err := <-n.served; !errors.Is(err, http.ErrServerClosed) {
		n.t.Errorf("%s: serve: %v", n.name, err)
	}
	n.b.Close()
	n.nc.Close()
	n.nc, n.b, n.srv, n.served = nil, nil, nil, nil
}

// broker returns the instance's Broker, or nil while it is stopped.
func (n *appNode) broker() *Broker {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.b
}

// eventsURL is the URL of the stream of topics on this instance.
func (n *appNode) eventsURL(topics []string) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return "http://" + n.addr + "/events?" + url.Values{"topic": topics}.Encode()
}

// logCount is a slog.Handler that counts the warnings and errors logged
// (by the Brokers and the transport), by level and message, so that a
// fault test can report what the instances said.
type logCount struct {
	mu sync.Mutex
	n  map[string]int
}

func newLogCount() *logCount { return &logCount{n: map[string]int{}} }

func (h *logCount) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h *logCount) Handle(_ context.Context, r slog.Record) error {
	key := r.Level.String() + " " + r.Message
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "err" {
			key += ": " + firstLine(a.Value.String())
		}
		return true
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	h.n[key]++
	return nil
}

func (h *logCount) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logCount) WithGroup(string) slog.Handler      { return h }

// String lists the messages, most frequent first.
func (h *logCount) String() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	keys := slices.SortedFunc(maps.Keys(h.n), func(a, b string) int {
		if d := h.n[b] - h.n[a]; d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	var sb strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&sb, "\n\t%5d× %s", h.n[k], k)
	}
	if sb.Len() == 0 {
		return " none"
	}
	return sb.String()
}

// firstLine clips s to its first line and 160 bytes.
func firstLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	if len(s) > 160 {
		s = s[:160] + "..."
	}
	return s
}
