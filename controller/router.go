package controller

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/transport"
)

// Router is what a controller declares its routes on. Patterns are chi
// patterns ("/rooms/{id}", "/static/*") relative to the controller's prefix
// and to any enclosing Route; the leading slash is optional, as in NestJS
// ("sse" is "/sse"), and "" or "/" is the prefix itself. Sse, SseE and
// Handle take the route's method at the start of the pattern, as net/http's
// ServeMux and chi's Handle do: "POST /events" is a POST route; without a
// method, Sse and SseE declare a GET route and Handle one for every method.
//
// A Router records the declarations and Mount registers them once Routes
// returns, so the order of the calls within one scope does not matter: Use
// and SseDefaults apply to every route of the scope, declared before or
// after them.
type Router interface {
	// Sse declares a route that serves the Observable source returns as a
	// text/event-stream, NestJS's @Sse(pattern). Per request, source is
	// called once and its Observable observed with a context cancelled when
	// the client leaves or the server shuts down (see transport.Handler).
	// opts follow the scope's SseDefaults, so they win over them.
	//
	// The route answers GET, the only method a browser's EventSource uses,
	// unless the pattern names another ("POST /ask"), for clients that post
	// a body to open a stream. As in NestJS, a POST stream answers 201
	// Created unless opts (or SseDefaults) set transport.WithStatus; other
	// methods answer 200. Browsers' EventSource can only GET and accepts
	// only 200: POST streams are for fetch-based clients.
	Sse(pattern string, source func(*http.Request) rxgo.Observable, opts ...transport.Option)
	// SseE is Sse for a source that can fail before the stream starts,
	// NestJS's async handler returning Promise<Observable>: a lookup that
	// finds nothing returns an error, and the client always gets that error
	// as the HTTP status (see transport.Handler), however long the lookup
	// took.
	SseE(pattern string, source func(*http.Request) (rxgo.Observable, error), opts ...transport.Option)

	// Get declares a plain GET route. opts document it (transport.Query,
	// Body, Returns, Errors, Summary; see Describe); the options that
	// configure a stream have no effect on a plain route.
	Get(pattern string, h http.HandlerFunc, opts ...transport.Option)
	// Post declares a plain POST route; opts as for Get.
	Post(pattern string, h http.HandlerFunc, opts ...transport.Option)
	// Put declares a plain PUT route; opts as for Get.
	Put(pattern string, h http.HandlerFunc, opts ...transport.Option)
	// Patch declares a plain PATCH route; opts as for Get.
	Patch(pattern string, h http.HandlerFunc, opts ...transport.Option)
	// Delete declares a plain DELETE route; opts as for Get.
	Delete(pattern string, h http.HandlerFunc, opts ...transport.Option)
	// Handle declares a plain route for the method the pattern starts with
	// ("OPTIONS /list"), or for every method if it names none. Methods chi
	// does not know must be registered with chi.RegisterMethod first. opts
	// as for Get.
	Handle(pattern string, h http.Handler, opts ...transport.Option)

	// Use adds middleware around every route of this scope, nested scopes
	// included, and nothing else: not the routes of other controllers, and
	// not requests that match no route. Middleware runs in the order given,
	// inside the middleware of enclosing scopes and of the chi router.
	Use(middlewares ...func(http.Handler) http.Handler)
	// SseDefaults sets transport options for every SSE route of this scope,
	// nested scopes included. They come after those of enclosing scopes and
	// before the route's own, so the most specific option wins.
	SseDefaults(opts ...transport.Option)

	// With returns a Router for routes that need extra middleware, as chi's
	// With: r.With(requireAdmin).Sse("/audit", c.audit) guards one route
	// (NestJS's @UseGuards on a method). The middleware wraps only the
	// routes declared on the returned Router, inside this scope's.
	With(middlewares ...func(http.Handler) http.Handler) Router

	// Route declares the routes fn declares under prefix, joined to this
	// scope's prefix, in a nested scope with its own middleware and SSE
	// defaults.
	Route(prefix string, fn func(r Router))
	// Group is Route without a prefix: a nested scope for routes that need
	// extra middleware or SSE defaults.
	Group(fn func(r Router))
}

// scope is the Router handed to a controller: one per Routes call and one
// per nested Route or Group.
type scope struct {
	owner    string // the controller's type, for messages
	prefix   string
	mws      []func(http.Handler) http.Handler
	defaults []transport.Option
	entries  []entry
	sealed   *bool // shared by the scopes of one controller
}

// entry is one declaration: a route, or a nested scope.
type entry struct {
	method  string // "" for every method (plain routes only)
	pattern string
	handler http.Handler                                // a plain route
	stream  func(opts ...transport.Option) http.Handler // an SSE route, built with its options at Mount
	opts    []transport.Option
	name    string // the function serving the route, for operation ids
	child   *scope
}

var _ Router = (*scope)(nil)

func newScope(owner, prefix string) *scope {
	return &scope{owner: owner, prefix: prefix, sealed: new(bool)}
}

func (s *scope) Sse(pattern string, source func(*http.Request) rxgo.Observable, opts ...transport.Option) {
	s.sse("Sse", pattern, source == nil, funcName(source), func(opts ...transport.Option) http.Handler {
		return transport.Handler(source, opts...)
	}, opts)
}

func (s *scope) SseE(pattern string, source func(*http.Request) (rxgo.Observable, error), opts ...transport.Option) {
	s.sse("SseE", pattern, source == nil, funcName(source), func(opts ...transport.Option) http.Handler {
		return transport.Handler(source, opts...)
	}, opts)
}

// sse declares an SSE route; stream builds its handler once its options
// are known.
func (s *scope) sse(call, pattern string, nilSource bool, name string, stream func(...transport.Option) http.Handler, opts []transport.Option) {
	s.check(call)
	method, path := splitMethod(pattern)
	switch {
	case method == "" && path != pattern:
		s.fail("%s %q: empty method", call, pattern)
	case method == "":
		method = http.MethodGet
	}
	if nilSource {
		s.fail("%s %s %q: nil source", call, method, path)
	}
	s.entries = append(s.entries, entry{method: method, pattern: path, stream: stream, opts: slices.Clone(opts), name: name})
}

// splitMethod splits "METHOD /path" into its method and path, as chi's
// Handle and net/http's ServeMux do: the method is what comes before the
// first space or tab. A pattern without one has no method.
func splitMethod(pattern string) (method, path string) {
	i := strings.IndexAny(pattern, " \t")
	if i < 0 {
		return "", pattern
	}
	return pattern[:i], strings.TrimLeft(pattern[i+1:], " \t")
}

func (s *scope) Get(pattern string, h http.HandlerFunc, opts ...transport.Option) {
	s.plain(http.MethodGet, pattern, h, opts)
}

func (s *scope) Post(pattern string, h http.HandlerFunc, opts ...transport.Option) {
	s.plain(http.MethodPost, pattern, h, opts)
}

func (s *scope) Put(pattern string, h http.HandlerFunc, opts ...transport.Option) {
	s.plain(http.MethodPut, pattern, h, opts)
}

func (s *scope) Patch(pattern string, h http.HandlerFunc, opts ...transport.Option) {
	s.plain(http.MethodPatch, pattern, h, opts)
}

func (s *scope) Delete(pattern string, h http.HandlerFunc, opts ...transport.Option) {
	s.plain(http.MethodDelete, pattern, h, opts)
}

// plain declares a route served by h as it is. A nil HandlerFunc must be
// caught here: once converted to http.Handler it is no longer nil.
func (s *scope) plain(method, pattern string, h http.HandlerFunc, opts []transport.Option) {
	s.check(method)
	if h == nil {
		s.fail("%s %q: nil handler", method, pattern)
	}
	if strings.ContainsAny(pattern, " \t") {
		s.fail("%s %q: a space in the pattern (only Sse, SseE and Handle take a method in it)", method, pattern)
	}
	s.entries = append(s.entries, entry{method: method, pattern: pattern, handler: h, opts: slices.Clone(opts), name: funcName(h)})
}

func (s *scope) Handle(pattern string, h http.Handler, opts ...transport.Option) {
	s.check("Handle")
	method, path := splitMethod(pattern)
	if method == "" && path != pattern {
		s.fail("Handle %q: empty method", pattern)
	}
	if h == nil {
		s.fail("Handle %q: nil handler", pattern)
	}
	name := ""
	if f, ok := h.(http.HandlerFunc); ok {
		name = funcName(f)
	}
	s.entries = append(s.entries, entry{method: method, pattern: path, handler: h, opts: slices.Clone(opts), name: name})
}

func (s *scope) Use(middlewares ...func(http.Handler) http.Handler) {
	s.check("Use")
	for i, mw := range middlewares {
		if mw == nil {
			s.fail("Use: middleware %d is nil", i)
		}
	}
	s.mws = append(s.mws, middlewares...)
}

func (s *scope) SseDefaults(opts ...transport.Option) {
	s.check("SseDefaults")
	s.defaults = append(s.defaults, opts...)
}

func (s *scope) Route(prefix string, fn func(r Router)) {
	s.check("Route")
	if fn == nil {
		s.fail("Route %q: nil function", prefix)
	}
	child := &scope{owner: s.owner, prefix: prefix, sealed: s.sealed}
	fn(child)
	s.entries = append(s.entries, entry{child: child})
}

func (s *scope) Group(fn func(r Router)) { s.Route("", fn) }

func (s *scope) With(middlewares ...func(http.Handler) http.Handler) Router {
	s.check("With")
	child := &scope{owner: s.owner, sealed: s.sealed}
	child.Use(middlewares...)
	s.entries = append(s.entries, entry{child: child})
	return child
}

// check panics if the controller's Routes has returned: declarations made
// after Mount registered the table would be silently lost.
func (s *scope) check(call string) {
	if *s.sealed {
		s.fail("%s called after Routes returned", call)
	}
}

func (s *scope) fail(format string, args ...any) {
	panic(fmt.Sprintf("controller: %s: ", s.owner) + fmt.Sprintf(format, args...))
}

func (s *scope) seal() { *s.sealed = true }

// routes appends the scope's routes to out, under parent (the joined prefix
// of the enclosing scopes), without registering anything.
func (s *scope) routes(out []declared, parent string) []declared {
	prefix := join(parent, s.prefix)
	for _, e := range s.entries {
		if e.child != nil {
			out = e.child.routes(out, prefix)
			continue
		}
		out = append(out, declared{owner: s.owner, method: e.method, pattern: join(prefix, e.pattern)})
	}
	return out
}

// register adds the scope's routes to r, under parent (the joined prefix of
// the enclosing scopes) and after inherited (their SSE defaults). Each scope
// is a chi group, whose middleware wraps only the routes registered in it.
// Every handler is registered as an owned handler, so a later Mount can
// name the controller that declared a route.
func (s *scope) register(r chi.Router, parent string, inherited []transport.Option) {
	prefix := join(parent, s.prefix)
	defaults := append(slices.Clip(inherited), s.defaults...)
	r.Group(func(r chi.Router) {
		r.Use(s.mws...)
		for _, e := range s.entries {
			if e.child != nil {
				e.child.register(r, prefix, defaults)
				continue
			}
			h := e.handler
			if e.stream != nil {
				h = e.stream(sseOptions(e.method, defaults, e.opts)...)
			}
			h = owned{Handler: h, owner: s.owner}
			if e.method == "" {
				r.Handle(join(prefix, e.pattern), h)
			} else {
				r.Method(e.method, join(prefix, e.pattern), h)
			}
		}
	})
}

// sseOptions returns the transport options of an SSE route, least specific
// first, since the last option wins.
func sseOptions(method string, defaults, own []transport.Option) []transport.Option {
	opts := make([]transport.Option, 0, 1+len(defaults)+len(own))
	if strings.EqualFold(method, http.MethodPost) {
		opts = append(opts, transport.WithStatus(http.StatusCreated))
	}
	opts = append(opts, defaults...)
	return append(opts, own...)
}

// join returns pattern under prefix, each with at most one slash between
// them; "" and "/" stand for the prefix itself.
func join(prefix, pattern string) string {
	prefix = strings.TrimRight(prefix, "/")
	if prefix != "" && prefix[0] != '/' {
		prefix = "/" + prefix
	}
	switch {
	case pattern == "" || pattern == "/":
		if prefix == "" {
			return "/"
		}
		return prefix
	case pattern[0] != '/':
		pattern = "/" + pattern
	}
	return prefix + pattern
}
