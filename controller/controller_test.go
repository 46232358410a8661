package controller_test

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/reactivex/rxgo/v2"
	"go.uber.org/goleak"

	"github.com/rxsse/rxsse/controller"
	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/observable"
	"github.com/rxsse/rxsse/transport"
	"github.com/rxsse/rxsse/transport/ssetest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// routes is a Controller made of a function, with an optional prefix.
type routes struct {
	prefix string
	fn     func(r controller.Router)
}

func (c routes) Routes(r controller.Router) { c.fn(r) }

// prefixed is routes that implements controller.Prefixed.
type prefixed struct{ routes }

func (c prefixed) Prefix() string { return c.prefix }

// discard is a logger for tests whose errors are expected.
var discard = slog.New(slog.DiscardHandler)

// text answers 200 with body.
func text(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, body) }
}

// just returns a source that emits items and completes.
func just(items ...any) func(*http.Request) rxgo.Observable {
	return func(*http.Request) rxgo.Observable { return rxgo.Just(items...)() }
}

// setHeader is a middleware that sets a response header.
func setHeader(key, value string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set(key, value)
			next.ServeHTTP(w, r)
		})
	}
}

// inBubble runs fn in a testing/synctest bubble with h served by an
// ssetest.Server built inside it, so streams run on virtual time.
func inBubble(t *testing.T, h func() http.Handler, fn func(t *testing.T, srv *ssetest.Server)) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		srv := ssetest.NewServer(h())
		defer srv.Close()
		fn(t, srv)
	})
}

// request sends method path to srv and returns the response as a stream.
func request(t *testing.T, srv *ssetest.Server, method, path string, header http.Header) *ssetest.Stream {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	st, err := srv.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// readAll reads events until the stream ends cleanly.
func readAll(t *testing.T, st *ssetest.Stream) []encoder.Event {
	t.Helper()
	var events []encoder.Event
	for {
		ev, err := st.Next()
		if errors.Is(err, io.EOF) {
			return events
		}
		if err != nil {
			t.Fatalf("after %d events: %v", len(events), err)
		}
		events = append(events, ev)
	}
}

// data returns the data of each event.
func data(events []encoder.Event) []string {
	out := make([]string, len(events))
	for i, ev := range events {
		out[i] = ev.Data
	}
	return out
}

func TestMountRegistersEveryRouteUnderItsPrefixWithItsMethod(t *testing.T) {
	r := chi.NewRouter()
	controller.Mount(r,
		prefixed{routes{prefix: "events/", fn: func(r controller.Router) {
			r.Sse("", just())
			r.Sse("sse", just())
			r.Sse("POST /", just())
			r.Get("/list", text(""))
			r.Post("/list", text(""))
			r.Put("/list/{id}", text(""))
			r.Patch("/list/{id}", text(""))
			r.Delete("/list/{id}", text(""))
			r.Handle("OPTIONS /list", text(""))
			r.Route("{id}", func(r controller.Router) {
				r.Sse("/stream", just())
				r.Group(func(r controller.Router) {
					r.Get("info", text(""))
				})
			})
		}}},
		routes{fn: func(r controller.Router) {
			r.Sse("/", just())
			r.Route("/static/", func(r controller.Router) {
				r.Handle("GET *", text(""))
			})
		}},
	)

	var got []string
	err := chi.Walk(r, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		got = append(got, method+" "+route)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	want := []string{
		"DELETE /events/list/{id}",
		"GET /",
		"GET /events",
		"GET /events/list",
		"GET /events/sse",
		"GET /events/{id}/info",
		"GET /events/{id}/stream",
		"GET /static/*",
		"OPTIONS /events/list",
		"PATCH /events/list/{id}",
		"POST /events",
		"POST /events/list",
		"PUT /events/list/{id}",
	}
	if !slices.Equal(got, want) {
		t.Errorf("routes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestPlainRoutesAnswerTheirOwnMethodsOnly(t *testing.T) {
	r := chi.NewRouter()
	controller.Mount(r, prefixed{routes{prefix: "/todos", fn: func(r controller.Router) {
		r.Get("/", text("list"))
		r.Post("/", text("create"))
		r.Put("/{id}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "replace "+chi.URLParam(r, "id")) })
		r.Patch("/{id}", text("update"))
		r.Delete("/{id}", text("delete"))
		r.Handle("/any", text("any"))
	}}})

	tests := []struct {
		method, path string
		status       int
		body         string
	}{
		{http.MethodGet, "/todos", http.StatusOK, "list"},
		{http.MethodPost, "/todos", http.StatusOK, "create"},
		{http.MethodPut, "/todos/7", http.StatusOK, "replace 7"},
		{http.MethodPatch, "/todos/7", http.StatusOK, "update"},
		{http.MethodDelete, "/todos/7", http.StatusOK, "delete"},
		{http.MethodHead, "/todos/any", http.StatusOK, "any"},
		{http.MethodTrace, "/todos/any", http.StatusOK, "any"},
		{http.MethodGet, "/todos/7", http.StatusMethodNotAllowed, ""},
		{http.MethodGet, "/elsewhere", http.StatusNotFound, "404 page not found\n"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			if rec.Code != tt.status || rec.Body.String() != tt.body {
				t.Errorf("got %d %q, want %d %q", rec.Code, rec.Body, tt.status, tt.body)
			}
		})
	}
}

func TestAnSseRouteStreamsTheSourcesItemsAsEvents(t *testing.T) {
	inBubble(t, func() http.Handler {
		r := chi.NewRouter()
		controller.Mount(r, routes{fn: func(r controller.Router) {
			r.Sse("sse", just("a", encoder.MessageEvent{Type: "note", Data: map[string]int{"n": 1}}))
		}})
		return r
	}, func(t *testing.T, srv *ssetest.Server) {
		st := request(t, srv, http.MethodGet, "/sse", nil)
		if !st.IsEventStream() {
			t.Fatalf("got %s %q, want a 200 event stream", st.Response.Status, st.Response.Header.Get("Content-Type"))
		}
		got := readAll(t, st)
		want := []encoder.Event{
			{Type: "message", Data: "a", LastEventID: "1"},
			{Type: "note", Data: `{"n":1}`, LastEventID: "2"},
		}
		if !slices.Equal(got, want) {
			t.Errorf("events = %+v, want %+v", got, want)
		}
	})
}

func TestRouteParamsAreReadableInsideTheSseSource(t *testing.T) {
	inBubble(t, func() http.Handler {
		r := chi.NewRouter()
		controller.Mount(r, prefixed{routes{prefix: "/rooms/{room}", fn: func(r controller.Router) {
			r.Sse("/users/{user}", func(r *http.Request) rxgo.Observable {
				return rxgo.Just(chi.URLParam(r, "room") + "/" + chi.URLParam(r, "user"))()
			})
		}}})
		return r
	}, func(t *testing.T, srv *ssetest.Server) {
		st := request(t, srv, http.MethodGet, "/rooms/lobby/users/ann", nil)
		if got := data(readAll(t, st)); !slices.Equal(got, []string{"lobby/ann"}) {
			t.Errorf("data = %q, want [lobby/ann]", got)
		}
	})
}

func TestAStreamOnAnotherMethodAnswersLikeNest(t *testing.T) {
	tests := []struct {
		name     string
		method   string
		defaults []transport.Option
		opts     []transport.Option
		status   int
	}{
		{"a POST stream answers 201", http.MethodPost, nil, nil, http.StatusCreated},
		{"a route's WithStatus wins over 201", http.MethodPost, nil, []transport.Option{transport.WithStatus(http.StatusOK)}, http.StatusOK},
		{"a scope's WithStatus wins over 201", http.MethodPost, []transport.Option{transport.WithStatus(http.StatusAccepted)}, nil, http.StatusAccepted},
		{"a PUT stream answers 200", http.MethodPut, nil, nil, http.StatusOK},
		{"a lower-case post is a POST", "post", nil, nil, http.StatusCreated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inBubble(t, func() http.Handler {
				r := chi.NewRouter()
				controller.Mount(r, routes{fn: func(r controller.Router) {
					r.SseDefaults(tt.defaults...)
					r.Sse(tt.method+" /stream", just("x"), tt.opts...)
				}})
				return r
			}, func(t *testing.T, srv *ssetest.Server) {
				st := request(t, srv, strings.ToUpper(tt.method), "/stream", nil)
				if st.Response.StatusCode != tt.status {
					t.Errorf("status = %d, want %d", st.Response.StatusCode, tt.status)
				}
				if got := data(readAll(t, st)); !slices.Equal(got, []string{"x"}) {
					t.Errorf("data = %q, want [x]", got)
				}
			})
		})
	}
}

func TestAnHTTPErrorAsTheFirstItemEndsTheRequestWithItsStatus(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
		body   string
	}{
		{
			"a 404 with a message",
			transport.NewHTTPError(http.StatusNotFound, "no such room"),
			http.StatusNotFound,
			`{"statusCode":404,"message":"no such room","error":"Not Found"}`,
		},
		{
			"a 403 without one",
			transport.NewHTTPError(http.StatusForbidden, ""),
			http.StatusForbidden,
			`{"statusCode":403,"message":"Forbidden"}`,
		},
		{
			"any other error hides its message",
			errors.New("database password is hunter2"),
			http.StatusInternalServerError,
			`{"statusCode":500,"message":"Internal server error"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inBubble(t, func() http.Handler {
				r := chi.NewRouter()
				controller.Mount(r, prefixed{routes{prefix: "/rooms", fn: func(r controller.Router) {
					r.Sse("/{room}", func(*http.Request) rxgo.Observable { return rxgo.Thrown(tt.err) },
						transport.WithLogger(discard))
				}}})
				return r
			}, func(t *testing.T, srv *ssetest.Server) {
				st := request(t, srv, http.MethodGet, "/rooms/attic", nil)
				body, err := st.Body()
				if err != nil {
					t.Fatal(err)
				}
				if st.Response.StatusCode != tt.status || body != tt.body {
					t.Errorf("got %d %s, want %d %s", st.Response.StatusCode, body, tt.status, tt.body)
				}
				if ct := st.Response.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
					t.Errorf("Content-Type = %q, want JSON", ct)
				}
			})
		})
	}
}

func TestAControllersMiddlewareWrapsOnlyItsOwnRoutes(t *testing.T) {
	inBubble(t, func() http.Handler {
		r := chi.NewRouter()
		controller.Mount(r,
			routes{fn: func(r controller.Router) {
				r.Sse("/a/sse", just("a"))
				r.Get("/a/plain", text("a"))
				// Declared after the routes, Use still covers them all.
				r.Use(setHeader("X-Controller", "a"))
			}},
			routes{fn: func(r controller.Router) {
				r.Sse("/b/sse", just("b"))
				r.Group(func(r controller.Router) {
					r.Use(setHeader("X-Group", "b"))
					r.Sse("/b/grouped", just("b"))
				})
			}},
		)
		return r
	}, func(t *testing.T, srv *ssetest.Server) {
		tests := []struct {
			path, controller, group string
		}{
			{"/a/sse", "a", ""},
			{"/a/plain", "a", ""},
			{"/b/sse", "", ""},
			{"/b/grouped", "", "b"},
			{"/nowhere", "", ""},
		}
		for _, tt := range tests {
			st := request(t, srv, http.MethodGet, tt.path, nil)
			h := st.Response.Header
			if h.Get("X-Controller") != tt.controller || h.Get("X-Group") != tt.group {
				t.Errorf("%s: X-Controller %q, X-Group %q; want %q, %q",
					tt.path, h.Get("X-Controller"), h.Get("X-Group"), tt.controller, tt.group)
			}
			st.Close()
		}
	})
}

func TestAnAuthMiddlewareAnswers401BeforeTheStreamStarts(t *testing.T) {
	var subscribed atomic.Int32
	inBubble(t, func() http.Handler {
		r := chi.NewRouter()
		controller.Mount(r, routes{fn: func(r controller.Router) {
			r.Use(middleware.BasicAuth("rxsse", map[string]string{"ann": "pw"}))
			r.Sse("/private", func(*http.Request) rxgo.Observable {
				subscribed.Add(1)
				return rxgo.Just("secret")()
			})
		}})
		return r
	}, func(t *testing.T, srv *ssetest.Server) {
		st := request(t, srv, http.MethodGet, "/private", nil)
		if st.Response.StatusCode != http.StatusUnauthorized {
			t.Errorf("status = %d, want 401", st.Response.StatusCode)
		}
		if st.IsEventStream() {
			t.Error("an unauthorized request got an event stream")
		}
		if n := subscribed.Load(); n != 0 {
			t.Errorf("the source was called %d times for an unauthorized request", n)
		}

		auth := http.Header{"Authorization": {"Basic " + "YW5uOnB3"}} // ann:pw
		st = request(t, srv, http.MethodGet, "/private", auth)
		if got := data(readAll(t, st)); !st.IsEventStream() || !slices.Equal(got, []string{"secret"}) {
			t.Errorf("authorized: %s, data %q; want a stream of [secret]", st.Response.Status, got)
		}
	})
}

func TestHeadersSetByMiddlewareSurviveExceptThoseTheTransportOwns(t *testing.T) {
	type seen struct {
		status int
		bytes  int
	}
	wrapped := make(chan seen, 1)
	inBubble(t, func() http.Handler {
		r := chi.NewRouter()
		controller.Mount(r, routes{fn: func(r controller.Router) {
			r.Use(func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("X-Request-Id", "req-1")
					w.Header()["cache-control"] = []string{"public, max-age=3600"}
					// A writer wrapper, as logging middleware uses: the
					// transport flushes through it.
					ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
					next.ServeHTTP(ww, r)
					wrapped <- seen{ww.Status(), ww.BytesWritten()}
				})
			})
			r.Sse("/sse", just("hi"))
		}})
		return r
	}, func(t *testing.T, srv *ssetest.Server) {
		st := request(t, srv, http.MethodGet, "/sse", nil)
		if got := data(readAll(t, st)); !st.IsEventStream() || !slices.Equal(got, []string{"hi"}) {
			t.Fatalf("got %s, data %q; want a stream of [hi]", st.Response.Status, got)
		}
		h := st.Response.Header
		if got := h.Get("X-Request-Id"); got != "req-1" {
			t.Errorf("X-Request-Id = %q, want req-1", got)
		}
		want := []string{"private, no-cache, no-store, must-revalidate, max-age=0, no-transform"}
		if got := h.Values("Cache-Control"); !slices.Equal(got, want) {
			t.Errorf("Cache-Control = %q, want %q", got, want)
		}
		if s := <-wrapped; s.status != http.StatusOK || s.bytes == 0 {
			t.Errorf("the wrapper saw status %d and %d bytes, want 200 and some", s.status, s.bytes)
		}
	})
}

func TestMountWorksOnAChiSubRouterBehindItsMiddleware(t *testing.T) {
	inBubble(t, func() http.Handler {
		r := chi.NewRouter()
		r.Use(middleware.RequestID, middleware.Recoverer, middleware.Compress(5))
		r.Route("/api", func(r chi.Router) {
			r.Use(setHeader("Access-Control-Allow-Origin", "*"))
			controller.Mount(r, prefixed{routes{prefix: "/events", fn: func(r controller.Router) {
				r.Sse("/", just("one", "two"))
			}}})
		})
		return r
	}, func(t *testing.T, srv *ssetest.Server) {
		st := request(t, srv, http.MethodGet, "/api/events", http.Header{"Accept-Encoding": {"gzip"}})
		if got := st.Response.Header.Get("Access-Control-Allow-Origin"); got != "*" {
			t.Errorf("Access-Control-Allow-Origin = %q, want *", got)
		}
		if got := st.Response.Header.Get("Content-Encoding"); got != "" {
			t.Errorf("Content-Encoding = %q, want none for a stream", got)
		}
		if got := data(readAll(t, st)); !st.IsEventStream() || !slices.Equal(got, []string{"one", "two"}) {
			t.Errorf("got %s, data %q; want a stream of [one two]", st.Response.Status, got)
		}
	})
}

func TestControllersMayShareAPrefix(t *testing.T) {
	r := chi.NewRouter()
	controller.Mount(r,
		prefixed{routes{prefix: "/shop", fn: func(r controller.Router) { r.Get("/cart", text("cart")) }}},
		prefixed{routes{prefix: "/shop", fn: func(r controller.Router) { r.Get("/orders", text("orders")) }}},
	)
	for _, path := range []string{"/shop/cart", "/shop/orders"} {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK {
			t.Errorf("GET %s = %d, want 200", path, rec.Code)
		}
	}
}

func TestSseDefaultsApplyToTheirScopeAndTheRoutesOwnOptionsWin(t *testing.T) {
	inBubble(t, func() http.Handler {
		r := chi.NewRouter()
		controller.Mount(r, routes{fn: func(r controller.Router) {
			r.Sse("/outer", just("x"))
			r.Sse("/own", just("x"), transport.WithRetry(5*time.Second))
			r.Group(func(r controller.Router) {
				r.Sse("/inner", just("x"))
				r.SseDefaults(transport.WithRetry(4*time.Second), transport.WithAutoID(false))
			})
			r.SseDefaults(transport.WithRetry(3 * time.Second))
		}})
		controller.Mount(r, routes{fn: func(r controller.Router) {
			r.Sse("/other", just("x"))
		}})
		return r
	}, func(t *testing.T, srv *ssetest.Server) {
		tests := []struct {
			path  string
			retry time.Duration
			id    string
		}{
			{"/outer", 3 * time.Second, "1"},
			{"/own", 5 * time.Second, "1"},
			{"/inner", 4 * time.Second, ""},
			{"/other", 0, "1"},
		}
		for _, tt := range tests {
			st := request(t, srv, http.MethodGet, tt.path, nil)
			events := readAll(t, st)
			if st.Retry() != tt.retry || len(events) != 1 || events[0].LastEventID != tt.id {
				t.Errorf("%s: retry %v, events %+v; want retry %v and one event with id %q",
					tt.path, st.Retry(), events, tt.retry, tt.id)
			}
		}
	})
}

func TestAStreamRunsOnVirtualTimeAndStopsWhenTheClientLeaves(t *testing.T) {
	inBubble(t, func() http.Handler {
		r := chi.NewRouter()
		controller.Mount(r, routes{fn: func(r controller.Router) {
			r.Sse("/ticks", func(*http.Request) rxgo.Observable {
				return observable.Interval(time.Second)
			})
		}})
		return r
	}, func(t *testing.T, srv *ssetest.Server) {
		start := time.Now()
		st := request(t, srv, http.MethodGet, "/ticks", nil)
		for i := range 3 {
			ev, err := st.Next()
			if err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprint(i); ev.Data != want {
				t.Errorf("tick %d: data %q, want %q", i, ev.Data, want)
			}
			if got, want := time.Since(start), time.Duration(i+1)*time.Second; got != want {
				t.Errorf("tick %d came at %v, want %v", i, got, want)
			}
		}
		// Leaving must stop the subscription: the bubble fails on any
		// goroutine left behind.
		st.Close()
	})
}

func TestMistakesInTheRouteTablePanicAtMount(t *testing.T) {
	var kept controller.Router
	tests := []struct {
		name  string
		mount func()
		want  string
	}{
		{"a nil controller", func() { controller.Mount(chi.NewRouter(), nil) }, "controller: Mount: controller 0 is nil"},
		{"a nil SSE source", func() {
			controller.Mount(chi.NewRouter(), routes{fn: func(r controller.Router) { r.Sse("/sse", nil) }})
		}, `controller: controller_test.routes: Sse GET "/sse": nil source`},
		{"a nil fallible SSE source on another method", func() {
			controller.Mount(chi.NewRouter(), routes{fn: func(r controller.Router) { r.SseE("POST /sse", nil) }})
		}, `controller: controller_test.routes: SseE POST "/sse": nil source`},
		{"an empty SSE method", func() {
			controller.Mount(chi.NewRouter(), routes{fn: func(r controller.Router) { r.Sse(" /sse", just()) }})
		}, `controller: controller_test.routes: Sse " /sse": empty method`},
		{"a method in a plain route's pattern", func() {
			controller.Mount(chi.NewRouter(), routes{fn: func(r controller.Router) { r.Post("POST /x", text("")) }})
		}, `controller: controller_test.routes: POST "POST /x": a space in the pattern (only Sse, SseE and Handle take a method in it)`},
		{"a nil HandlerFunc", func() {
			controller.Mount(chi.NewRouter(), routes{fn: func(r controller.Router) { r.Get("/", nil) }})
		}, `controller: controller_test.routes: GET "/": nil handler`},
		{"a nil Handler", func() {
			controller.Mount(chi.NewRouter(), routes{fn: func(r controller.Router) { r.Handle("/", nil) }})
		}, `controller: controller_test.routes: Handle "/": nil handler`},
		{"a nil middleware", func() {
			controller.Mount(chi.NewRouter(), routes{fn: func(r controller.Router) { r.Use(setHeader("A", "b"), nil) }})
		}, `controller: controller_test.routes: Use: middleware 1 is nil`},
		{"a nil Route function", func() {
			controller.Mount(chi.NewRouter(), routes{fn: func(r controller.Router) { r.Route("/x", nil) }})
		}, `controller: controller_test.routes: Route "/x": nil function`},
		{"a Router used after Routes returned", func() {
			controller.Mount(chi.NewRouter(), prefixed{routes{fn: func(r controller.Router) { kept = r }}})
			kept.Get("/late", text(""))
		}, `controller: controller_test.prefixed: GET called after Routes returned`},
		{"a method chi does not know", func() {
			controller.Mount(chi.NewRouter(), routes{fn: func(r controller.Router) { r.Sse("FETCH /sse", just()) }})
		}, `chi: 'FETCH' http method is not supported.`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				got := recover()
				if got != tt.want {
					t.Errorf("panic %q, want %q", got, tt.want)
				}
			}()
			tt.mount()
		})
	}
}
