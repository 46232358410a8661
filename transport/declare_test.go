package transport_test

import (
	"net/http"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/transport"
)

type question struct {
	Text string `json:"text"`
}

type answer struct {
	Text string `json:"text"`
}

type page struct {
	Limit int `query:"limit"`
}

func TestDeclaredCollectsWhatTheOptionsDeclare(t *testing.T) {
	d := transport.Declared(
		transport.Emits[answer](""),
		transport.WithHeartbeat(time.Second), // no declaration: ignored
		nil,
		transport.Emits[string]("note"),
		transport.Emits[question]("message"), // "" and "message" are one type: the later wins
		transport.Query[page](),
		transport.Body[question](),
		transport.Errors(http.StatusNotFound, http.StatusBadRequest),
		transport.Errors(http.StatusNotFound),
		transport.Summary("Ask a question"),
		transport.WithStatus(http.StatusCreated),
	)
	want := transport.Declaration{
		Summary: "Ask a question",
		Status:  http.StatusCreated,
		Events: []transport.EventType{
			{Name: "note", Data: reflect.TypeFor[string]()},
			{Name: "message", Data: reflect.TypeFor[question]()},
		},
		Query:  reflect.TypeFor[page](),
		Body:   reflect.TypeFor[question](),
		Errors: []int{http.StatusBadRequest, http.StatusNotFound},
	}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("Declared = %+v\nwant %+v", d, want)
	}
}

func TestDeclaredWithoutDeclarationsIsA200WithNothingElse(t *testing.T) {
	d := transport.Declared()
	if !reflect.DeepEqual(d, transport.Declaration{Status: http.StatusOK}) {
		t.Errorf("Declared() = %+v, want only status 200", d)
	}
}

func TestReturnsSetsAPlainRoutesResponseAndStatus(t *testing.T) {
	d := transport.Declared(transport.Returns[answer](http.StatusCreated), transport.Errors(http.StatusConflict))
	if d.Returns != reflect.TypeFor[answer]() || d.Status != http.StatusCreated || !slices.Equal(d.Errors, []int{409}) {
		t.Errorf("Declared = %+v, want an answer with 201 and a 409", d)
	}
}

// Declarations document a route; they change nothing in what it sends.
func TestDeclarationsDoNotChangeTheStream(t *testing.T) {
	h := transport.Handler(func(*http.Request) rxgo.Observable { return items("hi") }, transport.Emits[int](""), transport.Errors(http.StatusTeapot))
	ts := serve(t, h)
	got := body(t, get(t, ts.URL, nil))
	if want := "\nid: 1\ndata: hi\n\n"; got != want {
		t.Errorf("body = %q, want %q", got, want)
	}
}
