package main

import (
	"context"
	"log"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/controller"
	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/observable"
	"github.com/rxsse/rxsse/transport"
)

// AppController is NestJS's AppController with one @Sse() route.
type AppController struct{}

// Routes is the route table: one line per decorated method.
func (c AppController) Routes(r controller.Router) {
	r.Sse("/sse", c.Sse, transport.Emits[map[string]string]("")) // @Sse('sse'), and what it sends
}

// Sse sends {"hello":"world"} every second until the client leaves.
func (AppController) Sse(*http.Request) rxgo.Observable {
	return observable.Interval(time.Second).
		Map(func(context.Context, any) (any, error) {
			return encoder.MessageEvent{Data: map[string]string{"hello": "world"}}, nil
		})
}

func main() {
	r := chi.NewRouter()
	controller.Mount(r, AppController{})

	srv := &http.Server{Addr: ":3000", Handler: r,
		ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	transport.CancelOnShutdown(srv) // srv.Shutdown ends open streams
	log.Fatal(srv.ListenAndServe())
}
