package transport_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/observable"
	"github.com/rxsse/rxsse/transport"
)

var errNoRoom = transport.NewHTTPError(http.StatusNotFound, "no such room")

func TestPreStreamErrorsAreTheirStatusUnderCPUSaturation(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	quiet, _ := newLogger()
	mux := http.NewServeMux()
	// A lookup that takes a while, then fails: a fallible source's error.
	mux.Handle("/lookup", transport.Handler(func(*http.Request) (rxgo.Observable, error) {
		time.Sleep(time.Millisecond) // the lookup's own work
		return nil, errNoRoom
	}, transport.WithLogger(quiet)))
	// The seed form and the fallible form returning rxgo.Thrown: ready at once.
	mux.Handle("/thrown", transport.Handler(func(*http.Request) rxgo.Observable {
		return rxgo.Thrown(errNoRoom)
	}, transport.WithLogger(quiet)))
	mux.Handle("/thrown-e", transport.Handler(func(*http.Request) (rxgo.Observable, error) {
		return rxgo.Thrown(errNoRoom), nil
	}, transport.WithLogger(quiet)))
	ts := serve(t, mux)

	stop := make(chan struct{})
	var busy sync.WaitGroup
	for range 1 {
		busy.Go(func() {
			for n := 0; ; n++ {
				if n%1024 == 0 && isClosed(stop) {
					return
				}
			}
		})
	}
	defer busy.Wait()
	defer close(stop)

	const requests, workers = 1000, 50
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	defer client.CloseIdleConnections()
	paths := []string{"/lookup", "/thrown", "/thrown-e"}
	jobs := make(chan string)
	wrong := make(chan string, requests)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for path := range jobs {
				resp, err := client.Get(ts.URL + path)
				if err != nil {
					wrong <- err.Error()
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusNotFound {
					wrong <- fmt.Sprintf("%s: %d %q", path, resp.StatusCode, b)
				}
			}
		})
	}
	for i := range requests {
		jobs <- paths[i%len(paths)]
	}
	close(jobs)
	wg.Wait()
	close(wrong)
	n := 0
	for w := range wrong {
		if n++; n <= 5 {
			t.Error(w)
		}
	}
	if n > 0 {
		t.Errorf("%d of %d pre-stream errors were not their status", n, requests)
	}
}

func TestAFallibleSourcesErrorsGoThroughTheFilter(t *testing.T) {
	errMissing := errors.New("storage: missing")
	quiet, _ := newLogger()
	h := transport.Handler(func(*http.Request) (rxgo.Observable, error) { return nil, errMissing },
		transport.WithLogger(quiet),
		transport.WithErrorFilter(func(_ *http.Request, err error) error {
			if errors.Is(err, errMissing) {
				return transport.NewHTTPError(http.StatusGone, "gone for good")
			}
			return nil
		}))
	resp := get(t, serve(t, h).URL, nil)
	if got := body(t, resp); resp.StatusCode != http.StatusGone || got != `{"statusCode":410,"message":"gone for good","error":"Gone"}` {
		t.Errorf("got %d %s", resp.StatusCode, got)
	}
}

func TestInterceptorsStackOutermostFirst(t *testing.T) {
	tag := func(s string) transport.Interceptor {
		return func(_ *http.Request, stream rxgo.Observable) rxgo.Observable {
			return stream.Map(func(_ context.Context, v any) (any, error) { return v.(string) + s, nil })
		}
	}
	var nilOption transport.Option
	h := transport.Handler(func(*http.Request) rxgo.Observable { return items("x") },
		nilOption, // ignored, like a nil interceptor
		transport.WithInterceptors(tag("A"), nil, tag("B")),
		transport.WithInterceptors(tag("C")))
	// C is innermost: it sees the source's item first, A sees it last.
	if got := body(t, get(t, serve(t, h).URL, nil)); got != "\nid: 1\ndata: xCBA\n\n" {
		t.Errorf("body = %q, want the item through C, then B, then A", got)
	}
}

func TestAnInterceptorCanRejectWithAStatus(t *testing.T) {
	quiet, _ := newLogger()
	guard := func(r *http.Request, stream rxgo.Observable) rxgo.Observable {
		if r.Header.Get("Authorization") == "" {
			return rxgo.Thrown(transport.NewHTTPError(http.StatusUnauthorized, ""))
		}
		return stream
	}
	ts := serve(t, transport.Handler(func(*http.Request) rxgo.Observable { return items("x") },
		transport.WithInterceptors(guard), transport.WithLogger(quiet)))
	if resp := get(t, ts.URL, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no credentials: %d, want 401", resp.StatusCode)
	}
	if resp := get(t, ts.URL, http.Header{"Authorization": {"Bearer x"}}); resp.StatusCode != http.StatusOK {
		t.Errorf("with credentials: %d, want 200", resp.StatusCode)
	}
}

func TestTheErrorFilterDecidesTheBodyAndTheFrame(t *testing.T) {
	errQuota := errors.New("quota exceeded")
	filter := func(r *http.Request, err error) error {
		if !errors.Is(err, errQuota) {
			return nil // not ours: the default handling
		}
		return &transport.HTTPError{Status: http.StatusTooManyRequests, Message: "quota exceeded",
			Body: map[string]any{"code": "quota", "path": r.URL.Path}, Err: err}
	}
	message := func(_ *http.Request, err error) error {
		if !errors.Is(err, errQuota) {
			return nil
		}
		return transport.NewHTTPError(http.StatusTooManyRequests, "slow down")
	}
	tests := []struct {
		name   string
		source rxgo.Observable
		filter func(*http.Request, error) error
		status int
		body   string
	}{
		{"before the stream the filtered error's status and JSON body", rxgo.Thrown(errQuota), filter,
			http.StatusTooManyRequests, `{"code":"quota","path":"/p"}`},
		{"after it the filtered error's body as the frame", items("a", errQuota), filter,
			http.StatusOK, "\nid: 1\ndata: a\n\nevent: error\nid: 2\ndata: {\"code\":\"quota\",\"path\":\"/p\"}\n\n"},
		{"before the stream an HTTPError without a body in NestJS's shape", rxgo.Thrown(errQuota), message,
			http.StatusTooManyRequests, `{"statusCode":429,"message":"slow down","error":"Too Many Requests"}`},
		{"after it its message as the frame", items("a", errQuota), message,
			http.StatusOK, "\nid: 1\ndata: a\n\nevent: error\nid: 2\ndata: slow down\n\n"},
		{"an error the filter leaves keeps the default", rxgo.Thrown(errNoRoom), filter,
			http.StatusNotFound, `{"statusCode":404,"message":"no such room","error":"Not Found"}`},
		{"an unsafe error the filter leaves shows nothing", items("a", errors.New("secret")), filter,
			http.StatusOK, "\nid: 1\ndata: a\n\nevent: error\nid: 2\ndata: Internal server error\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logger, logs := newLogger()
			ts := serve(t, transport.Handler(func(*http.Request) rxgo.Observable { return tt.source },
				transport.WithErrorFilter(tt.filter), transport.WithLogger(logger)))
			resp := get(t, ts.URL+"/p", nil)
			if got := body(t, resp); resp.StatusCode != tt.status || got != tt.body {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, got, tt.status, tt.body)
			}
			if tt.status == http.StatusTooManyRequests && !logs.Contains("filtered=\"quota exceeded\"") {
				t.Errorf("the error the filter replaced was not logged: %s", logs)
			}
		})
	}
}

func TestTheErrorFilterNeverSeesAReconnect(t *testing.T) {
	var seen []error
	filter := func(_ *http.Request, err error) error {
		seen = append(seen, err)
		return transport.NewHTTPError(http.StatusServiceUnavailable, "")
	}
	quiet, _ := newLogger()
	ts := serve(t, transport.Handler(func(*http.Request) rxgo.Observable { return items("a", reconnectErr{}) },
		transport.WithErrorFilter(filter), transport.WithLogger(quiet)))
	if got := body(t, get(t, ts.URL, nil)); got != "\nid: 1\ndata: a\n\n" {
		t.Errorf("body %q, want the event and the end of the response", got)
	}
	if len(seen) != 0 {
		t.Errorf("the filter saw %v", seen)
	}
}

func TestWriteErrorAnswersLikeAnSSERoute(t *testing.T) {
	errs := []error{
		errNoRoom,
		statusErr{http.StatusTeapot},
		errors.New("secret database detail"),
		fmt.Errorf("wrapped: %w", transport.NewHTTPError(http.StatusForbidden, "")),
	}
	quiet, _ := newLogger()
	for _, err := range errs {
		t.Run(err.Error(), func(t *testing.T) {
			sse := get(t, serve(t, transport.Handler(func(*http.Request) rxgo.Observable { return rxgo.Thrown(err) },
				transport.WithLogger(quiet))).URL, nil)
			plain := get(t, serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				transport.WriteError(w, r, err)
			})).URL, nil)
			sb, pb := body(t, sse), body(t, plain)
			if sse.StatusCode != plain.StatusCode || sb != pb ||
				sse.Header.Get("Content-Type") != plain.Header.Get("Content-Type") {
				t.Errorf("SSE route: %d %s; WriteError: %d %s", sse.StatusCode, sb, plain.StatusCode, pb)
			}
			var v map[string]any
			if err := json.Unmarshal([]byte(pb), &v); err != nil || v["statusCode"] != float64(plain.StatusCode) {
				t.Errorf("body %s is not NestJS's shape", pb)
			}
		})
	}
	// HEAD gets the status and headers only.
	rec := httptest.NewRecorder()
	transport.WriteError(rec, httptest.NewRequest(http.MethodHead, "/", nil), errNoRoom)
	if rec.Code != http.StatusNotFound || rec.Body.Len() != 0 || rec.Header().Get("Content-Length") == "" {
		t.Errorf("HEAD: %d %q %v", rec.Code, rec.Body, rec.Header())
	}
}

func TestRecoveredPanicsAreObservablePanicErrors(t *testing.T) {
	var got error
	quiet, _ := newLogger()
	ts := serve(t, transport.Handler(func(*http.Request) rxgo.Observable { panic("boom") },
		transport.WithLogger(quiet),
		transport.WithErrorFilter(func(_ *http.Request, err error) error { got = err; return nil })))
	if resp := get(t, ts.URL, nil); resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("status %d", resp.StatusCode)
	}
	var pe *observable.PanicError
	if !errors.As(got, &pe) || pe.Value != "boom" {
		t.Errorf("the filter saw %T %v, want an *observable.PanicError of \"boom\"", got, got)
	}
}

func TestHandlerPanicsOnANilSource(t *testing.T) {
	for name, build := range map[string]func(){
		"the seed form": func() {
			var f func(*http.Request) rxgo.Observable
			transport.Handler(f)
		},
		"the fallible form": func() {
			var f func(*http.Request) (rxgo.Observable, error)
			transport.Handler(f)
		},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if got := recover(); got != "transport: Handler: nil source" {
					t.Errorf("panic %v, want the nil source named", got)
				}
			}()
			build()
		})
	}
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
