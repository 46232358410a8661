package controller_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/controller"
	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/transport"
	"github.com/rxsse/rxsse/transport/ssetest"
)

// RoomsController streams the messages of a chat room.
type RoomsController struct {
	rooms map[string][]string
}

// Prefix puts the controller's routes under /rooms, like
// @Controller('rooms').
func (RoomsController) Prefix() string { return "/rooms" }

// Routes declares GET /rooms/{room}/events, like an async
// @Sse(':room/events') method: the room is looked up before the stream
// starts, and a missing one is a 404.
func (c RoomsController) Routes(r controller.Router) {
	r.SseE("/{room}/events", c.events)
}

func (c RoomsController) events(r *http.Request) (rxgo.Observable, error) {
	messages, ok := c.rooms[chi.URLParam(r, "room")]
	if !ok {
		return nil, transport.NewHTTPError(http.StatusNotFound, "no such room")
	}
	items := make([]any, len(messages))
	for i, m := range messages {
		items[i] = encoder.MessageEvent{Type: "chat", Data: m}
	}
	return rxgo.Just(items...)(), nil
}

func Example() {
	r := chi.NewRouter()
	controller.Mount(r, RoomsController{rooms: map[string][]string{
		"lobby": {"hi", "hello"},
	}})

	srv := ssetest.NewServer(r)
	defer srv.Close()

	st, err := srv.Get(context.Background(), "/rooms/lobby/events", nil)
	if err != nil {
		panic(err)
	}
	defer st.Close()
	fmt.Println(st.Response.Status, st.Response.Header.Get("Content-Type"))
	for {
		ev, err := st.Next()
		if err != nil {
			break
		}
		fmt.Printf("id=%s event=%s data=%s\n", ev.LastEventID, ev.Type, ev.Data)
	}

	st, err = srv.Get(context.Background(), "/rooms/attic/events", nil)
	if err != nil {
		panic(err)
	}
	defer st.Close()
	body, _ := st.Body()
	fmt.Println(st.Response.Status, body)

	// Output:
	// 200 OK text/event-stream
	// id=1 event=chat data=hi
	// id=2 event=chat data=hello
	// 404 Not Found {"statusCode":404,"message":"no such room","error":"Not Found"}
}

// UploadController streams the lines of a posted body back, one event each.
type UploadController struct{}

// Routes declares POST /lines as a stream.
func (UploadController) Routes(r controller.Router) {
	r.SseE("POST /lines", func(r *http.Request) (rxgo.Observable, error) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, transport.NewHTTPError(http.StatusBadRequest, "unreadable body")
		}
		// Just emits each element of a slice as an item of its own.
		return rxgo.Just(strings.Fields(string(body)))(), nil
	})
}

func ExampleRouter_SseE() {
	r := chi.NewRouter()
	controller.Mount(r, UploadController{})
	srv := ssetest.NewServer(r)
	defer srv.Close()

	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/lines", strings.NewReader("one two"))
	st, err := srv.Do(req)
	if err != nil {
		panic(err)
	}
	defer st.Close()
	fmt.Println(st.Response.Status)
	for {
		ev, err := st.Next()
		if err != nil {
			break
		}
		fmt.Println(ev.Data)
	}

	// Output:
	// 201 Created
	// one
	// two
}

// AdminController is guarded by a middleware that only its routes run.
type AdminController struct{}

// Routes declares GET /admin/events behind a token check.
func (AdminController) Routes(r controller.Router) {
	r.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer s3cret" {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	r.Route("/admin", func(r controller.Router) {
		r.Sse("/events", func(*http.Request) rxgo.Observable { return rxgo.Just("secret")() })
	})
}

func ExampleRouter_Use() {
	r := chi.NewRouter()
	controller.Mount(r, AdminController{}, RoomsController{rooms: map[string][]string{"lobby": {"hi"}}})
	srv := ssetest.NewServer(r)
	defer srv.Close()

	for _, path := range []string{"/admin/events", "/rooms/lobby/events"} {
		st, err := srv.Get(context.Background(), path, nil)
		if err != nil {
			panic(err)
		}
		fmt.Println(path, st.Response.Status)
		st.Close()
	}

	// Output:
	// /admin/events 401 Unauthorized
	// /rooms/lobby/events 200 OK
}
