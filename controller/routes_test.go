package controller_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/controller"
	"github.com/rxsse/rxsse/transport"
	"github.com/rxsse/rxsse/transport/ssetest"
)

// named is a second controller type, so conflict messages can name two.
type named struct{ routes }

func TestAFallibleSourcesErrorIsTheStatusHoweverLateItComes(t *testing.T) {
	arrived := make(chan struct{})
	release := make(chan struct{})
	inBubble(t, func() http.Handler {
		r := chi.NewRouter()
		controller.Mount(r, routes{fn: func(r controller.Router) {
			r.SseE("/rooms/{room}", func(r *http.Request) (rxgo.Observable, error) {
				close(arrived)
				<-release // a slow lookup: the response must wait for it
				return nil, transport.NewHTTPError(http.StatusNotFound, "no such room")
			})
			r.SseE("POST /ok", func(*http.Request) (rxgo.Observable, error) {
				return rxgo.Just("x")(), nil
			})
		}})
		return r
	}, func(t *testing.T, srv *ssetest.Server) {
		go func() { <-arrived; close(release) }()
		st := request(t, srv, http.MethodGet, "/rooms/nowhere", nil)
		if st.Response.StatusCode != http.StatusNotFound || st.IsEventStream() {
			t.Errorf("got %s %q, want a plain 404", st.Response.Status, st.Response.Header.Get("Content-Type"))
		}
		st = request(t, srv, http.MethodPost, "/ok", nil)
		if st.Response.StatusCode != http.StatusCreated {
			t.Errorf("POST stream status = %d, want 201", st.Response.StatusCode)
		}
		if got := data(readAll(t, st)); !slices.Equal(got, []string{"x"}) {
			t.Errorf("data = %q, want [x]", got)
		}
	})
}

func TestWithGuardsOnlyTheRoutesDeclaredOnIt(t *testing.T) {
	deny := func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			transport.WriteError(w, r, transport.NewHTTPError(http.StatusForbidden, "admins only"))
		})
	}
	inBubble(t, func() http.Handler {
		r := chi.NewRouter()
		controller.Mount(r, routes{fn: func(r controller.Router) {
			r.With(deny).Sse("/audit", just("secret"))
			r.Sse("/public", just("hello"))
		}})
		return r
	}, func(t *testing.T, srv *ssetest.Server) {
		st := request(t, srv, http.MethodGet, "/audit", nil)
		if st.Response.StatusCode != http.StatusForbidden {
			t.Errorf("guarded route: status = %d, want 403", st.Response.StatusCode)
		}
		st = request(t, srv, http.MethodGet, "/public", nil)
		if got := data(readAll(t, st)); !slices.Equal(got, []string{"hello"}) {
			t.Errorf("unguarded route: data = %q, want [hello]", got)
		}
	})
}

func TestInterceptorsStackFromTheControllerOutermostToTheRoute(t *testing.T) {
	wrap := func(name string) transport.Interceptor {
		return func(_ *http.Request, stream rxgo.Observable) rxgo.Observable {
			return stream.Map(func(_ context.Context, v any) (any, error) {
				return fmt.Sprintf("%s(%v)", name, v), nil
			})
		}
	}
	inBubble(t, func() http.Handler {
		r := chi.NewRouter()
		controller.Mount(r, routes{fn: func(r controller.Router) {
			r.SseDefaults(transport.WithInterceptors(wrap("controller")))
			r.Group(func(r controller.Router) {
				r.SseDefaults(transport.WithInterceptors(wrap("scope")))
				r.Sse("/x", just("v"), transport.WithInterceptors(wrap("route")))
			})
		}})
		return r
	}, func(t *testing.T, srv *ssetest.Server) {
		st := request(t, srv, http.MethodGet, "/x", nil)
		want := []string{"controller(scope(route(v)))"}
		if got := data(readAll(t, st)); !slices.Equal(got, want) {
			t.Errorf("data = %q, want %q", got, want)
		}
	})
}

func TestTwoRoutesForTheSameMethodAndPathPanicAtMountNamingBoth(t *testing.T) {
	src := just("x")
	get := func(pattern string) func(controller.Router) {
		return func(r controller.Router) { r.Sse(pattern, src) }
	}
	tests := []struct {
		name  string
		mount func()
		want  string
	}{
		{"two controllers in one Mount", func() {
			controller.Mount(chi.NewRouter(), routes{fn: get("/events")}, named{routes{fn: get("/events")}})
		}, "controller: Mount: GET /events is declared by controller_test.routes and by controller_test.named"},
		{"parameters named differently are the same route", func() {
			controller.Mount(chi.NewRouter(), routes{fn: get("/rooms/{id}")}, named{routes{fn: get("rooms/{room}")}})
		}, "controller: Mount: GET /rooms/{room} is declared by controller_test.routes and by controller_test.named"},
		{"one controller declaring a route twice", func() {
			controller.Mount(chi.NewRouter(), routes{fn: func(r controller.Router) {
				r.Sse("/a", src)
				r.Route("/", func(r controller.Router) { r.Get("/a", text("")) })
			}})
		}, "controller: Mount: GET /a is declared by controller_test.routes and by controller_test.routes"},
		{"a controller and an earlier Mount", func() {
			r := chi.NewRouter()
			controller.Mount(r, routes{fn: get("/events")})
			controller.Mount(r, named{routes{fn: get("/events")}})
		}, "controller: Mount: GET /events is declared by controller_test.routes (an earlier Mount) and by controller_test.named"},
		{"a controller and a route put on chi directly", func() {
			r := chi.NewRouter()
			r.Post("/events", text(""))
			controller.Mount(r, routes{fn: func(r controller.Router) { r.Handle("/events", text("")) }})
		}, "controller: Mount: POST /events is declared by a route registered on the router before this Mount and by controller_test.routes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if got := recover(); got != tt.want {
					t.Errorf("panic %q, want %q", got, tt.want)
				}
			}()
			tt.mount()
		})
	}
}

func TestRoutesThatDifferInMethodOrPathDoNotConflict(t *testing.T) {
	r := chi.NewRouter()
	controller.Mount(r,
		routes{fn: func(r controller.Router) { r.Sse("/events", just("a")) }},
		named{routes{fn: func(r controller.Router) {
			r.Post("/events", text(""))
			r.Sse("/events/{id:[0-9]+}", just("b"))
			r.Sse("/events/{id}", just("c"))
		}}},
	)
	var got []string
	_ = chi.Walk(r, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		got = append(got, method+" "+route)
		return nil
	})
	slices.Sort(got)
	want := []string{"GET /events", "GET /events/{id:[0-9]+}", "GET /events/{id}", "POST /events"}
	if !slices.Equal(got, want) {
		t.Errorf("routes = %q, want %q", got, want)
	}
}
