package transport_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/transport"
)

func ExampleHandler() {
	h := transport.Handler(func(r *http.Request) rxgo.Observable {
		return rxgo.Just(
			encoder.MessageEvent{Type: "greeting", Data: map[string]string{"hello": "world"}},
			"plain values become data",
		)()
	})
	srv := httptest.NewServer(h)
	defer srv.Close()

	resp, err := http.Get(srv.URL)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Header.Get("Content-Type"))
	fmt.Printf("%q\n", body)
	// Output:
	// text/event-stream
	// "\nevent: greeting\nid: 1\ndata: {\"hello\":\"world\"}\n\nid: 2\ndata: plain values become data\n\n"
}

func ExampleNewHTTPError() {
	h := transport.Handler(func(r *http.Request) rxgo.Observable {
		return rxgo.Thrown(transport.NewHTTPError(http.StatusNotFound, "no such room"))
	})
	srv := httptest.NewServer(h)
	defer srv.Close()

	resp, err := http.Get(srv.URL)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))
	// Output:
	// 404 {"statusCode":404,"message":"no such room","error":"Not Found"}
}
