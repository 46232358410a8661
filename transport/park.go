package transport

import (
	"context"
	"net"
	"net/http"
	"reflect"
	"sync"
	"sync/atomic"

	"github.com/rxsse/rxsse/observable"
)

// WithParking lets a stream that is caught up leave its goroutine (see
// "Parked streams" in docs/transport.md): on Linux, once an HTTP/1.x
// stream of a pulled source (a hub.Broker's subscription, observable.Pulled)
// has written everything that was ready, its connection is taken over from
// net/http and parked on a process-wide epoll pool, which writes the
// events that arrive next, the heartbeats and the end of the response
// with non-blocking writes and ends the stream when the client hangs up.
// An idle parked stream costs no goroutine and no buffer, about a tenth of
// the memory of one served on its goroutine.
//
// Every guarantee of the transport holds for a parked stream: heartbeats,
// the write timeout (a write that cannot complete within it cuts the
// client), auto ids, the size cap, error frames, resume, the observer's
// callbacks, shutdown through CancelOnShutdown or Serve. A stream stays on
// its goroutine where the connection cannot be taken over safely: HTTP/2,
// TLS, a request with a body, a ResponseWriter that is not net/http's own
// (a middleware that wraps it, which may transform or count the body), a
// source that is not pulled, other systems than Linux.
//
// It is an option, off by default, because a parked connection leaves
// net/http: http.Server.Shutdown and Close no longer see it (CancelOnShutdown
// and Serve end parked streams themselves), its ConnState becomes
// StateHijacked, and a middleware around the route sees the response end
// when the stream parks, not when it ends. Turn it on for broadcast routes.
// An Observer with a method StreamParked(*http.Request) is told when a
// stream parks.
func WithParking(on bool) Option {
	return func(c *config) { c.park, c.parkRefused = on, new(atomic.Bool) }
}

// parking is the state of a stream that may park: the context its
// subscription was started with, which outlives ServeHTTP, and, once
// parked, its connection.
type parking struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	unlink func() bool // stops the request's context from cancelling ctx
	conn   *parkedConn // set once parked
}

// parkTestHook, if set, is called (on the pool's side) when a stream has
// parked.
var parkTestHook func(r *http.Request)

// parkContext returns the context to pull the subscription with: ctx,
// unless the stream may park, then one that keeps ctx's values, is
// cancelled with ctx until the stream parks, and outlives ServeHTTP after.
func (s *stream) parkContext(ctx context.Context) context.Context {
	if !s.mayPark() {
		return ctx
	}
	pctx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	unlink := context.AfterFunc(ctx, func() { cancel(context.Cause(ctx)) })
	s.park = &parking{ctx: pctx, cancel: cancel, unlink: unlink}
	return pctx
}

// isParked reports whether the stream's connection went to the pool: its
// goroutine then leaves everything to the pool.
func (s *stream) isParked() bool { return s.park != nil && s.park.conn != nil }

// closeUnlessParked closes the iterator of a stream that ends on its
// goroutine.
func (s *stream) closeUnlessParked(it observable.Iterator) {
	if !s.isParked() {
		it.Close()
	}
}

// mayPark reports whether the stream is a candidate for parking: what can
// be known before it starts.
func (s *stream) mayPark() bool {
	r := s.r
	return parkSupported && s.cfg.park && !s.cfg.parkRefused.Load() &&
		overTCP(r) && r.ProtoMajor == 1 && r.TLS == nil && r.Method == http.MethodGet &&
		(r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0) && s.body == nil &&
		ownWriter(s.w)
}

// overTCP reports whether the request came in on a TCP listener: a socket
// the pool can watch. A pipe (ssetest's in-memory listener) or a Unix
// socket stays on its goroutine.
func overTCP(r *http.Request) bool {
	_, ok := r.Context().Value(http.LocalAddrContextKey).(*net.TCPAddr)
	return ok
}

// netHTTPResponse is the type of net/http's own HTTP/1.x ResponseWriter.
const netHTTPResponse = "*http.response"

// ownWriter reports whether w is net/http's own HTTP/1.x ResponseWriter. A
// wrapper is never looked through, even one with Hijack or Unwrap: taking
// the connection from under it would skip what it does to the body (gzip)
// or with it (counting bytes for an access log).
func ownWriter(w http.ResponseWriter) bool {
	t := reflect.TypeOf(w)
	return t.String() == netHTTPResponse && t.Elem().PkgPath() == "net/http"
}

// parkedKey keys, in a server's shutdown signal, the set of the streams
// parked under it, which Serve waits for.
type parkedKey struct{}

// parkedSet counts parked streams.
type parkedSet struct {
	mu   sync.Mutex
	n    int
	zero chan struct{} // closed when n comes down to 0, if someone waits
}

func withParked(ctx context.Context) context.Context {
	return context.WithValue(ctx, parkedKey{}, &parkedSet{})
}

// parkedUnder returns the set of the streams parked under the shutdown
// signal sd, or nil.
func parkedUnder(sd context.Context) *parkedSet {
	set, _ := sd.Value(parkedKey{}).(*parkedSet)
	return set
}

// waitParked waits until the streams parked under the shutdown signal sd
// have ended, or ctx is done.
func waitParked(ctx, sd context.Context) {
	set := parkedUnder(sd)
	if set == nil {
		return
	}
	set.mu.Lock()
	if set.n == 0 {
		set.mu.Unlock()
		return
	}
	if set.zero == nil {
		set.zero = make(chan struct{})
	}
	zero := set.zero
	set.mu.Unlock()
	select {
	case <-zero:
	case <-ctx.Done():
	}
}
