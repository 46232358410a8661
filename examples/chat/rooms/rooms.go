// Package rooms is the chat rooms controller of examples/chat and
// examples/cluster: POST /rooms/{room}/messages publishes a message to the
// room's topic, GET /rooms/{room}/events streams the room, resuming from
// Last-Event-ID. GET /rooms/{room}/events?history=1 joins with the room's
// recent messages first (see Controller). It works on any hub.Broker: the
// in-memory hub in one process (examples/chat) or NATS JetStream across
// instances (examples/cluster), without a line changed.
package rooms

import (
	"encoding/json"
	"net/http"
	"regexp"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/controller"
	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/observable/hub"
	"github.com/rxsse/rxsse/transport"
)

// Limits on what a client may post.
const (
	maxName = 40
	maxText = 500
	maxBody = 4 << 10
)

var roomName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,40}$`)

// Message is what a room's stream carries, as JSON.
type Message struct {
	Name string `json:"name"`
	Text string `json:"text"`
}

// Posted is the answer to a post: the message's id in the room's stream.
type Posted struct {
	ID string `json:"id"`
}

// Join is the query of a room's stream. The route reads history's
// presence, not its value: the page sends ?history=1.
type Join struct {
	History string `query:"history" doc:"when present (history=1) and there is no Last-Event-ID, start with the room's retained messages"`
}

// Controller serves the rooms: a room is a topic of the Broker.
type Controller struct {
	// Broker carries the rooms' messages.
	Broker hub.Broker
	// Retry is the reconnection delay the streams ask browsers for.
	Retry time.Duration
	// Observer, if set, counts open streams, events and bytes (metrics).
	Observer transport.Observer
}

// Prefix puts the routes under /rooms/{room}.
func (Controller) Prefix() string { return "/rooms/{room}" }

// Routes declares the rooms' routes.
func (c Controller) Routes(r controller.Router) {
	r.Post("/messages", c.post, transport.Summary("Post a message to a room"),
		transport.Body[Message](), transport.Returns[Posted](http.StatusCreated),
		transport.Errors(http.StatusBadRequest, http.StatusNotFound, http.StatusServiceUnavailable))
	// The Broker's events carry their own ids, which the transport keeps:
	// a browser resumes from them with Last-Event-ID. The declarations
	// document the route (GET /openapi.json) and let tests check what it
	// sends: messages, and the gap event of a resume the Broker cannot
	// serve. A broadcast route: idle subscribers park (WithParking).
	r.SseE("/events", c.events, transport.WithRetry(c.Retry), transport.WithObserver(c.Observer),
		transport.WithParking(true),
		transport.Summary("Stream a room's messages"),
		transport.Emits[Message](""), transport.Emits[hub.Gap](hub.GapEventType),
		transport.Query[Join](), transport.Errors(http.StatusNotFound))
}

// errNoRoom answers a room name that is not one.
var errNoRoom = transport.NewHTTPError(http.StatusNotFound, "no such room: a room is 1 to 40 letters, digits, - or _")

func (c Controller) post(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "room")
	if !roomName.MatchString(name) {
		transport.WriteError(w, r, errNoRoom)
		return
	}
	var m Message
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&m); err != nil {
		transport.WriteError(w, r, transport.NewHTTPError(http.StatusBadRequest, `want a JSON body {"name":..., "text":...}`))
		return
	}
	if n := utf8.RuneCountInString(m.Name); n == 0 || n > maxName || !utf8.ValidString(m.Name) {
		transport.WriteError(w, r, transport.NewHTTPError(http.StatusBadRequest, "name: 1 to 40 characters"))
		return
	}
	if n := utf8.RuneCountInString(m.Text); n == 0 || n > maxText || !utf8.ValidString(m.Text) {
		transport.WriteError(w, r, transport.NewHTTPError(http.StatusBadRequest, "text: 1 to 500 characters"))
		return
	}
	id, err := c.Broker.Publish(r.Context(), encoder.MessageEvent{Data: m}, name)
	if err != nil {
		transport.WriteError(w, r, transport.NewHTTPError(http.StatusServiceUnavailable, "not published"))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(map[string]string{"id": id})
}

// events streams a room. A request with a Last-Event-ID (the header a
// reconnecting browser sends, or a lastEventId query parameter) resumes
// after it. One without asks for live messages only, or, with a history
// query parameter (?history=1), for the room's retained messages first:
// hub.Oldest, which is no resume, so no gap event and no "resume gap" in
// the metrics. A page can always join with ?history=1: its EventSource
// reconnects to the same URL with Last-Event-ID and resumes, so the
// history is not sent twice.
func (c Controller) events(r *http.Request) (rxgo.Observable, error) {
	name := chi.URLParam(r, "room")
	if !roomName.MatchString(name) {
		return nil, errNoRoom
	}
	id := transport.LastEventID(r)
	if id == "" && r.URL.Query().Has("history") {
		id = hub.Oldest
	}
	return c.Broker.Subscribe(id, name), nil
}
