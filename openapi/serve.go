package openapi

import (
	_ "embed"
	"net/http"

	"github.com/rxsse/rxsse/controller"
	"github.com/rxsse/rxsse/transport"
)

//go:embed docs.html
var docsHTML []byte

// Routes serves the document, so that controller.Mount(r, doc) publishes
// it: GET /openapi.json, GET /openapi.yaml, and GET /docs, a page of our
// own (no script from elsewhere) that fetches openapi.json next to it and
// renders every operation, its parameters and, for an SSE route, each
// event type with the JSON Schema of its data.
func (d *Document) Routes(r controller.Router) {
	r.Get("/openapi.json", d.serve("application/json", d.json), transport.Summary("This document, as JSON"))
	r.Get("/openapi.yaml", d.serve("application/yaml", d.yaml), transport.Summary("This document, as YAML"))
	r.Get("/docs", d.serve("text/html; charset=utf-8", docsHTML), transport.Summary("A page that renders this document"))
}

func (d *Document) serve(contentType string, body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		_, _ = w.Write(body)
	}
}
