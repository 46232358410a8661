// Command nethttp-server is the bare net/http server of the load benchmark
// (package nethttpapp) on 127.0.0.1:$PORT or -addr.
package main

import (
	"net/http"

	"github.com/rxsse/rxsse/loadtest"
	"github.com/rxsse/rxsse/loadtest/nethttpapp"
)

func main() {
	app := nethttpapp.New()
	srv := &http.Server{Handler: app}
	srv.RegisterOnShutdown(func() { app.Close() })
	loadtest.ServerMain("nethttp-server", srv, func() error { return nil })
}
