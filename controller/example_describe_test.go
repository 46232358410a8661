package controller_test

import (
	"fmt"
	"net/http"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/controller"
	"github.com/rxsse/rxsse/transport"
)

// Note is the data of a notes stream.
type Note struct {
	Text string `json:"text"`
}

// NotesController declares what its routes send and read.
type NotesController struct{}

func (NotesController) Prefix() string { return "/notes" }

func (c NotesController) Routes(r controller.Router) {
	r.SseDefaults(transport.Errors(http.StatusForbidden))
	r.Sse("/", c.stream, transport.Emits[Note](""), transport.Emits[int]("count"))
	r.Post("/", c.add, transport.Body[Note](), transport.Returns[Note](http.StatusCreated))
}

func (NotesController) stream(*http.Request) rxgo.Observable       { return rxgo.Empty() }
func (NotesController) add(w http.ResponseWriter, _ *http.Request) {}

// Describe lists the route table with what each route declares, for the
// openapi module's document and for tests.
func ExampleDescribe() {
	for _, rt := range controller.Describe(NotesController{}) {
		fmt.Printf("%s %s (%s.%s) SSE=%v status %d errors %v\n",
			rt.Method, rt.Pattern, rt.Controller, rt.Handler, rt.SSE, rt.Declared.Status, rt.Declared.Errors)
		for _, ev := range rt.Declared.Events {
			fmt.Printf("  event %q: %v\n", ev.Name, ev.Data)
		}
		if rt.Declared.Body != nil {
			fmt.Printf("  body %v, returns %v\n", rt.Declared.Body, rt.Declared.Returns)
		}
	}
	// Output:
	// GET /notes (controller_test.NotesController.stream) SSE=true status 200 errors [403]
	//   event "message": controller_test.Note
	//   event "count": int
	// POST /notes (controller_test.NotesController.add) SSE=false status 201 errors []
	//   body controller_test.Note, returns controller_test.Note
}
