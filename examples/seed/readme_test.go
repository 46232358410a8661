package main

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/go-chi/chi/v5"

	"github.com/rxsse/rxsse/controller"
	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/transport/ssetest"
)

// TestTheREADMESeedIsThisProgram keeps the README honest: its first Go block
// is this package's main.go to the byte, and main.go is built, vetted and
// linted like any other package.
func TestTheREADMESeedIsThisProgram(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(readme), "```go\n")
	if !ok {
		t.Fatal("README.md has no Go block")
	}
	block, _, _ = strings.Cut(block, "```")
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	if block != string(src) {
		t.Errorf("README.md's first Go block differs from examples/seed/main.go; copy one to the other")
	}
}

func TestTheSeedSendsHelloWorldEverySecond(t *testing.T) {
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
		if st.Response.StatusCode != http.StatusOK {
			t.Fatalf("status %d", st.Response.StatusCode)
		}
		ssetest.ExpectEvents(t, st,
			encoder.Event{Type: "message", Data: `{"hello":"world"}`, LastEventID: "1"},
			encoder.Event{Type: "message", Data: `{"hello":"world"}`, LastEventID: "2"},
		)
	})
}
