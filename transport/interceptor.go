package transport

import (
	"net/http"

	"github.com/reactivex/rxgo/v2"
)

// Interceptor wraps a route's stream, as a NestJS interceptor does: it gets
// the request and the stream the route's source returned and returns the
// stream to serve — mapped, filtered, with a timeout, an error turned into
// an item, logging around it. It runs once per request, before anything is
// sent, so it may also reject the request by returning rxgo.Thrown(err)
// with an error that is still the HTTP status.
//
// Interceptors are given with WithInterceptors; controller scopes stack
// them through their defaults, outermost first.
//
//	tagged := func(r *http.Request, s rxgo.Observable) rxgo.Observable {
//		return s.Map(func(_ context.Context, v any) (any, error) {
//			return encoder.MessageEvent{Type: "tick", Data: v}, nil
//		})
//	}
type Interceptor func(r *http.Request, stream rxgo.Observable) rxgo.Observable
