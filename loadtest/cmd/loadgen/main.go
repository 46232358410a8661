// Command loadgen is the load generator of the benchmark: it runs one mode
// against a server on 127.0.0.1 and prints one JSON result line
// (loadtest.Result). It exits 1 when the run failed (the line says why).
//
//	loadgen -mode firehose -addr 127.0.0.1:3000 -n 200000
//	loadgen -mode fanout -addr 127.0.0.1:3000 -clients 1000 -ramp 5s -window 20s -pid 1234
//	loadgen -mode fanout -addr 127.0.0.1:3001,127.0.0.1:3002,127.0.0.1:3003 -clients 1000 -pid 1234
//	loadgen -mode churn -addr 127.0.0.1:3000 -parallel 50 -duration 10s -pid 1234
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/rxsse/rxsse/loadtest"
)

func main() {
	var (
		mode     = flag.String("mode", "", "firehose, fanout or churn")
		addr     = flag.String("addr", "127.0.0.1:3000", "the server, on loopback; fanout: several, comma-separated, share the clients round-robin")
		stack    = flag.String("stack", "", "a label for the result line")
		pid      = flag.Int("pid", 0, "the server's pid, for RSS and CPU from /proc (0: skip; one process, also for several -addr)")
		n        = flag.Int("n", 200_000, "firehose: events")
		timeout  = flag.Duration("timeout", 60*time.Second, "firehose: bound on the run")
		clients  = flag.Int("clients", 1000, "fanout: concurrent clients")
		ramp     = flag.Duration("ramp", 5*time.Second, "fanout: spread the connects over this")
		window   = flag.Duration("window", loadtest.DefaultFanoutWindow, "fanout: measured window")
		parallel = flag.Int("parallel", 50, "churn: clients cycling at once")
		duration = flag.Duration("duration", 10*time.Second, "churn: how long")
		path     = flag.String("path", "/firehose?n=1", "churn: the stream to open")
	)
	flag.Parse()
	addrs := strings.Split(*addr, ",")
	for _, a := range addrs {
		if host, _, err := net.SplitHostPort(a); err != nil || net.ParseIP(host) == nil || !net.ParseIP(host).IsLoopback() {
			fmt.Fprintln(os.Stderr, "loadgen: -addr must be a loopback ip:port, or for fanout a comma-separated list of them")
			os.Exit(2)
		}
	}
	if len(addrs) > 1 && *mode != "fanout" {
		fmt.Fprintln(os.Stderr, "loadgen: several -addr only for fanout")
		os.Exit(2)
	}
	if _, err := loadtest.RaiseNoFileLimit(); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen: raising the open-files limit:", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var res loadtest.Result
	switch *mode {
	case "firehose":
		res = loadtest.Firehose(ctx, loadtest.FirehoseConfig{Addr: *addr, Stack: *stack, N: *n, Timeout: *timeout, PID: *pid})
	case "fanout":
		res = loadtest.Fanout(ctx, loadtest.FanoutConfig{Addrs: addrs, Stack: *stack, Clients: *clients, Ramp: *ramp, Window: *window, PID: *pid})
	case "churn":
		res = loadtest.Churn(ctx, loadtest.ChurnConfig{Addr: *addr, Stack: *stack, Path: *path, Parallel: *parallel, Duration: *duration, PID: *pid})
	default:
		fmt.Fprintln(os.Stderr, "loadgen: -mode must be firehose, fanout or churn")
		os.Exit(2)
	}
	if err := res.WriteLine(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
	if !res.OK {
		os.Exit(1)
	}
}
