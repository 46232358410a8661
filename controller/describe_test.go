package controller_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/controller"
	"github.com/rxsse/rxsse/transport"
)

type message struct {
	Text string `json:"text"`
}

// shop is a controller with methods, whose names Describe reports.
type shop struct{}

func (shop) Prefix() string { return "/shop/{shop}" }

func (c shop) Routes(r controller.Router) {
	r.SseDefaults(transport.Errors(http.StatusNotFound), transport.Emits[string]("note"))
	r.Sse("/events", c.events, transport.Emits[message](""))
	r.SseE("POST /ask", c.ask, transport.Body[message](), transport.Errors(http.StatusBadRequest))
	r.Post("/orders", c.order, transport.Body[message](), transport.Returns[message](http.StatusCreated))
	r.Route("/admin", func(r controller.Router) {
		r.SseDefaults(transport.WithStatus(http.StatusAccepted))
		r.Sse("POST /audit", func(*http.Request) rxgo.Observable { return rxgo.Empty() })
		r.Handle("/any", http.HandlerFunc(c.order))
	})
}

func (shop) events(*http.Request) rxgo.Observable         { return rxgo.Empty() }
func (shop) ask(*http.Request) (rxgo.Observable, error)   { return rxgo.Empty(), nil }
func (shop) order(w http.ResponseWriter, _ *http.Request) {}

func TestDescribeListsEveryRouteWithItsDeclarations(t *testing.T) {
	str, msg := reflect.TypeFor[string](), reflect.TypeFor[message]()
	got := controller.Describe(shop{})
	want := []controller.Route{
		{Method: "GET", Pattern: "/shop/{shop}/events", SSE: true, Controller: "controller_test.shop", Handler: "events",
			Declared: transport.Declaration{Status: 200, Errors: []int{404},
				Events: []transport.EventType{{Name: "note", Data: str}, {Name: "message", Data: msg}}}},
		{Method: "POST", Pattern: "/shop/{shop}/ask", SSE: true, Controller: "controller_test.shop", Handler: "ask",
			Declared: transport.Declaration{Status: 201, Errors: []int{400, 404}, Body: msg,
				Events: []transport.EventType{{Name: "note", Data: str}}}},
		{Method: "POST", Pattern: "/shop/{shop}/orders", Controller: "controller_test.shop", Handler: "order",
			Declared: transport.Declaration{Status: 201, Body: msg, Returns: msg}},
		{Method: "POST", Pattern: "/shop/{shop}/admin/audit", SSE: true, Controller: "controller_test.shop",
			Declared: transport.Declaration{Status: 202, Errors: []int{404},
				Events: []transport.EventType{{Name: "note", Data: str}}}},
		{Method: "", Pattern: "/shop/{shop}/admin/any", Controller: "controller_test.shop", Handler: "order",
			Declared: transport.Declaration{Status: 200}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d routes, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("route %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func TestDescribePanicsOnANilController(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	controller.Describe(nil)
}

// ptrShop has methods on a pointer receiver.
type ptrShop struct{}

func (s *ptrShop) Routes(r controller.Router) {
	r.Sse("/a", s.stream)
	r.Get("/b", topLevel)
	r.Get("/c", func(http.ResponseWriter, *http.Request) {})
	r.Handle("/d", http.NotFoundHandler())
	r.Handle("/e", http.NewServeMux())
}

func (*ptrShop) stream(*http.Request) rxgo.Observable { return rxgo.Empty() }

func topLevel(http.ResponseWriter, *http.Request) {}

// Handler names the method or function serving a route, and nothing for
// a function literal or a handler that is no function.
func TestDescribeNamesTheFunctionServingEachRoute(t *testing.T) {
	var got []string
	for _, rt := range controller.Describe(&ptrShop{}) {
		got = append(got, rt.Controller+" "+rt.Pattern+" "+rt.Handler)
	}
	want := []string{
		"*controller_test.ptrShop /a stream",
		"*controller_test.ptrShop /b topLevel",
		"*controller_test.ptrShop /c ",
		"*controller_test.ptrShop /d NotFound",
		"*controller_test.ptrShop /e ",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
