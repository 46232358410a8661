// Package openapi builds the OpenAPI 3.2 document of an rxsse application
// from its route table: every route controller.Describe lists, with what
// its options declare (transport.Emits, Query, Body, Returns, Errors,
// Summary). An SSE route's response is described as OpenAPI 3.2 describes
// a text/event-stream, with an itemSchema: a oneOf with one schema per
// event type, its event name fixed and its data's JSON Schema as the
// contentSchema of a string whose contentMediaType is application/json.
//
//	controllers := []controller.Controller{rooms.Controller{...}}
//	doc, err := openapi.New(openapi.Info{Title: "chat", Version: "1.0.0"},
//		controller.Describe(controllers...)...)
//	if err != nil {
//		log.Fatal(err)
//	}
//	controller.Mount(r, controllers...)
//	controller.Mount(r, doc) // GET /openapi.json, /openapi.yaml, /docs
//
// Go types become JSON Schemas through github.com/invopop/jsonschema (see
// New for the rules). The document is built once, at start-up: serving it
// costs a write of bytes.
//
// Package openapitest checks, in tests, every event a route sends against
// the document, with a JSON Schema validator independent of this package,
// so the document cannot drift from the code.
//
// This is a module of its own (github.com/rxsse/rxsse/openapi), so that
// the core, which holds the declarations, needs no JSON Schema library.
package openapi
