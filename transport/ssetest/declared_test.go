package ssetest_test

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/transport"
	"github.com/rxsse/rxsse/transport/ssetest"
)

// discard is a logger for the streams that end with an error.
var discard = slog.New(slog.DiscardHandler)

// note is the data of the routes' "note" events.
type note struct {
	Text string `json:"text"`
	N    int    `json:"n"`
}

// failures is a testing.TB that records what would fail a test, so a test
// can check that an assertion fails.
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
	panic(f) // ends the assertion; run recovers it
}

// run calls fn with a failures and returns what it recorded.
func (f *failures) run(fn func(testing.TB)) []string {
	func() {
		defer func() {
			if v := recover(); v != nil && v != f {
				panic(v)
			}
		}()
		fn(f)
	}()
	return f.errors
}

func TestExpectDeclaredChecksEveryEventAgainstTheRoutesDeclaration(t *testing.T) {
	declared := []transport.Option{
		transport.Emits[string](""),
		transport.Emits[note]("note"),
	}
	tests := []struct {
		name   string
		items  []any
		failed string // what the failure says, "" for none
	}{
		{"declared events pass", []any{
			"hello",
			encoder.MessageEvent{Type: "note", Data: note{Text: "a", N: 1}},
		}, ""},
		{"the transport's error frame passes", []any{
			"hello", errors.New("boom"),
		}, ""},
		{"an undeclared event type fails", []any{
			encoder.MessageEvent{Type: "presence", Data: "ann"},
		}, `undeclared event type "presence"`},
		{"data of another shape fails", []any{
			encoder.MessageEvent{Type: "note", Data: map[string]any{"text": "a", "n": "one"}},
		}, "data is no ssetest_test.note"},
		{"data with an undeclared field fails", []any{
			encoder.MessageEvent{Type: "note", Data: map[string]any{"text": "a", "n": 1, "by": "ann"}},
		}, `unknown field "by"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := ssetest.NewServer(transport.Handler(func(*http.Request) rxgo.Observable {
					return rxgo.Just(tt.items...)()
				}, append(declared, transport.WithLogger(discard))...))
				defer srv.Close()
				st, err := srv.Get(t.Context(), "/", nil)
				if err != nil {
					t.Fatal(err)
				}
				defer st.Close()
				f := &failures{TB: t}
				errs := f.run(func(tb testing.TB) {
					ssetest.ExpectDeclared(tb, st, transport.Declared(declared...), -1, nil)
				})
				switch {
				case tt.failed == "" && len(errs) > 0:
					t.Errorf("failed: %q", errs)
				case tt.failed != "" && (len(errs) != 1 || !strings.Contains(errs[0], tt.failed)):
					t.Errorf("failures %q, want one saying %q", errs, tt.failed)
				}
			})
		})
	}
}

func TestExpectDeclaredHandsEachEventToTheCheckWithItsDeclaration(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		opts := []transport.Option{transport.Emits[note]("note"), transport.Emits[string]("message")}
		srv := ssetest.NewServer(transport.Handler(func(*http.Request) rxgo.Observable {
			return rxgo.Just("a", encoder.MessageEvent{Type: "note", Data: note{Text: "b"}}, "c")()
		}, opts...))
		defer srv.Close()
		st, err := srv.Get(t.Context(), "/", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		var seen []string
		f := &failures{TB: t}
		errs := f.run(func(tb testing.TB) {
			events := ssetest.ExpectDeclared(tb, st, transport.Declared(opts...), 2, func(ev encoder.Event, et transport.EventType) error {
				seen = append(seen, ev.Type+" "+et.Name+" "+et.Data.String())
				if ev.Type == "note" {
					return errors.New("rejected")
				}
				return nil
			})
			if len(events) != 2 {
				t.Errorf("returned %d events, want 2", len(events))
			}
		})
		if want := "message message string|note note ssetest_test.note"; strings.Join(seen, "|") != want {
			t.Errorf("the check saw %q, want %q", seen, want)
		}
		if len(errs) != 1 || !strings.Contains(errs[0], "rejected") {
			t.Errorf("failures %q, want the check's", errs)
		}
	})
}
