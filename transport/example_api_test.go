package transport_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/transport"
)

// fetch prints the status and body of a GET.
func fetch(url string) {
	resp, err := http.Get(url)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Printf("%d %q\n", resp.StatusCode, body)
}

func ExampleHandler_fallible() {
	// The source looks the room up first: its error is the response's
	// status, however long the lookup takes.
	rooms := map[string][]any{"go": {"hello", "gophers"}}
	h := transport.Handler(func(r *http.Request) (rxgo.Observable, error) {
		msgs, ok := rooms[r.URL.Query().Get("room")]
		if !ok {
			return nil, transport.NewHTTPError(http.StatusNotFound, "no such room")
		}
		return rxgo.Just(msgs...)(), nil
	})
	srv := httptest.NewServer(h)
	defer srv.Close()

	fetch(srv.URL + "?room=go")
	fetch(srv.URL + "?room=rust")
	// Output:
	// 200 "\nid: 1\ndata: hello\n\nid: 2\ndata: gophers\n\n"
	// 404 "{\"statusCode\":404,\"message\":\"no such room\",\"error\":\"Not Found\"}"
}

func ExampleWithInterceptors() {
	suffix := func(s string) transport.Interceptor {
		return func(_ *http.Request, stream rxgo.Observable) rxgo.Observable {
			return stream.Map(func(_ context.Context, v any) (any, error) {
				return fmt.Sprint(v, s), nil
			})
		}
	}
	h := transport.Handler(func(*http.Request) rxgo.Observable {
		return rxgo.Just("event")()
	}, transport.WithInterceptors(suffix(" (outer)"), suffix(" (inner)")))
	srv := httptest.NewServer(h)
	defer srv.Close()

	fetch(srv.URL)
	// Output:
	// 200 "\nid: 1\ndata: event (inner) (outer)\n\n"
}

func ExampleWriteError() {
	// A guard in front of an SSE route answers in the route's own shape.
	guard := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
				transport.WriteError(w, r, transport.NewHTTPError(http.StatusUnauthorized, "sign in first"))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	sse := transport.Handler(func(*http.Request) rxgo.Observable { return rxgo.Just("hi")() })
	srv := httptest.NewServer(guard(sse))
	defer srv.Close()

	fetch(srv.URL)
	// Output:
	// 401 "{\"statusCode\":401,\"message\":\"sign in first\",\"error\":\"Unauthorized\"}"
}

func ExampleWithErrorFilter() {
	errNoRows := errors.New("storage: no rows")
	errQuota := errors.New("storage: quota exceeded")
	// The filter turns storage errors into what clients may see.
	filter := func(_ *http.Request, err error) error {
		switch {
		case errors.Is(err, errNoRows):
			return transport.NewHTTPError(http.StatusNotFound, "no such room")
		case errors.Is(err, errQuota):
			return &transport.HTTPError{Status: http.StatusTooManyRequests,
				Body: map[string]string{"code": "quota"}, Err: err}
		}
		return nil // the default handling
	}
	h := transport.Handler(func(r *http.Request) rxgo.Observable {
		if r.URL.Path == "/rooms/gone" {
			return rxgo.Thrown(errNoRows)
		}
		return rxgo.Thrown(errQuota)
	}, transport.WithErrorFilter(filter))
	srv := httptest.NewServer(h)
	defer srv.Close()

	fetch(srv.URL + "/rooms/gone")
	fetch(srv.URL + "/rooms/busy")
	// Output:
	// 404 "{\"statusCode\":404,\"message\":\"no such room\",\"error\":\"Not Found\"}"
	// 429 "{\"code\":\"quota\"}"
}
