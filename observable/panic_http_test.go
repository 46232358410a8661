package observable_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/observable"
	"github.com/rxsse/rxsse/transport"
)

// panicServerEnv makes the test binary, re-executed, serve panicServer
// instead of running the test.
const panicServerEnv = "OBSERVABLE_PANIC_SERVER"

// panicServer holds routes whose user code panics, each in one of the places
// the package documents as safe, and a healthy one. Every route ticks every
// millisecond, so that the panics happen while other streams run.
func panicServer() http.Handler {
	quiet := transport.WithLogger(slog.New(slog.DiscardHandler))
	tick := time.Millisecond
	panicAt := func(v any) {
		if v == 1 {
			panic(fmt.Sprintf("user code panics at %v", v))
		}
	}
	route := func(source func(*http.Request) rxgo.Observable) http.Handler {
		return transport.Handler(source, quiet)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /healthy", route(func(*http.Request) rxgo.Observable {
		return observable.Interval(tick).
			Map(func(_ context.Context, v any) (any, error) { return fmt.Sprintf("tick %d", v), nil }).
			Take(3)
	}))
	mux.Handle("GET /producer", route(func(*http.Request) rxgo.Observable {
		return observable.Defer(func(ctx context.Context, next chan<- rxgo.Item) {
			for i := 0; rxgo.Of(i).SendContext(ctx, next); i++ {
				panicAt(i)
			}
		})
	}))
	mux.Handle("GET /map", route(func(*http.Request) rxgo.Observable {
		return observable.Interval(tick).
			Map(func(_ context.Context, v any) (any, error) { panicAt(v); return v, nil })
	}))
	mux.Handle("GET /filter", route(func(*http.Request) rxgo.Observable {
		return observable.Interval(tick).Filter(func(v any) bool { panicAt(v); return true })
	}))
	mux.Handle("GET /do-on-next", route(func(r *http.Request) rxgo.Observable {
		ticks := observable.Interval(tick).Take(3)
		// A side subscription, for logging say, on the request's context.
		ticks.DoOnNext(panicAt, rxgo.WithContext(r.Context()))
		return ticks
	}))
	return mux
}

// TestPanicsInUserCodeDoNotKillTheServer serves panicServer in a child
// process, so that a panic that escapes kills the child and not the test, and
// sends it 200 concurrent requests, a fifth of them healthy. The child must
// answer every request and still serve, then exit cleanly (its own goleak
// check included).
func TestPanicsInUserCodeDoNotKillTheServer(t *testing.T) {
	if os.Getenv(panicServerEnv) == "1" {
		servePanics(t)
		return
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), panicServerEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	out := bufio.NewReader(stdout)
	line, err := out.ReadString('\n')
	addr, found := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if err != nil || !found {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child did not start: %q, %v\n%s", line, err, stderr.String())
	}
	rest := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(out)
		rest <- string(b)
	}()

	client := &http.Client{Transport: &http.Transport{}, Timeout: 20 * time.Second}
	defer client.CloseIdleConnections()
	get := func(path string) (int, string, error) {
		resp, err := client.Get("http://" + addr + path)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), err
	}
	routes := []struct {
		path string
		want string // in the body
	}{
		{"/healthy", "data: tick 2\n\n"},
		{"/producer", "Internal server error"},
		{"/map", "Internal server error"},
		{"/filter", "Internal server error"},
		{"/do-on-next", "data: 2\n\n"},
	}
	const requests = 200
	var wg sync.WaitGroup
	errs := make(chan error, requests)
	for i := range requests {
		rt := routes[i%len(routes)]
		wg.Go(func() {
			status, body, err := get(rt.path)
			switch {
			case err != nil:
				errs <- fmt.Errorf("GET %s: %v", rt.path, err)
			case !strings.Contains(body, rt.want):
				errs <- fmt.Errorf("GET %s: %d %q, want %q in the body", rt.path, status, body, rt.want)
			}
		})
	}
	start := time.Now()
	wg.Wait()
	t.Logf("load took %v", time.Since(start))
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if _, body, err := get("/healthy"); err != nil || !strings.Contains(body, "data: tick 2\n\n") {
		t.Errorf("after the load, GET /healthy: %q, %v", body, err)
	}

	stdin.Close() // Asks the child to shut down.
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v\nstdout:\n%s\nstderr:\n%s", err, <-rest, stderr.String())
	}
}

// servePanics serves panicServer on a loopback port it prints, until its
// standard input closes, then shuts down.
func servePanics(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: panicServer()}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Printf("listening on %s\n", ln.Addr())
	io.Copy(io.Discard, os.Stdin)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	if err := <-served; err != http.ErrServerClosed {
		t.Errorf("serve: %v", err)
	}
}
