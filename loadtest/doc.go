// Package loadtest is the load benchmark of issue 10: a load generator for
// Server-Sent Events servers and the report it writes into BENCHMARKS.md.
//
// The generator has three modes, each bounded in time and each ending in one
// JSON result line:
//
//   - Firehose: one client reads GET /firehose?n=N to its end and validates
//     every event (consecutive ids from 1, data exactly
//     {"hello":"world","i":i}); it reports events/s, MB/s and the time to the
//     first event.
//   - Fanout: N clients hold GET /fanout for a window and measure the delivery
//     latency of each tick from the send time it carries, sequence gaps,
//     failed and dropped connections, the server's RSS per connection right
//     after the ramp and at the window's end and its CPU (per delivered event
//     too) read from /proc/<pid>, and its heap and goroutine stacks per
//     connection from its runtime (GET /debug/runtime, package runtimestats,
//     which the Go servers mount apart from their SSE routes). The window is
//     20 s by default (-window; make bench-load WINDOW=), long enough for
//     memory that grows while streams run to show. The clients may be spread round-robin over
//     several instances of one app (loadgen -addr a,b,c); RSS and CPU are
//     then those of the one process that runs them all.
//   - Churn: many clients in parallel connect, read one event and hang up; it
//     reports connects/s and the server's goroutines (GET /debug/goroutines)
//     and RSS before and after.
//
// The client is a raw net.Conn with a bufio.Reader and a parser that reads
// only the id and data fields: the load client shares the machine's cores
// with the server and must not be the bottleneck. Everything runs on
// 127.0.0.1.
//
// The servers under test are in rxsseapp (rxsse as its README teaches),
// nethttpapp (bare net/http, the ceiling) and nest (NestJS, the docs' @Sse);
// natsapp runs rxsseapp with its hub on NATS JetStream, one or three
// instances (rxsse-server -nats embedded -instances 3). cmd/benchload runs
// them all and rewrites BENCHMARKS.md (make bench-load); benchload -only
// nats -merge results.json (make bench-load ONLY=nats) runs only the NATS
// scenario and merges it into a saved run.
package loadtest
