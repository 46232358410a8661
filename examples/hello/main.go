// Command hello is NestJS's Server-Sent Events sample in Go: GET /sse sends
// {"hello":"world"} every second, and the page at / lists each message as it
// arrives.
//
//	make run   # or, in examples/: go run ./hello; then open http://localhost:3000
//
// It listens on :3000, or on the port in $PORT, and shuts down gracefully on
// SIGINT or SIGTERM, ending open streams first.
package main

import (
	"cmp"
	"context"
	_ "embed"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/controller"
	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/observable"
	"github.com/rxsse/rxsse/transport"
)

//go:embed index.html
var indexHTML []byte

// appController is NestJS's AppController: the page, and the stream.
type appController struct{}

func (c appController) Routes(r controller.Router) {
	r.Get("/", c.index)                                          // @Get()
	r.Sse("/sse", c.sse, transport.Emits[map[string]string]("")) // @Sse('sse'), and what it sends
}

func (appController) index(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(indexHTML)
}

func (appController) sse(*http.Request) rxgo.Observable {
	return observable.Interval(time.Second).
		Map(func(context.Context, any) (any, error) {
			return encoder.MessageEvent{Data: map[string]string{"hello": "world"}}, nil
		})
}

// newRouter builds the application.
func newRouter() http.Handler {
	r := chi.NewRouter()
	controller.Mount(r, appController{})
	return r
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	addr := ":" + cmp.Or(os.Getenv("PORT"), "3000")
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("listening on %s", addr)
	// Until SIGINT or SIGTERM; then open streams end at once.
	srv := &http.Server{Handler: newRouter(), ReadHeaderTimeout: 10 * time.Second}
	if err := transport.Serve(ctx, srv, ln); err != nil {
		log.Fatal(err)
	}
}
