package openapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/rxsse/rxsse/controller"
	"github.com/rxsse/rxsse/openapi"
	"github.com/rxsse/rxsse/transport"
)

// Types whose schemas the tests check, one rule each.
type (
	tagged struct {
		Name    string `json:"name"`
		Ignored string `json:"-"`
		Untaged int
		//lint:ignore U1000 an unexported field, which has no property
		hidden bool
	}
	optional struct {
		Must string `json:"must"`
		May  string `json:"may,omitempty"`
		Zero int    `json:"zero,omitzero"`
	}
	inner struct {
		N int `json:"n"`
	}
	nested struct {
		Inner inner `json:"inner"`
		Again inner `json:"again"`
	}
	lists struct {
		Names  []string `json:"names"`
		Inners []inner  `json:"inners"`
		Bytes  []byte   `json:"bytes"`
	}
	maps struct {
		Counts map[string]int `json:"counts"`
		ByID   map[int]inner  `json:"byId"`
		Any    map[string]any `json:"any"`
	}
	times struct {
		At    time.Time  `json:"at"`
		Maybe *time.Time `json:"maybe,omitempty"`
	}
	pointers struct {
		Null  *inner    `json:"null"`
		Omit  *inner    `json:"omit,omitempty"`
		Self  *pointers `json:"self,omitempty"`
		Count *int      `json:"count"`
	}
)

// components returns the components/schemas of a document with one route
// emitting a T.
func components[T any](t *testing.T) map[string]json.RawMessage {
	t.Helper()
	doc, err := openapi.New(openapi.Info{Title: "t", Version: "1"}, controller.Route{
		Method: "GET", Pattern: "/", SSE: true,
		Declared: transport.Declared(transport.Emits[T]("")),
	})
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(doc.JSON(), &d); err != nil {
		t.Fatal(err)
	}
	return d.Components.Schemas
}

func compact(t *testing.T, b []byte) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestSchemasFromGoTypes(t *testing.T) {
	tests := []struct {
		name string
		got  func(*testing.T) map[string]json.RawMessage
		want map[string]string
	}{
		{"json tags name the properties; - and unexported fields are none", components[tagged], map[string]string{
			"tagged": `{"properties":{"name":{"type":"string"},"Untaged":{"type":"integer"}},"additionalProperties":false,"type":"object","required":["name","Untaged"]}`,
		}},
		{"fields without omitempty or omitzero are required", components[optional], map[string]string{
			"optional": `{"properties":{"must":{"type":"string"},"may":{"type":"string"},"zero":{"type":"integer"}},"additionalProperties":false,"type":"object","required":["must"]}`,
		}},
		{"a nested struct is one component, referenced", components[nested], map[string]string{
			"nested": `{"properties":{"inner":{"$ref":"#/components/schemas/inner"},"again":{"$ref":"#/components/schemas/inner"}},"additionalProperties":false,"type":"object","required":["inner","again"]}`,
			"inner":  `{"properties":{"n":{"type":"integer"}},"additionalProperties":false,"type":"object","required":["n"]}`,
		}},
		{"slices are arrays, []byte base64", components[lists], map[string]string{
			"lists": `{"properties":{"names":{"items":{"type":"string"},"type":"array"},"inners":{"items":{"$ref":"#/components/schemas/inner"},"type":"array"},"bytes":{"type":"string","contentEncoding":"base64"}},"additionalProperties":false,"type":"object","required":["names","inners","bytes"]}`,
			"inner": `{"properties":{"n":{"type":"integer"}},"additionalProperties":false,"type":"object","required":["n"]}`,
		}},
		{"maps are objects; integer keys are digits", components[maps], map[string]string{
			"maps":  `{"properties":{"counts":{"additionalProperties":{"type":"integer"},"type":"object"},"byId":{"patternProperties":{"^[0-9]+$":{"$ref":"#/components/schemas/inner"}},"additionalProperties":false,"type":"object"},"any":{"type":"object"}},"additionalProperties":false,"type":"object","required":["counts","byId","any"]}`,
			"inner": `{"properties":{"n":{"type":"integer"}},"additionalProperties":false,"type":"object","required":["n"]}`,
		}},
		{"time.Time is a date-time string", components[times], map[string]string{
			"times": `{"properties":{"at":{"type":"string","format":"date-time"},"maybe":{"type":"string","format":"date-time"}},"additionalProperties":false,"type":"object","required":["at"]}`,
		}},
		{"a pointer written as null may be null; an omitted one is its type", components[pointers], map[string]string{
			"pointers": `{"properties":{"null":{"anyOf":[{"$ref":"#/components/schemas/inner"},{"type":"null"}]},"omit":{"$ref":"#/components/schemas/inner"},"self":{"$ref":"#/components/schemas/pointers"},"count":{"anyOf":[{"type":"integer"},{"type":"null"}]}},"additionalProperties":false,"type":"object","required":["null","count"]}`,
			"inner":    `{"properties":{"n":{"type":"integer"}},"additionalProperties":false,"type":"object","required":["n"]}`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.got(t)
			if len(got) != len(tt.want) {
				t.Errorf("components %d, want %d: %s", len(got), len(tt.want), got)
			}
			for name, want := range tt.want {
				if g := compact(t, got[name]); g != want {
					t.Errorf("%s:\n got %s\nwant %s", name, g, want)
				}
			}
		})
	}
}

// Two types with one name, from two packages, get two components.
func TestTypesOfOneNameGetTheirPackagesName(t *testing.T) {
	type Error struct {
		Code string `json:"code"`
	}
	doc, err := openapi.New(openapi.Info{Title: "t", Version: "1"}, controller.Route{
		Method: "GET", Pattern: "/", SSE: true,
		Declared: transport.Declared(transport.Emits[Error]("oops"), transport.Errors(http.StatusNotFound)),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"Error": {`, `"openapi_testError": {`, `"$ref": "#/components/schemas/openapi_testError"`} {
		if !bytes.Contains(doc.JSON(), []byte(want)) {
			t.Errorf("the document has no %s:\n%s", want, doc.JSON())
		}
	}
}
