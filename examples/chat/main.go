// Command chat is a chat with rooms on a broadcast hub: POST
// /rooms/{room}/messages publishes a message, GET /rooms/{room}/events
// streams a room's messages, and the page at / uses both. The page joins a
// room with ?history=1 and shows its recent messages (the hub keeps the
// last 1,000, for an hour), on a join as after a reload. A client that
// loses its stream reconnects with Last-Event-ID and gets every message it
// missed, however slow or unlucky its connection; only when the hub no
// longer has them does the page say that messages were missed.
//
//	cd examples && go run ./chat          # then open http://localhost:3000 in two tabs
//	cd examples && PORT=3010 go run ./chat # when :3000 is taken (make run serves examples/hello there)
//
// GET /metrics serves Prometheus metrics, GET /openapi.json (and
// /openapi.yaml) the API's OpenAPI 3.2 document, GET /docs a page that
// renders it. It listens on :3000, or on the
// port in $PORT, and shuts down gracefully on SIGINT or SIGTERM.
package main

import (
	"cmp"
	"context"
	_ "embed"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rxsse/rxsse/controller"
	"github.com/rxsse/rxsse/examples/chat/rooms"
	"github.com/rxsse/rxsse/metrics"
	"github.com/rxsse/rxsse/observable/hub"
	"github.com/rxsse/rxsse/openapi"
	"github.com/rxsse/rxsse/transport"
)

//go:embed index.html
var indexHTML []byte

// pageController serves the page and the metrics.
type pageController struct {
	metrics http.Handler
}

func (c pageController) Routes(r controller.Router) {
	r.Get("/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(indexHTML)
	}, transport.Summary("The chat page"))
	r.Handle("GET /metrics", c.metrics, transport.Summary("Prometheus metrics"))
}

// app is the application's parts, so tests can reach the hub.
type app struct {
	hub     *hub.Hub
	handler http.Handler
	doc     *openapi.Document
}

// config is what differs between main and tests.
type config struct {
	retry  time.Duration // the reconnection delay the streams ask for
	logger *slog.Logger
	hub    []hub.Option
}

// apiInfo is what the OpenAPI document says the API is.
var apiInfo = openapi.Info{
	Title:       "rxsse chat",
	Version:     "1.0.0",
	Description: "Chat rooms on a broadcast hub: post to a room, stream a room, resume with Last-Event-ID.",
	License:     "MIT",
	LicenseURL:  "https://opensource.org/licenses/MIT",
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
	controllers := []controller.Controller{
		rooms.Controller{Broker: h, Retry: cmp.Or(cfg.retry, time.Second), Observer: rec},
		pageController{metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{})},
	}
	// The OpenAPI 3.2 document of the routes, served at /openapi.json,
	// /openapi.yaml and, rendered, /docs.
	doc, err := openapi.New(apiInfo, controller.Describe(controllers...)...)
	if err != nil {
		return nil, err
	}
	r := chi.NewRouter()
	controller.Mount(r, controllers...)
	controller.Mount(r, doc)
	return &app{hub: h, handler: r, doc: doc}, nil
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
