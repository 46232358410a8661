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
	"strconv"
	"sync"
	"syscall"
	"time"
)

// ServerMain is the main function of the Go servers under test: it raises
// the open-files limit, listens on -addr (default 127.0.0.1:$PORT, PORT
// defaulting to 3000), serves srv until SIGINT or SIGTERM, then shuts it
// down with a grace of two seconds and calls closeApp.
func ServerMain(name string, srv *http.Server, closeApp func() error) {
	ServersMain(name, func() ([]*http.Server, func() error, error) {
		return []*http.Server{srv}, closeApp, nil
	})
}

// ServersMain is ServerMain for servers that build calls once the flags
// are parsed (so that it can read flags of its own): the first server
// listens on -addr, the next ones on the ports that follow it. A server
// that fails ends them all.
func ServersMain(name string, build func() (srvs []*http.Server, closeApp func() error, err error)) {
	addr := flag.String("addr", "127.0.0.1:"+cmp.Or(os.Getenv("PORT"), "3000"), "listen address (loopback); more servers listen on the ports after it")
	flag.Parse()
	fail := func(err error) {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
	if _, err := RaiseNoFileLimit(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: raising the open-files limit: %v\n", name, err)
	}
	srvs, closeApp, err := build()
	if err != nil {
		fail(err)
	}
	addrs, err := ConsecutiveAddrs(*addr, len(srvs))
	if err != nil {
		fail(errors.Join(err, closeApp()))
	}
	var lns []net.Listener
	for _, a := range addrs {
		ln, err := net.Listen("tcp", a)
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			fail(errors.Join(err, closeApp()))
		}
		lns = append(lns, ln)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, len(srvs))
	for i, srv := range srvs {
		go func() { errc <- srv.Serve(lns[i]) }()
	}
	served := 0
	select {
	case err = <-errc: // a server failed: end the others
		served = 1
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	var wg sync.WaitGroup
	errs := make([]error, len(srvs))
	for i, srv := range srvs {
		wg.Go(func() { errs[i] = srv.Shutdown(sctx) })
	}
	wg.Wait()
	cancel()
	for ; served < len(srvs); served++ {
		if e := <-errc; !errors.Is(e, http.ErrServerClosed) {
			errs = append(errs, e)
		}
	}
	if !errors.Is(err, http.ErrServerClosed) {
		errs = append(errs, err)
	}
	if err = errors.Join(append(errs, closeApp())...); err != nil {
		fail(err)
	}
}

// ConsecutiveAddrs returns n loopback addresses: first, then the ports
// that follow it on the same host.
func ConsecutiveAddrs(first string, n int) ([]string, error) {
	host, port, err := net.SplitHostPort(first)
	if err != nil {
		return nil, err
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p+n-1 > 65535 || (p == 0 && n > 1) {
		return nil, fmt.Errorf("loadtest: %d servers from port %q", n, port)
	}
	out := make([]string, n)
	for i := range out {
		out[i] = net.JoinHostPort(host, strconv.Itoa(p+i))
	}
	return out, nil
}
