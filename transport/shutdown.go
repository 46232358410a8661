package transport

import (
	"context"
	"net"
	"net/http"
)

// CancelOnShutdown makes srv.Shutdown end every open stream promptly: the
// context of every request srv serves is cancelled when Shutdown begins, so
// each stream disposes its subscription and returns. Without it Shutdown
// waits for streams that never end on their own. Call it once, before the
// server starts serving; it keeps any BaseContext already set.
//
//	srv := &http.Server{Addr: ":3000", Handler: r}
//	transport.CancelOnShutdown(srv)
func CancelOnShutdown(srv *http.Server) {
	ctx, cancel := context.WithCancel(context.Background())
	base := srv.BaseContext
	srv.BaseContext = func(l net.Listener) context.Context {
		parent := context.Background()
		if base != nil {
			parent = base(l)
		}
		return mergeCancel(parent, ctx)
	}
	srv.RegisterOnShutdown(cancel)
}

// mergeCancel returns parent, also cancelled when other is.
func mergeCancel(parent, other context.Context) context.Context {
	if parent == context.Background() {
		return other
	}
	merged, cancel := context.WithCancel(parent)
	stop := context.AfterFunc(other, cancel)
	// The base context lives as long as the listener; release the
	// AfterFunc if the parent ends first.
	context.AfterFunc(merged, func() { stop() })
	return merged
}
