// Command chat is a chat with rooms on a broadcast hub: POST
// /rooms/{room}/messages publishes a message, GET /rooms/{room}/events
// streams a room's messages, and the page at / uses both. A client that
// loses its stream reconnects with Last-Event-ID and gets every message it
// missed, however slow or unlucky its connection.
//
//	go run ./examples/chat    # then open http://localhost:3000 in two tabs
//
// GET /metrics serves Prometheus metrics. It listens on :3000, or on the
// port in $PORT, and shuts down gracefully on SIGINT or SIGTERM.
package main

import (
	"cmp"
	"context"
	_ "embed"
	"encoding/json"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/controller"
	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/metrics"
	"github.com/rxsse/rxsse/observable/hub"
	"github.com/rxsse/rxsse/transport"
)

//go:embed index.html
var indexHTML []byte

// Limits on what a client may post.
const (
	maxName = 40
	maxText = 500
	maxBody = 4 << 10
)

var roomName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,40}$`)

// message is what a room's stream carries, as JSON.
type message struct {
	Name string `json:"name"`
	Text string `json:"text"`
}

// roomController serves the rooms: rooms are hub topics.
type roomController struct {
	hub      hub.Broker
	retry    time.Duration
	observer transport.Observer // open streams, events and bytes, for /metrics
}

func (roomController) Prefix() string { return "/rooms/{room}" }

func (c roomController) Routes(r controller.Router) {
	r.Post("/messages", c.post)
	// The hub's events carry their own ids, which the transport keeps:
	// a browser resumes from them with Last-Event-ID.
	r.SseE("/events", c.events, transport.WithRetry(c.retry), transport.WithObserver(c.observer))
}

// room returns the room of r, or "" after answering 404.
func room(w http.ResponseWriter, r *http.Request) string {
	name := chi.URLParam(r, "room")
	if !roomName.MatchString(name) {
		http.Error(w, "no such room: a room is 1 to 40 letters, digits, - or _", http.StatusNotFound)
		return ""
	}
	return name
}

func (c roomController) post(w http.ResponseWriter, r *http.Request) {
	name := room(w, r)
	if name == "" {
		return
	}
	var m message
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&m); err != nil {
		http.Error(w, "want a JSON body {\"name\":..., \"text\":...}", http.StatusBadRequest)
		return
	}
	if n := utf8.RuneCountInString(m.Name); n == 0 || n > maxName || !utf8.ValidString(m.Name) {
		http.Error(w, "name: 1 to 40 characters", http.StatusBadRequest)
		return
	}
	if n := utf8.RuneCountInString(m.Text); n == 0 || n > maxText || !utf8.ValidString(m.Text) {
		http.Error(w, "text: 1 to 500 characters", http.StatusBadRequest)
		return
	}
	id, err := c.hub.Publish(r.Context(), encoder.MessageEvent{Data: m}, name)
	if err != nil {
		http.Error(w, "not published", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(map[string]string{"id": id})
}

func (c roomController) events(r *http.Request) (rxgo.Observable, error) {
	name := chi.URLParam(r, "room")
	if !roomName.MatchString(name) {
		return nil, transport.NewHTTPError(http.StatusNotFound, "no such room")
	}
	return c.hub.Subscribe(transport.LastEventID(r), name), nil
}

// pageController serves the page and the metrics.
type pageController struct {
	metrics http.Handler
}

func (c pageController) Routes(r controller.Router) {
	r.Get("/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(indexHTML)
	})
	r.Handle(http.MethodGet, "/metrics", c.metrics)
}

// app is the application's parts, so tests can reach the hub.
type app struct {
	hub     *hub.Hub
	handler http.Handler
}

// config is what differs between main and tests.
type config struct {
	retry  time.Duration // the reconnection delay the streams ask for
	logger *slog.Logger
	hub    []hub.Option
}

func newApp(cfg config) (*app, error) {
	reg := prometheus.NewRegistry()
	rec, err := metrics.New(reg)
	if err != nil {
		return nil, err
	}
	logger := cmp.Or(cfg.logger, slog.Default())
	h := hub.New(append([]hub.Option{
		hub.WithReplayCount(1000),
		hub.WithReplayAge(time.Hour),
		hub.WithObserver(rec),
		hub.WithLogger(logger),
	}, cfg.hub...)...)
	r := chi.NewRouter()
	controller.Mount(r, roomController{hub: h, retry: cmp.Or(cfg.retry, time.Second), observer: rec})
	controller.Mount(r, pageController{metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{})})
	return &app{hub: h, handler: r}, nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := newApp(config{})
	if err != nil {
		log.Fatal(err)
	}
	defer a.hub.Close()
	addr := ":" + cmp.Or(os.Getenv("PORT"), "3000")
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("listening on %s", addr)
	// Until SIGINT or SIGTERM; then open streams end at once and posts in
	// flight finish.
	srv := &http.Server{Handler: a.handler, ReadHeaderTimeout: 10 * time.Second}
	if err := transport.Serve(ctx, srv, ln); err != nil {
		log.Fatal(err)
	}
}
