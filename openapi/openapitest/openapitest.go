// Package openapitest checks the events a route sends against the route's
// OpenAPI document, with a JSON Schema validator that shares no code with
// the one that generated the document (santhosh-tekuri/jsonschema).
//
// A test reads a stream with ssetest.ExpectDeclared and this package's
// Check: every event must be of a declared type, and the event, as the
// object OpenAPI 3.2 models an SSE event as ({"event", "data", "id"}),
// must match the operation's itemSchema, its data the contentSchema when
// the data is JSON. So the document cannot drift from what the route
// sends.
//
//	doc, err := openapi.New(info, controller.Describe(c)...)
//	...
//	check := openapitest.Check(t, doc.JSON(), "GET", "/rooms/{room}/events")
//	ssetest.ExpectDeclared(t, st, route.Declared, 3, check)
package openapitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/transport"
)

// docURL is where the document is loaded in the validator's memory.
const docURL = "mem:///openapi.json"

// Check returns a check for ssetest.ExpectDeclared that validates each
// event against the itemSchema of the text/event-stream response of the
// operation method path (an OpenAPI path, "/rooms/{room}/events") of doc,
// an OpenAPI document as JSON. It fails t if the document has no such
// schema or the schema does not compile.
//
// contentSchema is an annotation for a JSON Schema validator unless told
// otherwise: the validator here is told to assert it (content assertions
// on), so data declared as application/json must parse as JSON and match
// the contentSchema.
func Check(t testing.TB, doc []byte, method, path string) func(encoder.Event, transport.EventType) error {
	t.Helper()
	sch, err := compile(doc, method, path)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return func(ev encoder.Event, _ transport.EventType) error {
		return validate(sch, ev)
	}
}

// compile compiles the itemSchema of the text/event-stream response of the
// operation method path of doc (JSON), with content assertions on.
func compile(doc []byte, method, path string) (*jsonschema.Schema, error) {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return nil, fmt.Errorf("openapitest: the document: %w", err)
	}
	var parsed struct {
		Paths map[string]map[string]struct {
			Responses map[string]struct {
				Content map[string]json.RawMessage `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(doc, &parsed); err != nil {
		return nil, fmt.Errorf("openapitest: the document: %w", err)
	}
	method = strings.ToLower(method)
	op, ok := parsed.Paths[path][method]
	if !ok {
		return nil, fmt.Errorf("openapitest: the document has no operation %s %s", strings.ToUpper(method), path)
	}
	codes := make([]string, 0, len(op.Responses))
	for code := range op.Responses {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	status := ""
	for _, code := range codes {
		if _, ok := op.Responses[code].Content["text/event-stream"]; ok && strings.HasPrefix(code, "2") {
			status = code
			break
		}
	}
	if status == "" {
		return nil, fmt.Errorf("openapitest: %s %s has no text/event-stream response", strings.ToUpper(method), path)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertContent()
	if err := c.AddResource(docURL, v); err != nil {
		return nil, fmt.Errorf("openapitest: %w", err)
	}
	ptr := "/paths/" + escape(path) + "/" + method + "/responses/" + status + "/content/text~1event-stream/itemSchema"
	sch, err := c.Compile(docURL + "#" + ptr)
	if err != nil {
		return nil, fmt.Errorf("openapitest: the itemSchema of %s %s: %w", strings.ToUpper(method), path, err)
	}
	return sch, nil
}

// escape escapes a JSON pointer token, and the characters a URL fragment
// may not hold as they are.
func escape(token string) string {
	token = strings.NewReplacer("~", "~0", "/", "~1").Replace(token)
	return strings.NewReplacer("%", "%25", "{", "%7B", "}", "%7D").Replace(token)
}

// validate validates ev, as the object OpenAPI 3.2 models an SSE event as,
// against sch: "data", always; "event", unless the type is the default
// message, which a server sends with no event field; "id", if the event
// has one.
func validate(sch *jsonschema.Schema, ev encoder.Event) error {
	obj := map[string]any{"data": ev.Data}
	if ev.Type != "message" {
		obj["event"] = ev.Type
	}
	if ev.LastEventID != "" {
		obj["id"] = ev.LastEventID
	}
	if err := sch.Validate(obj); err != nil {
		return fmt.Errorf("the event does not match the route's itemSchema: %w", err)
	}
	return nil
}
