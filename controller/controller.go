package controller

import (
	"fmt"

	"github.com/go-chi/chi/v5"
)

// Controller is a type that declares routes, NestJS's @Controller class. Its
// Routes method is the route table: each call on r is one decorated method.
type Controller interface {
	// Routes declares the controller's routes on r. Mount calls it once;
	// r must not be kept and used after Routes returns.
	Routes(r Router)
}

// Prefixed is implemented by a controller whose routes all live under one
// path prefix, NestJS's @Controller('events'). Mount puts every route the
// controller declares under Prefix(); a leading slash is optional and a
// trailing one is ignored, so "events", "/events" and "/events/" are the
// same prefix. The prefix may hold chi URL parameters ("/rooms/{room}").
type Prefixed interface {
	// Prefix returns the path prefix of the controller's routes.
	Prefix() string
}

// Mount registers the routes of each controller on r, in order. Each
// controller gets its own chi route group, so middleware it declares with
// Router.Use wraps only its own routes, while the middleware already on r
// (auth, CORS, logging) wraps SSE routes like any other. r may be a chi
// sub-router or a group.
//
// Like chi and net/http, Mount panics on a mistake in the route table: a nil
// controller, a nil handler, an invalid pattern or an unsupported method. It
// also panics, naming both sides, when two routes would answer the same
// method on the same path — two controllers, one controller twice, or a
// controller and a route already on r — where chi would silently keep the
// last. It runs at start-up, where the panic points at the line to fix.
func Mount(r chi.Router, controllers ...Controller) {
	scopes := make([]*scope, len(controllers))
	var routes []declared
	for i, c := range controllers {
		s := declare("Mount", i, c)
		scopes[i] = s
		routes = s.routes(routes, "")
	}
	checkConflicts(r, routes)
	for _, s := range scopes {
		s.register(r, "", nil)
	}
}

// declare returns the route table controller i of a Mount or Describe call
// declares: its Routes, run on a scope with its prefix, then sealed.
func declare(call string, i int, c Controller) *scope {
	if c == nil {
		panic(fmt.Sprintf("controller: %s: controller %d is nil", call, i))
	}
	s := newScope(fmt.Sprintf("%T", c), "")
	if p, ok := c.(Prefixed); ok {
		s.prefix = p.Prefix()
	}
	c.Routes(s)
	s.seal()
	return s
}
