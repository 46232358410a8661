package loadtest

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// ServerMain is the main function of the Go servers under test: it raises
// the open-files limit, listens on -addr (default 127.0.0.1:$PORT, PORT
// defaulting to 3000), serves srv until SIGINT or SIGTERM, then shuts it
// down with a grace of two seconds and calls closeApp.
func ServerMain(name string, srv *http.Server, closeApp func() error) {
	addr := flag.String("addr", "127.0.0.1:"+cmp.Or(os.Getenv("PORT"), "3000"), "listen address (loopback)")
	flag.Parse()
	if _, err := RaiseNoFileLimit(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: raising the open-files limit: %v\n", name, err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err = <-errc:
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err = srv.Shutdown(sctx)
		cancel()
	}
	if cerr := closeApp(); err == nil {
		err = cerr
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}
