package openapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/pb33f/libopenapi"
	"github.com/reactivex/rxgo/v2"
	"go.uber.org/goleak"

	"github.com/rxsse/rxsse/controller"
	"github.com/rxsse/rxsse/observable/hub"
	"github.com/rxsse/rxsse/openapi"
	"github.com/rxsse/rxsse/transport"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Message is what the rooms stream.
type Message struct {
	Name string `json:"name"`
	Text string `json:"text"`
}

// Presence says who is in a room.
type Presence struct {
	Names []string `json:"names"`
}

// History is the query of the rooms' stream.
type History struct {
	History bool `query:"history" doc:"start with the retained messages"`
	Limit   int  `query:"limit"`
}

// Created is a plain route's response.
type Created struct {
	ID string `json:"id"`
}

// rooms is a controller that uses every declaration.
type rooms struct {
	// items is what each stream sends, whatever it declares.
	items []any
}

func (rooms) Prefix() string { return "/rooms/{room:[a-z]+}" }

func (c rooms) Routes(r controller.Router) {
	r.SseDefaults(transport.Errors(http.StatusNotFound))
	r.SseE("/events", c.events, transport.Summary("Stream a room"),
		transport.Emits[Message](""), transport.Emits[Presence]("presence"),
		transport.Emits[hub.Gap](hub.GapEventType), transport.Query[History]())
	r.Sse("POST /ask", c.ask, transport.Body[Message](), transport.Emits[string]("answer"),
		transport.Errors(http.StatusBadRequest))
	r.Post("/messages", c.post, transport.Body[Message](), transport.Returns[Created](http.StatusCreated),
		transport.Errors(http.StatusBadRequest))
	r.Get("/", func(http.ResponseWriter, *http.Request) {})
	r.Handle("/any", http.NotFoundHandler()) // every method: not documented
}

func (c rooms) events(*http.Request) (rxgo.Observable, error) { return rxgo.Just(c.items...)(), nil }
func (c rooms) ask(*http.Request) rxgo.Observable             { return rxgo.Just(c.items...)() }
func (rooms) post(http.ResponseWriter, *http.Request)         {}

var info = openapi.Info{Title: "Rooms", Version: "1.0.0", Description: "Chat rooms.", License: "MIT", LicenseURL: "https://opensource.org/licenses/MIT"}

func newDoc(t *testing.T, c ...controller.Controller) *openapi.Document {
	t.Helper()
	if len(c) == 0 {
		c = []controller.Controller{rooms{}}
	}
	doc, err := openapi.New(info, controller.Describe(c...)...)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// at returns the JSON at the slash-separated keys of doc.
func at(t *testing.T, doc []byte, keys ...string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			var i int
			if err := json.Unmarshal([]byte(k), &i); err != nil || i >= len(x) {
				t.Fatalf("no %q in %v", k, x)
			}
			v = x[i]
		default:
			t.Fatalf("no %q in %v", k, v)
		}
	}
	return v
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestTheDocumentDescribesEachRoute(t *testing.T) {
	d := newDoc(t).JSON()
	path := "/rooms/{room}/events"
	tests := []struct {
		name string
		keys []string
		want string
	}{
		{"the version", []string{"openapi"}, `"3.2.0"`},
		{"the regexp of a path parameter is its pattern", []string{"paths", path, "get", "parameters", "0"},
			`{"in":"path","name":"room","required":true,"schema":{"pattern":"^[a-z]+$","type":"string"}}`},
		{"the declared query parameters", []string{"paths", path, "get", "parameters", "1"},
			`{"description":"start with the retained messages","in":"query","name":"history","schema":{"type":"boolean"}}`},
		{"Last-Event-ID as a header", []string{"paths", path, "get", "parameters", "4", "name"}, `"Last-Event-ID"`},
		{"and as a query parameter", []string{"paths", path, "get", "parameters", "3", "name"}, `"lastEventId"`},
		{"the summary", []string{"paths", path, "get", "summary"}, `"Stream a room"`},
		{"the operation id: controller and method", []string{"paths", path, "get", "operationId"}, `"openapi_test.rooms.events"`},
		{"the unnamed event: event optional, message if there", []string{"paths", path, "get", "responses", "200", "content", "text/event-stream", "itemSchema", "oneOf", "0"},
			`{"description":"An event without an event field (a browser's onmessage gets it).","properties":{"data":{"contentMediaType":"application/json","contentSchema":{"$ref":"#/components/schemas/Message"},"type":"string"},"event":{"const":"message"},"id":{"type":"string"},"retry":{"minimum":0,"type":"integer"}},"required":["data"],"title":"message","type":"object"}`},
		{"a named event requires its name", []string{"paths", path, "get", "responses", "200", "content", "text/event-stream", "itemSchema", "oneOf", "1", "required"},
			`["event","data"]`},
		{"the gap event's data", []string{"paths", path, "get", "responses", "200", "content", "text/event-stream", "itemSchema", "oneOf", "2", "properties", "data", "contentSchema"},
			`{"$ref":"#/components/schemas/Gap"}`},
		{"the transport's error frame, last", []string{"paths", path, "get", "responses", "200", "content", "text/event-stream", "itemSchema", "oneOf", "3", "properties", "event"},
			`{"const":"error"}`},
		{"an error status with the error body", []string{"paths", path, "get", "responses", "404"},
			`{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/Error"}}},"description":"Not Found"}`},
		{"a POST stream answers 201 and reads its body", []string{"paths", "/rooms/{room}/ask", "post", "requestBody"},
			`{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/Message"}}},"required":true}`},
		{"string data is a string", []string{"paths", "/rooms/{room}/ask", "post", "responses", "201", "content", "text/event-stream", "itemSchema", "oneOf", "0", "properties", "data"},
			`{"type":"string"}`},
		{"a plain route's declared response", []string{"paths", "/rooms/{room}/messages", "post", "responses", "201"},
			`{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/Created"}}},"description":"Created"}`},
		{"a plain route without declarations", []string{"paths", "/rooms/{room}", "get"},
			`{"operationId":"getRoomsRoomAZ","parameters":[{"in":"path","name":"room","required":true,"schema":{"pattern":"^[a-z]+$","type":"string"}}],"responses":{"200":{"description":"OK"}},"summary":"GET /rooms/{room:[a-z]+}"}`},
		{"a route for every method is not there", []string{"paths", "/rooms/{room}/any"}, `null`},
		{"the error body", []string{"components", "schemas", "Error", "required"}, `["statusCode","message"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := jsonOf(t, at(t, d, tt.keys...)); got != tt.want {
				t.Errorf("%s:\n got %s\nwant %s", strings.Join(tt.keys, " > "), got, tt.want)
			}
		})
	}
}

// libopenapi, a Go OpenAPI library that knows 3.2, reads the document
// without error and finds every operation and the itemSchema of the
// streams.
func TestLibopenapiReadsTheDocument(t *testing.T) {
	for _, format := range []struct {
		name string
		doc  func(*openapi.Document) []byte
	}{{"JSON", (*openapi.Document).JSON}, {"YAML", (*openapi.Document).YAML}} {
		t.Run(format.name, func(t *testing.T) {
			parsed, err := libopenapi.NewDocument(format.doc(newDoc(t)))
			if err != nil {
				t.Fatal(err)
			}
			if v := parsed.GetVersion(); v != "3.2.0" {
				t.Errorf("version %q, want 3.2.0", v)
			}
			model, err := parsed.BuildV3Model()
			if err != nil {
				t.Fatalf("building the model: %v", err)
			}
			paths := model.Model.Paths.PathItems
			if n := paths.Len(); n != 4 {
				t.Errorf("%d paths, want 4", n)
			}
			events := paths.GetOrZero("/rooms/{room}/events")
			if events == nil || events.Get == nil {
				t.Fatal("no GET /rooms/{room}/events")
			}
			if id := events.Get.OperationId; id != "openapi_test.rooms.events" {
				t.Errorf("operationId %q", id)
			}
			mt := events.Get.Responses.Codes.GetOrZero("200").Content.GetOrZero("text/event-stream")
			if mt == nil || mt.ItemSchema == nil {
				t.Fatal("no itemSchema for text/event-stream")
			}
			items, err := mt.ItemSchema.BuildSchema()
			if err != nil {
				t.Fatal(err)
			}
			var titles []string
			for _, s := range items.OneOf {
				sch, err := s.BuildSchema()
				if err != nil {
					t.Fatal(err)
				}
				titles = append(titles, sch.Title)
			}
			if got := strings.Join(titles, " "); got != "message presence gap error" {
				t.Errorf("event types %q, want message presence gap error", got)
			}
			// The references resolve: libopenapi's index found no broken one.
			if errs := model.Index.GetReferenceIndexErrors(); len(errs) > 0 {
				t.Errorf("reference errors: %v", errs)
			}
		})
	}
}

func TestNewRefusesWhatItCannotDescribe(t *testing.T) {
	tests := []struct {
		name   string
		info   openapi.Info
		routes []controller.Route
		err    string
	}{
		{"no title", openapi.Info{Version: "1"}, nil, "Title"},
		{"a route twice", info, []controller.Route{{Method: "GET", Pattern: "/a"}, {Method: "get", Pattern: "/a"}}, "declared twice"},
		{"data of no JSON type", info, []controller.Route{{Method: "GET", Pattern: "/a", SSE: true,
			Declared: transport.Declared(transport.Emits[chan int](""))}}, "unsupported type"},
		{"a query that is no struct", info, []controller.Route{{Method: "GET", Pattern: "/a", SSE: true,
			Declared: transport.Declared(transport.Query[int]())}}, "not a struct"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := openapi.New(tt.info, tt.routes...)
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("err = %v, want one saying %q", err, tt.err)
			}
		})
	}
}

// The document is served as JSON and YAML, and the page that renders it.
func TestTheDocumentServesItself(t *testing.T) {
	doc := newDoc(t)
	r := chi.NewRouter()
	controller.Mount(r, doc)
	for _, tt := range []struct{ path, contentType, body string }{
		{"/openapi.json", "application/json", string(doc.JSON())},
		{"/openapi.yaml", "application/yaml", string(doc.YAML())},
		{"/docs", "text/html; charset=utf-8", "<title>API documentation</title>"},
	} {
		rec := recorder(r, tt.path)
		if rec.Code != 200 || rec.Header().Get("Content-Type") != tt.contentType || !strings.Contains(rec.Body.String(), tt.body) {
			t.Errorf("GET %s: %d %q, %.80q", tt.path, rec.Code, rec.Header().Get("Content-Type"), rec.Body)
		}
	}
}

func recorder(h http.Handler, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

// chi's trailing wildcard is the path parameter {rest}.
func TestAWildcardIsTheRestOfThePath(t *testing.T) {
	doc, err := openapi.New(info, controller.Route{Method: "GET", Pattern: "/static/*"})
	if err != nil {
		t.Fatal(err)
	}
	got := jsonOf(t, at(t, doc.JSON(), "paths", "/static/{rest}", "get", "parameters"))
	if want := `[{"description":"the rest of the path","in":"path","name":"rest","required":true,"schema":{"type":"string"}}]`; got != want {
		t.Errorf("parameters %s, want %s", got, want)
	}
}
