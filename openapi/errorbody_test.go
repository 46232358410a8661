package openapi_test

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/rxsse/rxsse/controller"
	"github.com/rxsse/rxsse/openapi"
	"github.com/rxsse/rxsse/transport"
)

// The document's error body, components/schemas/Error, is what the
// transport really sends: every body transport.WriteError writes matches
// it, and a body of another shape does not.
func TestTheErrorSchemaIsTheTransportsErrorBody(t *testing.T) {
	doc, err := openapi.New(openapi.Info{Title: "t", Version: "1"}, controller.Route{
		Method: "GET", Pattern: "/", SSE: true,
		Declared: transport.Declared(transport.Errors(http.StatusNotFound)),
	})
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc.JSON()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource("mem:///openapi.json", v); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("mem:///openapi.json#/components/schemas/Error")
	if err != nil {
		t.Fatal(err)
	}
	valid := func(body []byte) error {
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
		if err != nil {
			return err
		}
		return sch.Validate(inst)
	}
	for _, e := range []error{
		transport.NewHTTPError(http.StatusNotFound, "no such room"),
		transport.NewHTTPError(http.StatusForbidden, ""),
		errors.New("secret"),
	} {
		rec := httptest.NewRecorder()
		transport.WriteError(rec, httptest.NewRequest(http.MethodGet, "/", nil), e)
		if err := valid(rec.Body.Bytes()); err != nil {
			t.Errorf("WriteError's body %s does not match the Error schema: %v", rec.Body, err)
		}
	}
	if err := valid([]byte(`{"status":404,"message":"no"}`)); err == nil {
		t.Error("a body of another shape matches the Error schema")
	}
}
