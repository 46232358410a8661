// Package controller is the NestJS-style surface of rxsse: a controller
// declares its routes, SSE streams and plain handlers side by side, and Mount
// puts them on a chi router.
//
// A controller is any type with a Routes method. Router.Sse is NestJS's
// @Sse(pattern): the method it names returns an rxgo.Observable, and the
// transport does the rest — headers, ids, heartbeats, errors, and disposing
// the subscription when the client leaves. Router.SseE is the same for a
// method that can fail before it streams (a lookup), NestJS's async
// handler: its error is the response's status:
//
//	type EventsController struct{ rooms *Rooms }
//
//	func (EventsController) Prefix() string { return "/rooms" } // @Controller('rooms')
//
//	func (c EventsController) Routes(r controller.Router) {
//		r.Use(requireUser)                 // this controller's routes only
//		r.Get("/", c.list)                 // @Get()
//		r.SseE("/{room}/events", c.events) // async @Sse(':room/events')
//	}
//
//	func (c EventsController) events(r *http.Request) (rxgo.Observable, error) {
//		room, ok := c.rooms.Get(chi.URLParam(r, "room"))
//		if !ok {
//			return nil, transport.NewHTTPError(http.StatusNotFound, "no such room")
//		}
//		return room.Messages(), nil // a cold Observable
//	}
//
//	r := chi.NewRouter()
//	r.Use(middleware.Logger, cors)
//	controller.Mount(r, EventsController{rooms}, HealthController{})
//
// The source function runs per request and must return a fresh, cold
// Observable: see package observable for sources (Interval, Timer) and
// combinators (Merge, Concat, StartWith) that stop when the client leaves,
// which rxgo's own mostly do not.
//
// # Routes, prefixes and scopes
//
// Patterns are chi patterns, so chi.URLParam works inside an SSE source as
// in any handler. The leading slash is optional, as in NestJS, and "" (or
// "/") is the prefix itself. A controller gets a prefix, like
// @Controller('rooms'), by implementing Prefixed; Router.Route nests a
// further prefix and Router.Group a scope without one. Each scope has its own
// middleware (Router.Use) and default transport options for its SSE routes
// (Router.SseDefaults); both apply to the whole scope whatever the order of
// the calls, and a route's own options win over the defaults.
//
// Mount gives every controller its own chi group. Middleware on the chi
// router (or on the sub-router or group Mount is given) wraps SSE routes
// like any other route, so authentication, CORS and logging need nothing
// SSE-specific. Middleware that wraps the http.ResponseWriter must let the
// transport flush: implement http.Flusher or an Unwrap method, as chi's
// middleware.WrapResponseWriter does. Avoid chi's middleware.Timeout around
// streams, since it cancels them when its time is up.
//
// # Methods, sources and status
//
// A route's method starts its pattern, as in net/http's ServeMux and chi's
// Handle: "POST /ask" is a POST route. Without one, Router.Sse and
// Router.SseE declare a GET route, the only method a browser's EventSource
// uses, and Router.Handle a route for every method; Get, Post, Put, Patch
// and Delete name theirs and take a bare path. A stream on another method
// is for clients that post a body to open it; as in NestJS, a POST stream
// answers 201 Created unless transport.WithStatus says otherwise.
//
// The source's form picks the Router method: Sse takes the seed's
// func(*http.Request) rxgo.Observable, SseE a func(*http.Request)
// (rxgo.Observable, error) whose error is always the response's status,
// NestJS's async handler returning Promise<Observable>:
//
//	r.SseE("POST /{room}/ask", c.ask) // 404 if c.ask's lookup fails, 201 and a stream if not
//
// (transport.Handler takes either form; Go methods cannot be generic, hence
// two methods here.)
//
// # Errors
//
// To end a request with an HTTP error, declare the route with SseE and
// return a *transport.HTTPError from its source:
//
//	return nil, transport.NewHTTPError(http.StatusNotFound, "no such room")
//
// (An Sse source can return an Observable whose first item is the error,
// rxgo.Thrown(err), which is a status too because it is ready at once; the
// SseE form says so in its signature and needs no Observable.) The client
// gets the status and NestJS's JSON body:
//
//	{"statusCode":404,"message":"no such room","error":"Not Found"}
//
// An error that comes after the stream has started is sent as an "event:
// error" frame instead, and any error that is not a *transport.HTTPError
// shows clients only "Internal server error" (see package transport);
// transport.WithErrorFilter, on a route or through SseDefaults, turns
// errors of your own into HTTPErrors.
package controller
