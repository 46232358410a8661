package transport_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/transport"
)

func TestHandlerSendsNestHeaders(t *testing.T) {
	ts := serve(t, transport.Handler(func(*http.Request) rxgo.Observable { return items("x") }))
	resp := get(t, ts.URL, nil)
	want := map[string]string{
		"Content-Type":      "text/event-stream",
		"Cache-Control":     "private, no-cache, no-store, must-revalidate, max-age=0, no-transform",
		"Pragma":            "no-cache",
		"Expires":           "0",
		"X-Accel-Buffering": "no",
		"Connection":        "keep-alive",
	}
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status = %d, want 200", resp.StatusCode)
	}
	for k, v := range want {
		if got := resp.Header.Values(k); len(got) != 1 || got[0] != v {
			t.Errorf("header %s = %q, want [%q]", k, got, v)
		}
	}
}

func TestMiddlewareHeadersSurviveButOursWin(t *testing.T) {
	h := transport.Handler(func(*http.Request) rxgo.Observable { return items("x") })
	mw := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header()["content-type"] = []string{"text/plain"} // non-canonical on purpose
		w.Header().Set("Cache-Control", "public")
		h.ServeHTTP(w, r)
	})
	resp := get(t, serve(t, mw).URL, nil)
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("middleware header lost: %q", got)
	}
	if got := resp.Header.Values("Content-Type"); len(got) != 1 || got[0] != "text/event-stream" {
		t.Errorf("Content-Type = %q, want only text/event-stream", got)
	}
	if got := resp.Header.Get("Cache-Control"); !strings.HasPrefix(got, "private, no-cache") {
		t.Errorf("Cache-Control = %q, want ours", got)
	}
}

func TestStatusCanBeChosenPerRoute(t *testing.T) {
	ts := serve(t, transport.Handler(func(*http.Request) rxgo.Observable { return items("x") }, transport.WithStatus(http.StatusCreated)))
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, ts.URL, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("status = %d, want 201", resp.StatusCode)
	}
	if got := body(t, resp); got != "\nid: 1\ndata: x\n\n" {
		t.Errorf("body = %q", got)
	}
}

func TestItemsAreWrittenAsEventsWithAutoIDs(t *testing.T) {
	src := func(*http.Request) rxgo.Observable {
		return items(
			encoder.MessageEvent{Data: "a"},
			&encoder.MessageEvent{Data: "b", ID: "x"},
			"plain",
			struct{ A int }{1},
			encoder.MessageEvent{Comment: "only a comment"},
			encoder.MessageEvent{Type: "tick", Data: map[string]string{"hello": "world"}},
		)
	}
	tests := []struct {
		name string
		opts []transport.Option
		want string
	}{
		{"ids count from 1 and skip events that carry one and comment-only messages", nil,
			"\nid: 1\ndata: a\n\nid: x\ndata: b\n\nid: 2\ndata: plain\n\nid: 3\ndata: {\"A\":1}\n\n: only a comment\n\nevent: tick\nid: 4\ndata: {\"hello\":\"world\"}\n\n"},
		{"auto ids can be turned off", []transport.Option{transport.WithAutoID(false)},
			"\ndata: a\n\nid: x\ndata: b\n\ndata: plain\n\ndata: {\"A\":1}\n\n: only a comment\n\nevent: tick\ndata: {\"hello\":\"world\"}\n\n"},
		{"a retry hint is written once at the start", []transport.Option{transport.WithRetry(3 * time.Second), transport.WithAutoID(false)},
			"\nretry: 3000\n\ndata: a\n\nid: x\ndata: b\n\ndata: plain\n\ndata: {\"A\":1}\n\n: only a comment\n\nevent: tick\ndata: {\"hello\":\"world\"}\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := get(t, serve(t, transport.Handler(src, tt.opts...)).URL, nil)
			if got := body(t, resp); got != tt.want {
				t.Errorf("body =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

type statusErr struct{ code int }

func (e statusErr) Error() string   { return "status error with secret details" }
func (e statusErr) StatusCode() int { return e.code }

var errNoRows = errors.New("no rows")

func TestAnErrorBeforeTheFirstEventIsAnHTTPError(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		opts   []transport.Option
		status int
		body   string
	}{
		{"an HTTPError shows its status and message", transport.NewHTTPError(404, "no such room"), nil,
			404, `{"statusCode":404,"message":"no such room","error":"Not Found"}`},
		{"an HTTPError without message shows the status text", transport.NewHTTPError(403, ""), nil,
			403, `{"statusCode":403,"message":"Forbidden"}`},
		{"a wrapped HTTPError is found", errors.Join(errors.New("ctx"), transport.NewHTTPError(409, "taken")), nil,
			409, `{"statusCode":409,"message":"taken","error":"Conflict"}`},
		{"an error with StatusCode shows only the status text", statusErr{401}, nil,
			401, `{"statusCode":401,"message":"Unauthorized"}`},
		{"a 5xx StatusCode error shows only the status text", statusErr{503}, nil,
			503, `{"statusCode":503,"message":"Service Unavailable"}`},
		{"any other error is a 500", errors.New("database password is hunter2"), nil,
			500, `{"statusCode":500,"message":"Internal server error"}`},
		{"an error filter can turn an error into an HTTP error", errNoRows,
			[]transport.Option{transport.WithErrorFilter(func(_ *http.Request, err error) error {
				if errors.Is(err, errNoRows) {
					return transport.NewHTTPError(404, "")
				}
				return err
			})},
			404, `{"statusCode":404,"message":"Not Found"}`},
		{"an item the encoder rejects is a 500", nil, nil,
			500, `{"statusCode":500,"message":"Internal server error"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logger, logs := newLogger()
			src := func(*http.Request) rxgo.Observable {
				if tt.err == nil {
					return items(encoder.MessageEvent{ID: "bad\nid", Data: "x"})
				}
				return rxgo.Thrown(tt.err)
			}
			opts := append([]transport.Option{transport.WithLogger(logger)}, tt.opts...)
			resp := get(t, serve(t, transport.Handler(src, opts...)).URL, nil)
			if resp.StatusCode != tt.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.status)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
			if got := body(t, resp); got != tt.body {
				t.Errorf("body = %s, want %s", got, tt.body)
			}
			if !logs.Contains("sse: stream") {
				t.Errorf("the error was not logged: %s", logs)
			}
		})
	}
}

func TestAnErrorAfterTheFirstEventIsAnErrorFrame(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"an HTTPError's message is shown", transport.NewHTTPError(410, "room closed"),
			"\nid: 1\ndata: a\n\nid: 2\ndata: b\n\nevent: error\nid: 3\ndata: room closed\n\n"},
		{"any other error says only Internal server error", errors.New("secret"),
			"\nid: 1\ndata: a\n\nid: 2\ndata: b\n\nevent: error\nid: 3\ndata: Internal server error\n\n"},
		{"an item the encoder rejects ends the stream with an error frame", nil,
			"\nid: 1\ndata: a\n\nid: 2\ndata: b\n\nevent: error\nid: 3\ndata: Internal server error\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logger, logs := newLogger()
			src := func(*http.Request) rxgo.Observable {
				var last any = tt.err
				if tt.err == nil {
					last = encoder.MessageEvent{Type: "bad\ntype", Data: "x"}
				}
				return items("a", "b", last, "never sent")
			}
			resp := get(t, serve(t, transport.Handler(src, transport.WithLogger(logger))).URL, nil)
			if got := body(t, resp); got != tt.want {
				t.Errorf("body =\n%q\nwant\n%q", got, tt.want)
			}
			if tt.err == nil || !strings.Contains(tt.err.Error(), "room") {
				if !logs.Contains("level=ERROR") {
					t.Errorf("a hidden error must be logged: %s", logs)
				}
			}
		})
	}
}

type panicky struct{}

func (panicky) MarshalJSON() ([]byte, error) { panic("marshaller exploded") }

func TestPanicsAreRecoveredAndTheServerKeepsServing(t *testing.T) {
	logger, logs := newLogger()
	mux := http.NewServeMux()
	mux.Handle("/source", transport.Handler(func(*http.Request) rxgo.Observable { panic("source exploded") }, transport.WithLogger(logger)))
	mux.Handle("/encode", transport.Handler(func(*http.Request) rxgo.Observable { return items("ok", panicky{}) }, transport.WithLogger(logger)))
	mux.Handle("/nil", transport.Handler(func(*http.Request) rxgo.Observable { return nil }, transport.WithLogger(logger)))
	mux.Handle("/fine", transport.Handler(func(*http.Request) rxgo.Observable { return items("fine") }))
	ts := serve(t, mux)

	resp := get(t, ts.URL+"/source", nil)
	if resp.StatusCode != 500 || body(t, resp) != `{"statusCode":500,"message":"Internal server error"}` {
		t.Errorf("a panicking source gave %d", resp.StatusCode)
	}
	if !logs.Contains("source exploded") {
		t.Errorf("the panic was not logged: %s", logs)
	}
	resp = get(t, ts.URL+"/encode", nil)
	if got := body(t, resp); got != "\nid: 1\ndata: ok\n\nevent: error\nid: 2\ndata: Internal server error\n\n" {
		t.Errorf("a panic after the first write gave %q", got)
	}
	if resp := get(t, ts.URL+"/nil", nil); resp.StatusCode != 500 {
		t.Errorf("a nil observable gave %d, want 500", resp.StatusCode)
	}
	if got := body(t, get(t, ts.URL+"/fine", nil)); got != "\nid: 1\ndata: fine\n\n" {
		t.Errorf("after the panics the server answered %q", got)
	}
}

func TestCompletionEndsTheResponse(t *testing.T) {
	resp := get(t, serve(t, transport.Handler(func(*http.Request) rxgo.Observable { return rxgo.Empty() })).URL, nil)
	if resp.StatusCode != 200 || body(t, resp) != "\n" {
		t.Errorf("an empty stream should be 200 with a lone newline")
	}
}

func TestLastEventID(t *testing.T) {
	tests := []struct {
		name, header, query, want string
	}{
		{"the header is the resume point", "41", "", "41"},
		{"the query parameter serves clients that cannot set headers", "", "lastEventId=17", "17"},
		{"the header wins over the query", "41", "lastEventId=17", "41"},
		{"a fresh client has none", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := http.NewRequest(http.MethodGet, "/sse?"+tt.query, nil)
			if tt.header != "" {
				r.Header.Set("Last-Event-ID", tt.header)
			}
			if got := transport.LastEventID(r); got != tt.want {
				t.Errorf("LastEventID = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestHTTPErrorJSONMatchesNest(t *testing.T) {
	var got map[string]any
	resp := get(t, serve(t, transport.Handler(func(*http.Request) rxgo.Observable {
		return rxgo.Thrown(transport.NewHTTPError(http.StatusBadRequest, "bad cursor"))
	})).URL, nil)
	if err := json.Unmarshal([]byte(body(t, resp)), &got); err != nil {
		t.Fatal(err)
	}
	if got["statusCode"] != 400.0 || got["message"] != "bad cursor" || got["error"] != "Bad Request" {
		t.Errorf("body = %v", got)
	}
}

func TestErrAbortHandlerStillAbortsTheResponse(t *testing.T) {
	ts := serve(t, transport.Handler(func(*http.Request) rxgo.Observable { panic(http.ErrAbortHandler) }))
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, ts.URL, nil)
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got a %d response, want the connection aborted", resp.StatusCode)
	}
}

func TestAutoIDsMatchNestsTestVector(t *testing.T) {
	src := func(*http.Request) rxgo.Observable {
		return items(
			encoder.MessageEvent{Comment: "comment-only"},
			encoder.MessageEvent{Type: "notice", Comment: "with-type"},
			encoder.MessageEvent{Retry: time.Second, Comment: "with-retry"},
			encoder.MessageEvent{Comment: "with-data", Data: "hello"},
		)
	}
	const want = "\n: comment-only\n\nevent: notice\nid: 1\n: with-type\n\nid: 2\nretry: 1000\n: with-retry\n\nid: 3\n: with-data\ndata: hello\n\n"
	if got := body(t, get(t, serve(t, transport.Handler(src)).URL, nil)); got != want {
		t.Errorf("body =\n%q\nwant\n%q", got, want)
	}
}

func TestAnErrorFrameNeverMovesTheResumePointBackwards(t *testing.T) {
	quiet, _ := newLogger()
	tests := []struct {
		name   string
		source rxgo.Observable
		want   string
	}{
		{"events with their own ids (a hub route, default options): the frame has no id",
			items(encoder.MessageEvent{ID: "e-41", Data: "a"}, encoder.MessageEvent{ID: "e-42", Data: "b"}, errors.New("x")),
			"\nid: e-41\ndata: a\n\nid: e-42\ndata: b\n\nevent: error\ndata: Internal server error\n\n"},
		{"an error before any id (the client resumes from its Last-Event-ID): the frame has no id",
			items(encoder.MessageEvent{Comment: "hello"}, errors.New("x")),
			"\n: hello\n\nevent: error\ndata: Internal server error\n\n"},
		{"events numbered by the transport: the frame takes the next number",
			items("a", "b", errors.New("x")),
			"\nid: 1\ndata: a\n\nid: 2\ndata: b\n\nevent: error\nid: 3\ndata: Internal server error\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := serve(t, transport.Handler(func(*http.Request) rxgo.Observable { return tt.source }, transport.WithLogger(quiet)))
			if got := body(t, get(t, ts.URL, nil)); got != tt.want {
				t.Errorf("body =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

// TestAPanicInTheErrorFilterIsRecovered: a panicking WithErrorFilter
// function is recovered as panics in sources and interceptors are: the
// client gets a 500 before the first event and an error frame after it,
// the panic is logged, and the server keeps serving.
func TestAPanicInTheErrorFilterIsRecovered(t *testing.T) {
	logger, logs := newLogger()
	boom := errors.New("storage down")
	filter := transport.WithErrorFilter(func(*http.Request, error) error { panic("filter exploded") })
	mux := http.NewServeMux()
	mux.Handle("/before", transport.Handler(func(*http.Request) rxgo.Observable { return items(boom) }, filter, transport.WithLogger(logger)))
	mux.Handle("/after", transport.Handler(func(*http.Request) rxgo.Observable { return items("ok", boom) }, filter, transport.WithLogger(logger)))
	ts := serve(t, mux)

	resp := get(t, ts.URL+"/before", nil)
	if got := body(t, resp); resp.StatusCode != 500 || got != `{"statusCode":500,"message":"Internal server error"}` {
		t.Errorf("before the first event: %d %q, want a 500", resp.StatusCode, got)
	}
	resp = get(t, ts.URL+"/after", nil)
	if got := body(t, resp); got != "\nid: 1\ndata: ok\n\nevent: error\nid: 2\ndata: Internal server error\n\n" {
		t.Errorf("after the first event: %q, want the event and an error frame", got)
	}
	if !logs.Contains("error filter panicked") || !logs.Contains("filter exploded") || !logs.Contains("storage down") {
		t.Errorf("the panic was not logged with the error it was given: %s", logs)
	}
}
