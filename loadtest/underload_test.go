package loadtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/controller"
	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/loadtest/rxsseapp"
	"github.com/rxsse/rxsse/observable"
)

// panicky is a controller whose routes panic in user code, each in a way
// the README says is recovered: in the source function, in a producer of
// observable.Defer, in a Map chained on a guarded source, and in a
// marshaller.
type panicky struct{}

func (panicky) Routes(r controller.Router) {
	r.Sse("/panic/source", func(*http.Request) rxgo.Observable {
		panic("boom in the source")
	})
	r.Sse("/panic/producer", func(*http.Request) rxgo.Observable {
		return observable.Defer(func(context.Context, chan<- rxgo.Item) { panic("boom in a producer") })
	})
	r.Sse("/panic/map", func(*http.Request) rxgo.Observable {
		return observable.Guard(rxgo.Just(1)()).Map(func(context.Context, any) (any, error) {
			panic("boom in Map")
		})
	})
	r.Sse("/panic/marshal", func(*http.Request) rxgo.Observable {
		return rxgo.Just(encoder.MessageEvent{Data: boomJSON{}})()
	})
}

// boomJSON panics when marshalled.
type boomJSON struct{}

func (boomJSON) MarshalJSON() ([]byte, error) { panic("boom in MarshalJSON") }

// Issue 12's "under load" test at a small size: 200 fan-out streams, churn,
// a client that never reads a firehose, and routes panicking in user code,
// all at once against one rxsse server. Every fan-out client keeps receiving
// every tick (no gap, no dropped stream), the churn completes every cycle,
// each panic becomes an HTTP error or an error frame rather than a reset
// connection, and the process still serves afterwards. Speed is not
// asserted: the machine running the tests may be busy.
func TestUnderLoad(t *testing.T) {
	app := rxsseapp.New()
	r := chi.NewRouter()
	controller.Mount(r, app, panicky{})
	addr := serve(t, r, app.Close)

	// A client that asks for a huge firehose and never reads: its stream
	// stalls in the server's writes. It is closed before the server shuts
	// down (cleanups run last first), which ends the stalled write.
	stalled, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stalled.Close() })
	if _, err := io.WriteString(stalled, "GET /firehose?n=50000000 HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var (
		wg     sync.WaitGroup
		fanout Result
		churn  Result
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		defer cancel() // the panic hitters stop with the fan-out
		fanout = Fanout(t.Context(), FanoutConfig{
			Addr: addr, Clients: 200, Ramp: 500 * time.Millisecond,
			Settle: 500 * time.Millisecond, Window: 2 * time.Second,
		})
	}()
	go func() {
		defer wg.Done()
		churn = Churn(t.Context(), ChurnConfig{Addr: addr, Parallel: 8, Duration: 2 * time.Second})
	}()

	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 30 * time.Second}
	var panics, answered atomic.Int64
	errs := make(chan error, 4)
	for _, path := range []string{"/panic/source", "/panic/producer", "/panic/map", "/panic/marshal"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				panics.Add(1)
				if err := panicAnswered(client, "http://"+addr+path); err != nil {
					errs <- fmt.Errorf("%s: %w", path, err)
					return
				}
				answered.Add(1)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	if !fanout.OK || fanout.Connected != 200 || fanout.Failed != 0 || fanout.Dropped != 0 || fanout.Gaps != 0 || fanout.MinClientEvents < 1 {
		t.Errorf("fan-out under load: %+v", fanout)
	}
	if !churn.OK || churn.Failed != 0 || churn.Connects == 0 {
		t.Errorf("churn under load: %+v", churn)
	}
	if answered.Load() == 0 {
		t.Errorf("no panicking request answered (%d sent)", panics.Load())
	}
	// The process lives and still serves.
	if res := Firehose(t.Context(), FirehoseConfig{Addr: addr, N: 100}); !res.OK {
		t.Errorf("after the load: %+v", res)
	}
	t.Logf("fan-out p50 %.1f ms, p99 %.1f ms, %d events per client at least; churn %d cycles; %d panics answered",
		fanout.LatencyP50, fanout.LatencyP99, fanout.MinClientEvents, churn.Connects, answered.Load())
}

// panicAnswered requests url and checks that the panic came back as an
// answer: a 500, or a stream that ends with an error frame.
func panicAnswered(client *http.Client, url string) error {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(bufio.NewReader(resp.Body))
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("reading the answer: %w", err)
	}
	switch {
	case resp.StatusCode == http.StatusInternalServerError:
		return nil
	case resp.StatusCode == http.StatusOK && strings.Contains(string(body), "event: error"):
		return nil
	}
	return fmt.Errorf("status %d, body %q", resp.StatusCode, body)
}
