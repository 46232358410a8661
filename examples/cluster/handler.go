package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rxsse/rxsse/controller"
	"github.com/rxsse/rxsse/examples/chat/rooms"
	"github.com/rxsse/rxsse/metrics"
	"github.com/rxsse/rxsse/observable/hub"
	"github.com/rxsse/rxsse/openapi"
)

//go:embed index.html
var indexHTML []byte

// clusterController serves the page and the demo's controls.
type clusterController struct {
	in      *instance
	metrics http.Handler
}

func (c clusterController) Routes(r controller.Router) {
	r.Get("/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(indexHTML)
	})
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"instance": c.in.name})
	})
	r.Handle("GET /metrics", c.metrics)
	r.Get("/instances", c.list)
	r.Post("/instances/{name}/stop", c.stop)
	r.Post("/instances/{name}/start", c.start)
}

// instanceInfo describes an instance to the page.
type instanceInfo struct {
	Name string `json:"name"`
	Port string `json:"port"`
	Up   bool   `json:"up"`
	This bool   `json:"this"` // the instance answering
}

func (c clusterController) list(w http.ResponseWriter, _ *http.Request) {
	var out []instanceInfo
	for _, in := range c.in.c.instances {
		out = append(out, instanceInfo{Name: in.name, Port: in.port(), Up: in.up(), This: in == c.in})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

// stop stops an instance, this one included: after answering, since
// stopping waits for the requests in flight.
func (c clusterController) stop(w http.ResponseWriter, r *http.Request) {
	target := c.in.c.instance(chi.URLParam(r, "name"))
	if target == nil {
		http.Error(w, errNoInstance.Error(), http.StatusNotFound)
		return
	}
	w.WriteHeader(http.StatusAccepted)
	c.in.c.background(func() { target.stop() })
}

func (c clusterController) start(w http.ResponseWriter, r *http.Request) {
	target := c.in.c.instance(chi.URLParam(r, "name"))
	if target == nil {
		http.Error(w, errNoInstance.Error(), http.StatusNotFound)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := target.start(ctx); err != nil {
		http.Error(w, "cannot start: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// cors lets the page of one instance stream from and post to the others:
// the instances are different origins (ports).
func cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		if r.Method == http.MethodOptions {
			w.Header().Set("Access-Control-Allow-Methods", "GET, POST")
			w.Header().Set("Access-Control-Allow-Headers", "Content-Type, Last-Event-ID")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// apiInfo is what the OpenAPI document says the API is.
var apiInfo = openapi.Info{
	Title:       "rxsse cluster",
	Version:     "1.0.0",
	Description: "examples/chat's rooms on NATS JetStream, on several instances, and the demo's controls.",
	License:     "MIT",
	LicenseURL:  "https://opensource.org/licenses/MIT",
}

// newHandler returns the routes of one instance; rec is its metrics. It
// serves the routes' OpenAPI document at /openapi.json (and .yaml) and
// renders it at /docs.
func newHandler(in *instance, b hub.Broker, rec *metrics.Recorder, reg *prometheus.Registry) (http.Handler, error) {
	// The rooms are examples/chat's controller, unchanged: only the Broker
	// differs. The page joins with ?history=1 to get a room's recent
	// messages (hub.Oldest on the Broker: no gap event).
	controllers := []controller.Controller{
		rooms.Controller{Broker: b, Retry: in.c.cfg.retry, Observer: rec},
		clusterController{in: in, metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{})},
	}
	doc, err := openapi.New(apiInfo, controller.Describe(controllers...)...)
	if err != nil {
		return nil, err
	}
	r := chi.NewRouter()
	r.Use(cors)
	controller.Mount(r, controllers...)
	controller.Mount(r, doc)
	return r, nil
}
