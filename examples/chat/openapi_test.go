package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pb33f/libopenapi"

	"github.com/rxsse/rxsse/controller"
	"github.com/rxsse/rxsse/examples/chat/rooms"
	"github.com/rxsse/rxsse/internal/e2e"
	"github.com/rxsse/rxsse/observable/hub"
	"github.com/rxsse/rxsse/openapi/openapitest"
	"github.com/rxsse/rxsse/transport"
	"github.com/rxsse/rxsse/transport/ssetest"
)

// The chat's OpenAPI document, checked by tools we did not write: a Go
// OpenAPI library, Redocly's linter, a JSON Schema validator and Chromium.

const eventsPath = "/rooms/{room}/events"

// eventsRoute returns the declaration of the rooms' stream.
func eventsRoute(t *testing.T) transport.Declaration {
	t.Helper()
	for _, rt := range controller.Describe(rooms.Controller{}) {
		if rt.SSE && rt.Pattern == eventsPath {
			return rt.Declared
		}
	}
	t.Fatalf("no SSE route %s", eventsPath)
	return transport.Declaration{}
}

// GET /openapi.json, what curl gets, is an OpenAPI 3.2 document that
// libopenapi reads, with the rooms' stream and its itemSchema.
func TestGetOpenAPIJSONIsADocumentLibopenapiReads(t *testing.T) {
	a := newTestApp(t, config{})
	srv := httptest.NewServer(a.handler)
	defer srv.Close()
	for _, path := range []string{"/openapi.json", "/openapi.yaml"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %v", path, resp.StatusCode, err)
		}
		doc, err := libopenapi.NewDocument(body)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if v := doc.GetVersion(); v != "3.2.0" {
			t.Errorf("%s: version %q", path, v)
		}
		model, err := doc.BuildV3Model()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		op := model.Model.Paths.PathItems.GetOrZero(eventsPath)
		if op == nil || op.Get == nil {
			t.Fatalf("%s: no GET %s", path, eventsPath)
		}
		mt := op.Get.Responses.Codes.GetOrZero("200").Content.GetOrZero("text/event-stream")
		if mt == nil || mt.ItemSchema == nil {
			t.Fatalf("%s: no itemSchema", path)
		}
		items, err := mt.ItemSchema.BuildSchema()
		if err != nil || len(items.OneOf) != 3 {
			t.Errorf("%s: itemSchema %v, %v; want a oneOf of message, gap and error", path, items, err)
		}
	}
}

// Every event the rooms' stream sends, messages on a join with history
// and the gap event of a resume the hub cannot serve, is of a declared
// type and matches the generated schema, checked by a validator that
// shares no code with the generator.
func TestEveryEventTheRoomsSendMatchesTheirSchema(t *testing.T) {
	ssetest.NoLeaks(t)
	a := newTestApp(t, config{hub: []hub.Option{hub.WithReplayCount(2)}})
	srv := ssetest.NewServer(a.handler)
	t.Cleanup(srv.Close)
	decl := eventsRoute(t)
	check := openapitest.Check(t, a.doc.JSON(), http.MethodGet, eventsPath)

	post(t, a.handler, "lobby", `{"name":"ann","text":"one"}`)
	_, two := post(t, a.handler, "lobby", `{"name":"bob","text":"two"}`)
	post(t, a.handler, "lobby", `{"name":"ann","text":"three, with \"quotes\"\nand a line"}`)

	for _, tc := range []struct {
		name, query string
		header      http.Header
		types       []string
	}{
		{"a join with history", "?history=1", nil, []string{"message", "message"}},
		{"a resume", "", http.Header{"Last-Event-ID": {two}}, []string{"message"}},
		{"a resume the hub cannot serve", "", http.Header{"Last-Event-ID": {"another-epoch-1"}}, []string{"gap", "message", "message"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := srv.Get(t.Context(), "/rooms/lobby/events"+tc.query, tc.header)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			events := ssetest.ExpectDeclared(t, st, decl, len(tc.types), check)
			var types []string
			for _, ev := range events {
				types = append(types, ev.Type)
			}
			if !slices.Equal(types, tc.types) {
				t.Errorf("event types %q, want %q", types, tc.types)
			}
		})
	}
}

// repoRoot is the repository's root, where redocly.yaml is.
func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("no caller")
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Redocly's linter, which knows OpenAPI 3.2, finds no error in the
// document, as JSON or YAML, under its minimal rules and under its
// recommended ones (less those redocly.yaml turns off, each with its
// reason).
func TestRedoclyFindsNoErrorInTheDocument(t *testing.T) {
	a := newTestApp(t, config{})
	dir := t.TempDir()
	files := map[string][]byte{"openapi.json": a.doc.JSON(), "openapi.yaml": a.doc.YAML()}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, rules := range []struct{ name, arg string }{
		{"minimal", "--extends=minimal"},
		{"recommended", "--config=" + filepath.Join(repoRoot(t), "redocly.yaml")},
	} {
		for name := range files {
			t.Run(rules.name+" "+name, func(t *testing.T) {
				res := e2e.Redocly(t, filepath.Join(dir, name), rules.arg)
				for _, p := range res.Problems {
					t.Logf("%s %s: %s", p.Severity, p.RuleID, p.Message)
				}
				if res.Totals.Errors > 0 {
					t.Errorf("redocly: %d errors", res.Totals.Errors)
				}
				t.Logf("redocly %s: %d errors, %d warnings", rules.name, res.Totals.Errors, res.Totals.Warnings)
			})
		}
	}
}

// GET /docs renders, in Chromium, the rooms' stream with each event type
// and the schema of its data, resolved from components.
func TestTheDocsPageRendersTheStreamsEventSchemas(t *testing.T) {
	a := newTestApp(t, config{})
	srv := httptest.NewServer(a.handler)
	t.Cleanup(srv.Close)
	stream := `section[data-sse][data-method="GET"][data-path="` + eventsPath + `"]`
	sel := []string{
		stream + ` .event[data-event="message"] pre.schema`,
		stream + ` .event[data-event="gap"] pre.schema`,
		`section[data-method="POST"][data-path="/rooms/{room}/messages"] pre.schema`,
	}
	res := e2e.BrowserPage(t, srv.URL+"/docs", strings.Join(sel, ", "), 3, 15*time.Second)
	if res.TimedOut {
		t.Fatalf("the page did not render the stream's event schemas in 15 s; found %q", res.Texts)
	}
	if len(res.Texts) < 3 {
		t.Fatalf("found %q", res.Texts)
	}
	for i, want := range [][]string{
		{`"title": "Message"`, `"name"`, `"text"`, `"required"`},
		{`"title": "Gap"`, `"lastEventId"`},
		{`"title": "Message"`},
	} {
		for _, w := range want {
			if !strings.Contains(res.Texts[i], w) {
				t.Errorf("%s shows %q, want it to show %s", sel[i], res.Texts[i], w)
			}
		}
	}
	if len(res.ConsoleErrors)+len(res.PageErrors) > 0 {
		t.Errorf("the page reported errors: console %q, uncaught %q", res.ConsoleErrors, res.PageErrors)
	}
}
