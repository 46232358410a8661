package transport_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/transport"
)

// frame returns ev with its wire form attached, as a broker publishes it.
func frame(t testing.TB, ev encoder.MessageEvent) encoder.MessageEvent {
	t.Helper()
	f, err := encoder.Frame(ev)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestAFramedStreamIsWrittenExactly(t *testing.T) {
	a := frame(t, encoder.MessageEvent{ID: "e-1", Type: "tick", Data: json.RawMessage(`{"n":1}`)})
	b := frame(t, encoder.MessageEvent{ID: "e-2", Data: "two\nlines"})
	ts := serve(t, transport.Handler(func(*http.Request) rxgo.Observable { return items(a, "plain", b) }))
	got := body(t, get(t, ts.URL, nil))
	want := "\nevent: tick\nid: e-1\ndata: {\"n\":1}\n\nid: 1\ndata: plain\n\nid: e-2\ndata: two\ndata: lines\n\n"
	if got != want {
		t.Errorf("body %q, want %q", got, want)
	}
}
