package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// shutdownGrace is how long Serve lets ordinary requests finish once its
// context is done; SSE streams end at once.
const shutdownGrace = 10 * time.Second

// finalWriteGrace bounds the write of a stream's last bytes (the end of a
// chunked body) when the server shuts down, so a client that stopped
// reading cannot hold the shutdown.
const finalWriteGrace = 100 * time.Millisecond

// Serve's defaults for the server timeouts left at zero. A client gets
// readHeaderTimeout to send a request's headers, and a keep-alive
// connection may wait idleTimeout for its next request: without them, a
// client that trickles header bytes, or opens connections and sends
// nothing, holds a connection and its goroutine for as long as it likes.
const (
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 2 * time.Minute
)

// errShutdown is the cause of a stream's cancellation on server shutdown.
var errShutdown = errors.New("transport: server shutting down")

// shutdownKey keys the server's shutdown signal (a context) in the base
// context of its requests.
type shutdownKey struct{}

// CancelOnShutdown makes srv.Shutdown end every open SSE stream at once:
// when Shutdown begins, every stream served by a Handler of this package on
// srv disposes its subscription and returns, and a write blocked on a
// client that stopped reading is abandoned. Ordinary requests (a POST in
// flight) are not cancelled: they drain as Shutdown intends. Without it
// Shutdown waits for streams that never end on their own. Call it once,
// before the server starts serving; it keeps any BaseContext already set.
// Serve calls it.
//
//	srv := &http.Server{Addr: ":3000", Handler: r,
//		ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
//	transport.CancelOnShutdown(srv)
func CancelOnShutdown(srv *http.Server) { cancelOnShutdown(srv) }

// cancelOnShutdown is CancelOnShutdown; it returns the shutdown signal,
// which also counts the streams parked under it (see park.go).
func cancelOnShutdown(srv *http.Server) context.Context {
	ctx, cancel := context.WithCancel(withParked(context.Background()))
	base := srv.BaseContext
	srv.BaseContext = func(l net.Listener) context.Context {
		parent := context.Background()
		if base != nil {
			parent = base(l)
		}
		if parent.Value(shutdownKey{}) != nil {
			return parent // CancelOnShutdown was already called on srv
		}
		return context.WithValue(parent, shutdownKey{}, ctx)
	}
	srv.RegisterOnShutdown(cancel)
	return ctx
}

// shutdownSignal returns the context that is cancelled when the server
// serving r shuts down, or nil if the server was not set up for it.
func shutdownSignal(r *http.Request) context.Context {
	ctx, _ := r.Context().Value(shutdownKey{}).(context.Context)
	return ctx
}

// Serve serves srv on ln until ctx is done, then shuts down gracefully: SSE
// streams end at once (Serve calls CancelOnShutdown), ordinary requests get
// up to 10 seconds to finish, after which their connections are closed. It
// returns nil after a clean shutdown, the error that stopped serving
// otherwise, or the error of a shutdown that had to close connections.
//
// Serve sets srv.ReadHeaderTimeout to 10 seconds and srv.IdleTimeout to 2
// minutes where they are zero, unless srv.ReadTimeout is set (net/http then
// uses it for both), so that a client that sends its request headers a
// byte at a time, or leaves a keep-alive connection idle, cannot hold the
// connection for ever; a negative value keeps net/http's "no timeout".
// Neither cuts a stream: a stream starts once its request's headers have
// arrived, and a connection is idle only between requests. Serve leaves
// ReadTimeout and WriteTimeout alone; neither cuts a stream the transport
// serves, which sets the connection's write deadline itself (see
// WithWriteTimeout).
//
//	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
//	defer stop()
//	ln, err := net.Listen("tcp", ":3000")
//	...
//	err = transport.Serve(ctx, &http.Server{Handler: r}, ln)
func Serve(ctx context.Context, srv *http.Server, ln net.Listener) error {
	if srv.ReadTimeout == 0 { // otherwise net/http uses ReadTimeout for both
		if srv.ReadHeaderTimeout == 0 {
			srv.ReadHeaderTimeout = readHeaderTimeout
		}
		if srv.IdleTimeout == 0 {
			srv.IdleTimeout = idleTimeout
		}
	}
	sd := cancelOnShutdown(srv)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
	}
	grace, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	err := srv.Shutdown(grace)
	waitParked(grace, sd) // Shutdown does not see them: they end at once, but on the pool's goroutines
	if err != nil {
		_ = srv.Close()
		err = fmt.Errorf("transport: shutdown: %w", err)
	}
	if serr := <-served; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}
