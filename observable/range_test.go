package observable_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/observable"
	"github.com/rxsse/rxsse/transport"
)

func TestRangeEmitsCountIntsFromStartAndCompletes(t *testing.T) {
	for _, tc := range []struct {
		start, count int
		want         string
	}{
		{0, 3, "[0 1 2]"},
		{5, 1, "[5]"},
		{-2, 2, "[-2 -1]"},
		{7, 0, "[]"},
	} {
		var got []any
		for it := range observable.Range(tc.start, tc.count).Observe(rxgo.WithContext(t.Context())) {
			if it.E != nil {
				t.Fatalf("Range(%d, %d): error item %v", tc.start, tc.count, it.E)
			}
			got = append(got, it.V)
		}
		if fmt.Sprint(got) != tc.want {
			t.Errorf("Range(%d, %d) = %v, want %s", tc.start, tc.count, got, tc.want)
		}
	}
}

func TestRangeWithANegativeCountEmitsAnError(t *testing.T) {
	var last rxgo.Item
	for it := range observable.Range(0, -1).Observe(rxgo.WithContext(t.Context())) {
		last = it
	}
	if !errors.Is(last.E, observable.ErrInvalidArgument) {
		t.Errorf("last item %+v, want ErrInvalidArgument", last)
	}
}

func TestMapAndFilterOnRangeRunInlineAndStayPullable(t *testing.T) {
	obs := observable.Range(0, 10).
		Map(func(_ context.Context, v any) (any, error) { return v.(int) * 2, nil }).
		Filter(func(v any) bool { return v.(int)%3 == 0 })
	src, ok := obs.(puller)
	if !ok {
		t.Fatalf("Range().Map().Filter() is a %T, want a pulled Observable", obs)
	}
	it := src.Pull(t.Context())
	defer it.Close()
	var got []any
	for {
		item, st := it.Next()
		if st == observable.Done {
			break
		}
		if st == observable.Empty {
			t.Fatal("a Range was not ready")
		}
		got = append(got, item.V)
	}
	if fmt.Sprint(got) != "[0 6 12 18]" {
		t.Errorf("got %v, want [0 6 12 18]", got)
	}
}

func TestAPanicInAMapOnRangeIsAPanicError(t *testing.T) {
	var last rxgo.Item
	obs := observable.Range(0, 3).Map(func(context.Context, any) (any, error) { panic("boom") })
	for it := range obs.Observe(rxgo.WithContext(t.Context())) {
		last = it
	}
	var pe *observable.PanicError
	if !errors.As(last.E, &pe) || pe.Value != "boom" {
		t.Errorf("last item %+v, want the Map's *PanicError", last)
	}
}

// Served by the transport, a Range with a Map runs on the handler's
// goroutine: the whole burst costs no goroutine beyond the server's own.
func TestARangeStreamRunsOnTheHandlersGoroutine(t *testing.T) {
	var during int
	srv := httptest.NewServer(transport.Handler(func(*http.Request) rxgo.Observable {
		base := runtime.NumGoroutine()
		return observable.Range(0, 1000).Map(func(_ context.Context, v any) (any, error) {
			if v.(int) == 999 {
				during = runtime.NumGoroutine() - base
			}
			return encoder.MessageEvent{Data: v}, nil
		})
	}, transport.WithHeartbeat(0)))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	n := 0
	for ev, err := range encoder.NewDecoder(resp.Body).Events() {
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprint(n); ev.Data != want || ev.LastEventID != fmt.Sprint(n+1) {
			t.Fatalf("event %d: data %q, id %q", n, ev.Data, ev.LastEventID)
		}
		n++
	}
	if n != 1000 {
		t.Fatalf("%d events, want 1000", n)
	}
	if during > 0 {
		t.Errorf("the stream started %d goroutines, want none", during)
	}
}
