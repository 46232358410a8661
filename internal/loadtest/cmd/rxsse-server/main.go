// Command rxsse-server is the rxsse server of the load benchmark
// (package rxsseapp) on 127.0.0.1:$PORT or -addr.
package main

import (
	"net/http"

	"github.com/rxsse/rxsse/internal/loadtest"
	"github.com/rxsse/rxsse/internal/loadtest/rxsseapp"
	"github.com/rxsse/rxsse/transport"
)

func main() {
	app := rxsseapp.New()
	srv := &http.Server{Handler: app.Handler()}
	transport.CancelOnShutdown(srv)
	loadtest.ServerMain("rxsse-server", srv, app.Close)
}
