package openapitest_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/go-chi/chi/v5"
	"github.com/reactivex/rxgo/v2"
	"go.uber.org/goleak"

	"github.com/rxsse/rxsse/controller"
	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/openapi"
	"github.com/rxsse/rxsse/openapi/openapitest"
	"github.com/rxsse/rxsse/transport"
	"github.com/rxsse/rxsse/transport/ssetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type message struct {
	Name string `json:"name"`
	Text string `json:"text"`
}

type presence struct {
	Names []string `json:"names"`
}

// feed declares message and presence events and sends items, whatever
// they are.
type feed struct{ items []any }

func (c feed) Routes(r controller.Router) {
	r.Sse("/rooms/{room}/events", c.events, transport.Emits[message](""), transport.Emits[presence]("presence"))
}

func (c feed) events(*http.Request) rxgo.Observable { return rxgo.Just(c.items...)() }

// failures is a testing.TB that records what would fail a test.
type failures struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (f *failures) Helper() {}

func (f *failures) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}

func (f *failures) Fatalf(format string, args ...any) {
	f.Errorf(format, args...)
	panic(f)
}

// check streams c's route and checks every event against the generated
// document with openapitest, returning the failures.
func check(t *testing.T, c feed, use func(testing.TB, *ssetest.Stream, transport.Declaration, func(encoder.Event, transport.EventType) error)) []string {
	t.Helper()
	routes := controller.Describe(c)
	doc, err := openapi.New(openapi.Info{Title: "feed", Version: "1"}, routes...)
	if err != nil {
		t.Fatal(err)
	}
	f := &failures{TB: t}
	synctest.Test(t, func(t *testing.T) {
		r := chi.NewRouter()
		controller.Mount(r, c)
		srv := ssetest.NewServer(r)
		defer srv.Close()
		st, err := srv.Get(t.Context(), "/rooms/lobby/events", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		chk := openapitest.Check(t, doc.JSON(), "GET", "/rooms/{room}/events")
		func() {
			defer func() {
				if v := recover(); v != nil && v != f {
					panic(v)
				}
			}()
			use(f, st, routes[0].Declared, chk)
		}()
	})
	return f.errors
}

// expectDeclared is ssetest.ExpectDeclared over the whole stream.
func expectDeclared(tb testing.TB, st *ssetest.Stream, d transport.Declaration, chk func(encoder.Event, transport.EventType) error) {
	ssetest.ExpectDeclared(tb, st, d, -1, chk)
}

// schemaOnly checks each event with the schema alone, not the declaration,
// to show that the document refuses what the route does not declare.
func schemaOnly(tb testing.TB, st *ssetest.Stream, _ transport.Declaration, chk func(encoder.Event, transport.EventType) error) {
	for ev, err := range st.Events() {
		if err != nil {
			tb.Fatalf("%v", err)
		}
		if err := chk(ev, transport.EventType{}); err != nil {
			tb.Errorf("%s event: %v", ev.Type, err)
		}
	}
}

func TestEveryEventIsValidatedAgainstTheGeneratedSchema(t *testing.T) {
	ok := []any{
		encoder.MessageEvent{Data: message{Name: "ann", Text: "hi"}},
		encoder.MessageEvent{Type: "presence", Data: presence{Names: []string{"ann", "bob"}}},
		encoder.MessageEvent{Type: "message", Data: message{Name: "bob", Text: "hello"}},
	}
	tests := []struct {
		name   string
		items  []any
		failed string // what the one failure says; "" for none
	}{
		{"a stream of declared events passes", ok, ""},
		{"an event of an undeclared type fails", append(ok, encoder.MessageEvent{Type: "typing", Data: message{Name: "ann"}}), "oneOf"},
		{"data missing a required property fails", append(ok, encoder.MessageEvent{Data: map[string]string{"name": "ann"}}), "oneOf"},
		{"data of another type fails", append(ok, encoder.MessageEvent{Type: "presence", Data: map[string]any{"names": "ann"}}), "oneOf"},
		{"data with an undeclared property fails", append(ok, encoder.MessageEvent{Data: map[string]string{"name": "a", "text": "b", "by": "c"}}), "oneOf"},
		{"data that is no JSON fails", append(ok, encoder.MessageEvent{Data: "ann: hi"}), "oneOf"},
	}
	for _, tt := range tests {
		for _, use := range []struct {
			name string
			fn   func(testing.TB, *ssetest.Stream, transport.Declaration, func(encoder.Event, transport.EventType) error)
		}{{"with ExpectDeclared", expectDeclared}, {"by the schema alone", schemaOnly}} {
			t.Run(tt.name+" "+use.name, func(t *testing.T) {
				errs := check(t, feed{items: tt.items}, use.fn)
				switch {
				case tt.failed == "" && len(errs) > 0:
					t.Errorf("failed: %q", errs)
				case tt.failed != "" && len(errs) != 1:
					t.Errorf("failures %q, want one", errs)
				case tt.failed != "" && !strings.Contains(errs[0], "event 4") && use.name == "with ExpectDeclared":
					t.Errorf("failure %q, want one about event 4", errs[0])
				}
			})
		}
	}
}

// A route the document does not have is the test's failure.
func TestCheckFailsWithoutTheOperation(t *testing.T) {
	doc, err := openapi.New(openapi.Info{Title: "feed", Version: "1"}, controller.Describe(feed{})...)
	if err != nil {
		t.Fatal(err)
	}
	f := &failures{TB: t}
	func() {
		defer func() { recover() }()
		openapitest.Check(f, doc.JSON(), "GET", "/nowhere")
	}()
	if len(f.errors) != 1 || !strings.Contains(f.errors[0], "no operation GET /nowhere") {
		t.Errorf("failures %q", f.errors)
	}
}
