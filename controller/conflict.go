package controller

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
)

// declared is one route a controller declares: method ("" for every
// method) and full pattern.
type declared struct {
	owner   string
	method  string
	pattern string
}

// owned is a registered handler that remembers the controller that
// declared it, so that a conflict found by a later Mount names both sides.
type owned struct {
	http.Handler
	owner string
}

// checkConflicts panics if two of the routes, or one of them and a route
// already registered on r, answer the same method on the same path: chi
// would silently keep the last one.
func checkConflicts(r chi.Router, routes []declared) {
	seen := make(map[string]declared)
	claim := func(d declared, method string) {
		key := method + " " + routeKey(d.pattern)
		if prev, ok := seen[key]; ok {
			panic(fmt.Sprintf("controller: Mount: %s %s is declared by %s and by %s",
				method, d.pattern, prev.owner, d.owner))
		}
		seen[key] = d
	}
	// What r already serves: by an earlier Mount (owned) or by chi directly.
	_ = chi.Walk(r, func(method, pattern string, h http.Handler, _ ...func(http.Handler) http.Handler) error {
		owner := "a route registered on the router before this Mount"
		for { // nested chi groups wrap a handler in one chain each
			c, ok := h.(*chi.ChainHandler)
			if !ok {
				break
			}
			h = c.Endpoint
		}
		if o, ok := h.(owned); ok {
			owner = o.owner + " (an earlier Mount)"
		}
		seen[method+" "+routeKey(pattern)] = declared{owner: owner, method: method, pattern: pattern}
		return nil
	})
	for _, d := range routes {
		if d.method != "" {
			claim(d, strings.ToUpper(d.method))
			continue
		}
		for _, m := range allMethods {
			claim(d, m)
		}
	}
}

// allMethods are the methods a route declared for every method answers,
// as chi registers them.
var allMethods = []string{
	http.MethodConnect, http.MethodDelete, http.MethodGet, http.MethodHead, http.MethodOptions,
	http.MethodPatch, http.MethodPost, http.MethodPut, http.MethodTrace,
}

// routeKey returns pattern with its URL parameters' names dropped, so that
// "/rooms/{id}" and "/rooms/{room}", which chi routes alike, are the same
// route. A parameter's regexp is kept: it makes another route.
func routeKey(pattern string) string {
	var b strings.Builder
	for {
		open := strings.IndexByte(pattern, '{')
		if open < 0 {
			b.WriteString(pattern)
			return b.String()
		}
		b.WriteString(pattern[:open])
		depth, end := 0, -1
		for i := open; i < len(pattern) && end < 0; i++ {
			switch pattern[i] {
			case '{':
				depth++
			case '}':
				depth--
				if depth == 0 {
					end = i
				}
			}
		}
		if end < 0 { // unbalanced: chi rejects it when registering
			b.WriteString(pattern[open:])
			return b.String()
		}
		param := pattern[open+1 : end]
		b.WriteByte('{')
		if colon := strings.IndexByte(param, ':'); colon >= 0 {
			b.WriteString(param[colon:])
		}
		b.WriteByte('}')
		pattern = pattern[end+1:]
	}
}
