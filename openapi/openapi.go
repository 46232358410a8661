package openapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/rxsse/rxsse/controller"
	"github.com/rxsse/rxsse/transport"
)

// openapiVersion is the OpenAPI version of the documents New builds.
const openapiVersion = "3.2.0"

// Info is the document's info object: what the API is.
type Info struct {
	// Title is the API's name (required).
	Title string
	// Version is the version of the API, not of OpenAPI (required).
	Version string
	// Description says more, in CommonMark.
	Description string
	// License is the name of the API's licence, and LicenseURL where to
	// read it; both or neither.
	License, LicenseURL string
}

// Document is an OpenAPI 3.2 document, as JSON and as YAML. Its Routes
// method serves it (it is a controller.Controller): GET /openapi.json,
// GET /openapi.yaml and, at GET /docs, a page that renders it.
type Document struct {
	json, yaml []byte
}

// JSON returns the document as JSON. The caller must not modify it.
func (d *Document) JSON() []byte { return d.json }

// YAML returns the document as YAML. The caller must not modify it.
func (d *Document) YAML() []byte { return d.yaml }

// New builds the OpenAPI 3.2 document of routes, usually
// controller.Describe's list of an application's controllers. Each route
// becomes an operation, except plain routes declared for every method
// (Handle without a method), which have none to document:
//
//   - its path and path parameters, from the chi pattern ({room},
//     {id:[0-9]+} with its pattern; a trailing * is the parameter {rest});
//   - the query parameters and the JSON request body its transport.Query
//     and transport.Body declare;
//   - for an SSE route, the Last-Event-ID header and the lastEventId query
//     parameter it resumes from, and its response: the route's status with
//     content text/event-stream described by an itemSchema, a oneOf with
//     one schema per transport.Emits and one for the transport's "error"
//     frame;
//   - for a plain route, the response transport.Returns declares (200
//     with no content described otherwise);
//   - the error statuses transport.Errors declares, each with the JSON
//     body of transport.WriteError (components/schemas/Error).
//
// Each event schema is an object with required data (and event, for a
// named type, as a const); data is a string, and for data that is not a
// string, the JSON text of the declared Go type: contentMediaType
// application/json and contentSchema its JSON Schema. Go types become JSON
// Schemas (2020-12, OpenAPI 3.2's dialect) through invopop/jsonschema:
// JSON tags name the properties, fields without omitempty are required,
// structs allow no other property, time.Time is a date-time string, and a
// named struct, slice or map type is one schema in components/schemas that
// the others reference. A pointer field that encoding/json writes as null
// (one without omitempty) may be null; a nil slice or map, which it also
// writes as null, is not described as such: send empty ones, or mark the
// field omitempty.
//
// New returns an error if two routes answer the same method on the same
// path, if a route declares an event type with no data type, or if a type
// has no JSON Schema (a channel, a function).
func New(info Info, routes ...controller.Route) (doc *Document, err error) {
	defer func() {
		// invopop panics on a type it cannot describe.
		if v := recover(); v != nil {
			doc, err = nil, fmt.Errorf("openapi: %v", v)
		}
	}()
	if info.Title == "" || info.Version == "" {
		return nil, fmt.Errorf("openapi: Info needs a Title and a Version")
	}
	b := &builder{schemas: newSchemas(), ids: map[string]bool{}}
	d := document{
		OpenAPI: openapiVersion,
		Info:    infoObject{Title: info.Title, Version: info.Version, Description: info.Description},
		Servers: []server{{URL: "/", Description: "where this document is served"}},
		Paths:   map[string]map[string]*operation{},
	}
	if info.License != "" {
		d.Info.License = &license{Name: info.License, URL: info.LicenseURL}
	}
	for _, rt := range routes {
		if rt.Method == "" {
			continue
		}
		path, params := pathTemplate(rt.Pattern)
		method := strings.ToLower(rt.Method)
		if d.Paths[path] == nil {
			d.Paths[path] = map[string]*operation{}
		}
		if d.Paths[path][method] != nil {
			return nil, fmt.Errorf("openapi: %s %s is declared twice", rt.Method, rt.Pattern)
		}
		op, err := b.operation(rt, params)
		if err != nil {
			return nil, fmt.Errorf("openapi: %s %s: %w", rt.Method, rt.Pattern, err)
		}
		d.Paths[path][method] = op
	}
	if b.errors {
		if _, err := b.schemas.of(reflect.TypeFor[errorBody]()); err != nil {
			return nil, err
		}
	}
	if d.Components.Schemas, err = b.schemas.components(); err != nil {
		return nil, err
	}
	js, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	ys, err := toYAML(js)
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	return &Document{json: append(js, '\n'), yaml: ys}, nil
}

// builder builds the operations of one document.
type builder struct {
	schemas *schemas
	ids     map[string]bool // operation ids taken
	errors  bool            // some route declares an error status
}

// errorBody is the JSON body of transport.WriteError and of a stream's
// HTTP error, NestJS's: {"statusCode":404,"message":"no such room",
// "error":"Not Found"}. A test checks the transport's bodies against it.
type errorBody struct {
	// StatusCode is the response's status.
	StatusCode int `json:"statusCode"`
	// Message says what went wrong; only errors meant for clients show
	// theirs, others "Internal server error".
	Message string `json:"message"`
	// Error is the status text, absent when the message is the status text.
	Error string `json:"error,omitempty"`
}

// errorRef is the schema of an error response.
var errorRef = json.RawMessage(`{"$ref":"#/components/schemas/Error"}`)

func (b *builder) operation(rt controller.Route, params []parameter) (*operation, error) {
	decl := rt.Declared
	op := &operation{
		Summary:     decl.Summary,
		OperationID: b.operationID(rt),
		Parameters:  params,
		Responses:   map[string]response{},
	}
	if op.Summary == "" {
		op.Summary = rt.Method + " " + rt.Pattern
	}
	if decl.Query != nil {
		qs, err := b.query(decl.Query)
		if err != nil {
			return nil, err
		}
		op.Parameters = append(op.Parameters, qs...)
	}
	if decl.Body != nil {
		s, err := b.schemas.of(decl.Body)
		if err != nil {
			return nil, err
		}
		op.RequestBody = &requestBody{Required: true, Content: map[string]mediaType{"application/json": {Schema: s}}}
	}
	status := strconv.Itoa(decl.Status)
	if rt.SSE {
		if decl.Query == nil || !slices.ContainsFunc(op.Parameters, func(p parameter) bool { return p.Name == "lastEventId" }) {
			op.Parameters = append(op.Parameters, lastEventIDQuery)
		}
		op.Parameters = append(op.Parameters, lastEventIDHeader)
		items, err := b.itemSchema(decl.Events)
		if err != nil {
			return nil, err
		}
		op.Responses[status] = response{
			Description: "A stream of events, each one of the types of the itemSchema, until the server completes it or the client leaves.",
			Content:     map[string]mediaType{"text/event-stream": {ItemSchema: items}},
		}
		op.Description = "An SSE stream (text/event-stream). A client resumes after the last event it got with the Last-Event-ID header " +
			"(an EventSource sends it when it reconnects) or the lastEventId query parameter."
	} else if decl.Returns != nil {
		s, err := b.schemas.of(decl.Returns)
		if err != nil {
			return nil, err
		}
		op.Responses[status] = response{Description: http.StatusText(decl.Status),
			Content: map[string]mediaType{"application/json": {Schema: s}}}
	} else {
		op.Responses[status] = response{Description: http.StatusText(decl.Status)}
	}
	for _, code := range decl.Errors {
		b.errors = true
		op.Responses[strconv.Itoa(code)] = response{Description: http.StatusText(code),
			Content: map[string]mediaType{"application/json": {Schema: errorRef}}}
	}
	return op, nil
}

// The parameters every SSE route reads: transport.LastEventID.
var (
	lastEventIDHeader = parameter{Name: "Last-Event-ID", In: "header",
		Description: "The id of the last event the client got: the stream resumes after it. " +
			"A browser's EventSource sends it when it reconnects.",
		Schema: json.RawMessage(`{"type":"string"}`)}
	lastEventIDQuery = parameter{Name: "lastEventId", In: "query",
		Description: "Last-Event-ID, for a client that cannot set the header on its first request; the header wins.",
		Schema:      json.RawMessage(`{"type":"string"}`)}
)

// itemSchema returns the schema of one event of a stream: a oneOf over
// the declared event types and the transport's error frame.
func (b *builder) itemSchema(events []transport.EventType) (*oneOf, error) {
	items := &oneOf{}
	for _, et := range events {
		if et.Data == nil {
			return nil, fmt.Errorf("event type %q has no data type", et.Name)
		}
		data, err := b.data(et.Data)
		if err != nil {
			return nil, fmt.Errorf("event type %q: %w", et.Name, err)
		}
		items.OneOf = append(items.OneOf, event(et.Name, "", data))
	}
	if !slices.ContainsFunc(events, func(et transport.EventType) bool { return et.Name == "error" }) {
		items.OneOf = append(items.OneOf, event("error",
			"The transport's error frame, which ends the stream: its data is the error's message "+
				"(an HTTPError's, else \"Internal server error\").",
			stringData))
	}
	return items, nil
}

// stringData is the data of an event sent as it is.
var stringData = json.RawMessage(`{"type":"string"}`)

// data returns the schema of an event's data of Go type t: a string, or
// the JSON text of a t.
func (b *builder) data(t reflect.Type) (json.RawMessage, error) {
	if t.Kind() == reflect.String || t == reflect.TypeFor[[]byte]() || t.Kind() == reflect.Interface {
		return stringData, nil // sent as it is (see transport.Handler)
	}
	s, err := b.schemas.of(t)
	if err != nil {
		return nil, err
	}
	return json.Marshal(jsonData{Type: "string", ContentMediaType: "application/json", ContentSchema: s})
}

// event returns the schema of one event type. The unnamed type, message,
// has no event field on the wire: the property is optional, and "message"
// when present (a server may name the default type). Every other type
// requires its event field, so that at most one branch of the oneOf
// matches any event.
func event(name, description string, data json.RawMessage) eventSchema {
	e := eventSchema{
		Title:       name,
		Description: description,
		Type:        "object",
		Required:    []string{"data"},
		Properties: eventProperties{
			Event: constant{Const: name},
			Data:  data,
			ID:    json.RawMessage(`{"type":"string"}`),
			Retry: json.RawMessage(`{"type":"integer","minimum":0}`),
		},
	}
	if name != "message" {
		e.Required = []string{"event", "data"}
	}
	if e.Description == "" {
		if name == "message" {
			e.Description = "An event without an event field (a browser's onmessage gets it)."
		} else {
			e.Description = "An event named " + strconv.Quote(name) + " (addEventListener(" + strconv.Quote(name) + ", ...) gets it)."
		}
	}
	return e
}

// query returns the query parameters the fields of struct t tagged
// `query:"name"` (or `query:"name,required"`) describe.
func (b *builder) query(t reflect.Type) ([]parameter, error) {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("transport.Query[%v]: not a struct", t)
	}
	var out []parameter
	for _, f := range reflect.VisibleFields(t) {
		tag, ok := f.Tag.Lookup("query")
		if !ok || !f.IsExported() {
			continue
		}
		name, opt, _ := strings.Cut(tag, ",")
		if name == "" || name == "-" {
			continue
		}
		s, err := b.schemas.of(f.Type)
		if err != nil {
			return nil, err
		}
		out = append(out, parameter{Name: name, In: "query", Required: opt == "required",
			Description: f.Tag.Get("doc"), Schema: s})
	}
	return out, nil
}

// operationID returns a unique id for the route: its controller's type
// and its method ("rooms.Controller.events"), or its method and path.
func (b *builder) operationID(rt controller.Route) string {
	id := ""
	if rt.Handler != "" {
		owner := strings.TrimPrefix(strings.TrimPrefix(rt.Controller, "*"), "main.")
		id = owner + "." + rt.Handler
	} else {
		var sb strings.Builder
		sb.WriteString(strings.ToLower(rt.Method))
		for _, w := range strings.FieldsFunc(rt.Pattern, func(r rune) bool {
			return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
		}) {
			sb.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
		if sb.Len() == len(rt.Method) {
			sb.WriteString("Root") // "/"
		}
		id = sb.String()
	}
	unique := id
	for i := 2; b.ids[unique]; i++ {
		unique = id + strconv.Itoa(i)
	}
	b.ids[unique] = true
	return unique
}

// pathTemplate returns the OpenAPI path of a chi pattern and its path
// parameters: "/rooms/{room}" is itself, with the parameter room;
// "/items/{id:[0-9]+}" is "/items/{id}", whose schema has the pattern;
// a trailing "*" is "{rest}".
func pathTemplate(pattern string) (string, []parameter) {
	var path strings.Builder
	var params []parameter
	for len(pattern) > 0 {
		open := strings.IndexByte(pattern, '{')
		if open < 0 {
			break
		}
		depth, end := 0, -1
		for i := open; i < len(pattern) && end < 0; i++ {
			switch pattern[i] {
			case '{':
				depth++
			case '}':
				depth--
				if depth == 0 {
					end = i
				}
			}
		}
		if end < 0 {
			break
		}
		path.WriteString(pattern[:open])
		name, re, hasRE := strings.Cut(pattern[open+1:end], ":")
		schema := json.RawMessage(`{"type":"string"}`)
		if hasRE {
			schema, _ = json.Marshal(map[string]string{"type": "string", "pattern": "^" + re + "$"})
		}
		params = append(params, parameter{Name: name, In: "path", Required: true, Schema: schema})
		path.WriteString("{" + name + "}")
		pattern = pattern[end+1:]
	}
	if strings.HasSuffix(pattern, "*") {
		pattern = strings.TrimSuffix(pattern, "*") + "{rest}"
		params = append(params, parameter{Name: "rest", In: "path", Required: true,
			Description: "the rest of the path", Schema: json.RawMessage(`{"type":"string"}`)})
	}
	path.WriteString(pattern)
	return path.String(), params
}
