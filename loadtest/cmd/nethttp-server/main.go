// Command nethttp-server is the bare net/http server of the load benchmark
// (package nethttpapp) on 127.0.0.1:$PORT or -addr. $TICK, a duration,
// sets the /fanout tick's period (100 ms by default).
package main

import (
	"net/http"
	"os"
	"time"

	"github.com/rxsse/rxsse/loadtest"
	"github.com/rxsse/rxsse/loadtest/nethttpapp"
)

func main() {
	if d, err := time.ParseDuration(os.Getenv("TICK")); err == nil && d > 0 {
		nethttpapp.Tick = d
	}
	app := nethttpapp.New()
	srv := &http.Server{Handler: app}
	srv.RegisterOnShutdown(func() { app.Close() })
	loadtest.ServerMain("nethttp-server", srv, func() error { return nil })
}
