package openapi_test

import (
	"bytes"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/rxsse/rxsse/controller"
	"github.com/rxsse/rxsse/openapi"
	"github.com/rxsse/rxsse/transport"
)

// The control for openapitest: a JSON Schema validator treats
// contentSchema as an annotation unless told to assert it, so data of the
// wrong shape passes a plain validation of the itemSchema and fails only
// with content assertions on, as openapitest compiles it.
func TestContentSchemaIsAnAnnotationUnlessAsserted(t *testing.T) {
	doc, err := openapi.New(info, controller.Route{Method: "GET", Pattern: "/", SSE: true,
		Declared: transport.Declared(transport.Emits[Message](""))})
	if err != nil {
		t.Fatal(err)
	}
	wrong := map[string]any{"data": `{"name":"ann"}`} // no text
	right := map[string]any{"data": `{"name":"ann","text":"hi"}`}
	for _, tt := range []struct {
		name        string
		assert      bool
		wrongPasses bool
	}{
		{"by default", false, true},
		{"with content assertions", true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc.JSON()))
			if err != nil {
				t.Fatal(err)
			}
			c := jsonschema.NewCompiler()
			c.DefaultDraft(jsonschema.Draft2020)
			if tt.assert {
				c.AssertContent()
			}
			if err := c.AddResource("mem:///openapi.json", v); err != nil {
				t.Fatal(err)
			}
			sch, err := c.Compile("mem:///openapi.json#/paths/~1/get/responses/200/content/text~1event-stream/itemSchema")
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(right); err != nil {
				t.Errorf("right data fails: %v", err)
			}
			if err := sch.Validate(wrong); (err == nil) != tt.wrongPasses {
				t.Errorf("wrong data: %v, want passing %v", err, tt.wrongPasses)
			}
		})
	}
}
