package main

import (
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/rxsse/rxsse/controller"
	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/transport/ssetest"
)

// Ten seconds of the stream, in virtual time: the test takes milliseconds.
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
		for i := 1; i <= 10; i++ {
			ssetest.ExpectEvents(t, st, encoder.Event{
				Type: "message", Data: `{"hello":"world"}`, LastEventID: strconv.Itoa(i),
			})
			if at := time.Since(start); at != time.Duration(i)*time.Second {
				t.Errorf("event %d at %v, want %ds", i, at, i)
			}
		}
	})
}
