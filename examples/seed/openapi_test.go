package main

import (
	"net/http"
	"testing"
	"testing/synctest"

	"github.com/go-chi/chi/v5"

	"github.com/rxsse/rxsse/controller"
	"github.com/rxsse/rxsse/openapi"
	"github.com/rxsse/rxsse/openapi/openapitest"
	"github.com/rxsse/rxsse/transport/ssetest"
)

// The seed's events are the ones its route declares, and match the
// route's schema in its OpenAPI document.
func TestTheSeedSendsWhatItDeclares(t *testing.T) {
	routes := controller.Describe(AppController{})
	doc, err := openapi.New(openapi.Info{Title: "seed", Version: "1.0.0"}, routes...)
	if err != nil {
		t.Fatal(err)
	}
	check := openapitest.Check(t, doc.JSON(), http.MethodGet, "/sse")
	synctest.Test(t, func(t *testing.T) {
		r := chi.NewRouter()
		controller.Mount(r, AppController{})
		srv := ssetest.NewServer(r)
		defer srv.Close()
		st, err := srv.Get(t.Context(), "/sse", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		ssetest.ExpectDeclared(t, st, routes[0].Declared, 3, check)
	})
}
