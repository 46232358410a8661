package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"net/http"
	"regexp"
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

// Limits on what a client may post, as in examples/chat.
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

// roomController serves the rooms: rooms are topics. It is examples/chat's,
// on a hub.Broker: it does not know the Broker is NATS.
type roomController struct {
	hub      hub.Broker
	retry    time.Duration
	observer transport.Observer // open streams, events and bytes, for /metrics
}

func (roomController) Prefix() string { return "/rooms/{room}" }

func (c roomController) Routes(r controller.Router) {
	r.Post("/messages", c.post)
	// The Broker numbers the events; the transport's own per-connection
	// ids would break resuming, so they are off.
	r.Sse("/events", c.events, transport.WithAutoID(false), transport.WithRetry(c.retry), transport.WithObserver(c.observer))
}

func (c roomController) post(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "room")
	if !roomName.MatchString(name) {
		http.Error(w, "no such room: a room is 1 to 40 letters, digits, - or _", http.StatusNotFound)
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

// events streams a room. The page joins with ?lastEventId=0 to get the
// room's recent messages: "0" is no id of any broker, so the Broker sends
// the gap event, then every retained message of the room.
func (c roomController) events(r *http.Request) rxgo.Observable {
	name := chi.URLParam(r, "room")
	if !roomName.MatchString(name) {
		return rxgo.Thrown(transport.NewHTTPError(http.StatusNotFound, "no such room"))
	}
	return c.hub.Subscribe(transport.LastEventID(r), name)
}

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
	r.Handle(http.MethodGet, "/metrics", c.metrics)
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

// newHandler returns the routes of one instance; rec is its metrics.
func newHandler(in *instance, b hub.Broker, rec *metrics.Recorder, reg *prometheus.Registry) http.Handler {
	r := chi.NewRouter()
	r.Use(cors)
	controller.Mount(r, roomController{hub: b, retry: in.c.cfg.retry, observer: rec})
	controller.Mount(r, clusterController{in: in, metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{})})
	return r
}
