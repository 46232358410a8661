package transport

import (
	"net/http"
	"reflect"
	"slices"
)

// Declaration is what a route declares about its requests and responses,
// for documentation and for tests that check a stream against it: the
// event types an SSE route sends, the query parameters and body it reads,
// the error statuses it answers with. Declarations change nothing in how a
// route is served. Declared collects them from a route's options; package
// controller's Describe lists them for every route, and the openapi module
// turns them into an OpenAPI document.
type Declaration struct {
	// Summary is a one-line description of the route (see Summary), ""
	// if none was given.
	Summary string
	// Status is the status of a successful response: for an SSE route the
	// one WithStatus sets (200 by default), for a plain route the one
	// Returns gives (0 if none).
	Status int
	// Events are the event types an SSE route sends (see Emits), in the
	// order declared, at most one per type name.
	Events []EventType
	// Query is the struct type whose fields tagged `query:"name"` are the
	// query parameters the route reads (see Query), nil if none.
	Query reflect.Type
	// Body is the type of the JSON request body (see Body), nil if none.
	Body reflect.Type
	// Returns is the type of a plain route's JSON response (see Returns),
	// nil if none.
	Returns reflect.Type
	// Errors are the error statuses the route answers with, in the JSON
	// shape of WriteError (see Errors), sorted, without duplicates.
	Errors []int
}

// EventType is one type of event an SSE route sends: its name, the
// "event:" field ("message" for events sent without one), and the Go type
// of its data. Data of type string (or []byte) is sent as it is, anything
// else as JSON, as the transport writes it.
type EventType struct {
	// Name is the event's type, "message" for events without an "event:"
	// field.
	Name string
	// Data is the Go type of the event's data.
	Data reflect.Type
}

// Emits declares that the route sends events of type eventType whose data
// is a T: Emits[Message]("") for the unnamed events the browser's onmessage
// gets, Emits[Presence]("presence") for those addEventListener("presence",
// ...) gets. "" and "message" are the same type. A later Emits for the same
// type replaces an earlier one, so a route's own declaration wins over its
// scope's SseDefaults. The transport's own "error" frame (see HTTPError)
// needs no declaration: every route may end with one.
//
//	r.SseE("/{room}/events", c.events,
//		transport.Emits[Message](""),
//		transport.Emits[hub.Gap](hub.GapEventType))
func Emits[T any](eventType string) Option {
	if eventType == "" {
		eventType = "message"
	}
	t := reflect.TypeFor[T]()
	return func(c *config) {
		c.decl.Events = slices.DeleteFunc(c.decl.Events, func(e EventType) bool { return e.Name == eventType })
		c.decl.Events = append(c.decl.Events, EventType{Name: eventType, Data: t})
	}
}

// Query declares the query parameters the route reads: the fields of the
// struct T tagged `query:"name"`, their types (strings, numbers, booleans
// and slices of them) and, with `query:"name,required"`, whether a request
// must carry them. The route still reads them itself (r.URL.Query()); T
// only describes them.
func Query[T any]() Option {
	t := reflect.TypeFor[T]()
	return func(c *config) { c.decl.Query = t }
}

// Body declares that the route reads a JSON request body of type T: a POST
// stream's question, a plain route's payload.
func Body[T any]() Option {
	t := reflect.TypeFor[T]()
	return func(c *config) { c.decl.Body = t }
}

// Returns declares a plain route's successful response: status with a JSON
// body of type T (use struct{} for none). It has no meaning on an SSE
// route, whose response is its events (see Emits) and whose status is
// WithStatus's.
func Returns[T any](status int) Option {
	t := reflect.TypeFor[T]()
	return func(c *config) { c.decl.Returns, c.decl.Status = t, status }
}

// Errors declares error statuses the route answers with, each with the
// JSON body WriteError and a stream's HTTP error send
// ({"statusCode":404,"message":"no such room","error":"Not Found"}). They
// add to those declared before, by the route's scope for instance.
func Errors(statuses ...int) Option {
	return func(c *config) {
		c.decl.Errors = append(c.decl.Errors, statuses...)
		slices.Sort(c.decl.Errors)
		c.decl.Errors = slices.Compact(c.decl.Errors)
	}
}

// Summary gives the route a one-line description for its documentation.
func Summary(text string) Option { return func(c *config) { c.decl.Summary = text } }

// Declared returns what opts declare about a route, the options given to
// Handler (or to a controller's route, its scope's SseDefaults first).
// Options that are no declaration are ignored, except WithStatus, whose
// status is the Declaration's unless Returns sets one.
func Declared(opts ...Option) Declaration {
	var c config
	c.status = http.StatusOK
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	d := c.decl
	if d.Returns == nil {
		d.Status = c.status
	}
	d.Events = slices.Clone(d.Events)
	d.Errors = slices.Clone(d.Errors)
	return d
}
