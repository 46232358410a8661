package controller

import (
	"reflect"
	"runtime"
	"slices"
	"strings"

	"github.com/rxsse/rxsse/transport"
)

// Route is one route of a route table, as Describe lists it: what it
// answers, and what it declares (see transport.Declared).
type Route struct {
	// Method is the method the route answers ("GET", "POST", ...), "" for
	// a plain route that answers every method.
	Method string
	// Pattern is the route's full chi pattern, prefixes included
	// ("/rooms/{room}/events").
	Pattern string
	// SSE reports an SSE route (Sse, SseE); the others are plain routes.
	SSE bool
	// Controller is the type of the controller that declared the route,
	// as %T prints it ("rooms.Controller").
	Controller string
	// Handler is the name of the method or function serving the route
	// ("events" for c.events), "" for a function literal.
	Handler string
	// Declared is what the route's options declare. For an SSE route they
	// are its scopes' SseDefaults and its own options, with the status
	// Mount gives it (201 for a POST stream unless WithStatus says
	// otherwise); for a plain route, its own options.
	Declared transport.Declaration
}

// Describe returns the routes of controllers as Mount would register them,
// in declaration order, for documentation (the openapi module builds an
// OpenAPI document from them) and for tests. It calls each controller's
// Routes method once more, so Routes must only declare routes, as Mount
// already requires. It panics on the mistakes Mount panics on, except
// conflicts between routes.
func Describe(controllers ...Controller) []Route {
	var out []Route
	for i, c := range controllers {
		out = declare("Describe", i, c).describe(out, "", nil)
	}
	return out
}

// describe appends the scope's routes to out, as register registers them.
func (s *scope) describe(out []Route, parent string, inherited []transport.Option) []Route {
	prefix := join(parent, s.prefix)
	defaults := append(slices.Clip(inherited), s.defaults...)
	for _, e := range s.entries {
		if e.child != nil {
			out = e.child.describe(out, prefix, defaults)
			continue
		}
		rt := Route{
			Method:     strings.ToUpper(e.method),
			Pattern:    join(prefix, e.pattern),
			SSE:        e.stream != nil,
			Controller: s.owner,
			Handler:    e.name,
		}
		if rt.SSE {
			rt.Declared = transport.Declared(sseOptions(e.method, defaults, e.opts)...)
		} else {
			rt.Declared = transport.Declared(e.opts...)
		}
		out = append(out, rt)
	}
	return out
}

// funcName returns the name of the method or function f is ("events" for
// the method value c.events), "" for a function literal or a nil f.
func funcName(f any) string {
	v := reflect.ValueOf(f)
	if !v.IsValid() || v.Kind() != reflect.Func || v.IsNil() {
		return ""
	}
	fn := runtime.FuncForPC(v.Pointer())
	if fn == nil {
		return ""
	}
	name := fn.Name() // "example.com/app/rooms.Controller.events-fm"
	name = name[strings.LastIndexByte(name, '/')+1:]
	name = strings.TrimSuffix(name, "-fm")
	parts := strings.Split(name, ".")
	for _, p := range parts[1:] {
		if len(p) > 4 && strings.HasPrefix(p, "func") && strings.Trim(p[4:], "0123456789") == "" {
			return "" // a function literal: "pkg.T.Routes.func1", "pkg.f.func2.1"
		}
	}
	return parts[len(parts)-1]
}
