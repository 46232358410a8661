package main

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

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

// TestTheREADMEShowsTheSeedsTest keeps the README's testing section honest:
// it shows TestTenSecondsOfTheSeed to the byte, which runs here.
func TestTheREADMEShowsTheSeedsTest(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, test, ok := strings.Cut(string(src), "\nfunc TestTenSecondsOfTheSeed(")
	test, _, _ = strings.Cut(test, "\n}\n")
	if !ok || !strings.Contains(string(readme), "func TestTenSecondsOfTheSeed("+test+"\n}\n") {
		t.Errorf("README.md does not show TestTenSecondsOfTheSeed as readme_test.go has it; copy one to the other")
	}
}

// TestTenSecondsOfTheSeed is the README's example of a test in virtual time.
func TestTenSecondsOfTheSeed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := chi.NewRouter()
		controller.Mount(r, AppController{})
		srv := ssetest.NewServer(r) // in memory: fine in a bubble
		defer srv.Close()
		start := time.Now()
		st, err := srv.Get(t.Context(), "/sse", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		for i := 1; i <= 10; i++ { // ten virtual seconds, instant
			ssetest.ExpectEvents(t, st, encoder.Event{
				Type: "message", Data: `{"hello":"world"}`, LastEventID: strconv.Itoa(i),
			})
			if at := time.Since(start); at != time.Duration(i)*time.Second {
				t.Errorf("event %d at %v, want %ds", i, at, i)
			}
		}
	})
}
