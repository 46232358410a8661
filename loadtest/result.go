package loadtest

import (
	"encoding/json"
	"io"
)

// Result is the one machine-readable line a run prints: the fields of its
// mode are set, the others are left out.
type Result struct {
	Mode  string `json:"mode"`            // firehose, fanout or churn
	Stack string `json:"stack,omitempty"` // the label of the server under test
	OK    bool   `json:"ok"`              // the run completed and every event validated
	// Error says why OK is false.
	Error   string  `json:"error,omitempty"`
	Seconds float64 `json:"seconds"` // the measured window

	// Firehose.
	Events       int64   `json:"events,omitempty"`         // events read
	Invalid      int64   `json:"invalid,omitempty"`        // events with a wrong id or data
	EventsPerSec float64 `json:"events_per_sec,omitempty"` // events read per second
	MBPerSec     float64 `json:"mb_per_sec,omitempty"`     // body megabytes (10^6) per second
	TTFEMillis   float64 `json:"ttfe_ms,omitempty"`        // dial to first event

	// Fanout.
	Clients           int     `json:"clients,omitempty"`              // clients asked for
	Connected         int     `json:"connected,omitempty"`            // clients holding a stream at the window's start
	Failed            int     `json:"failed"`                         // connections that failed (dial, status, type, or a churn error)
	Dropped           int     `json:"dropped"`                        // streams that ended before the window's end
	FirstDrop         string  `json:"first_drop,omitempty"`           // why the first of them ended
	FirstFail         string  `json:"first_fail,omitempty"`           // why the first failed connection failed
	Gaps              int64   `json:"gaps"`                           // sequence numbers skipped, all clients
	Reordered         int64   `json:"reordered"`                      // events at or below a sequence already seen
	LatencyP50        float64 `json:"p50_ms,omitempty"`               // delivery latency, milliseconds
	LatencyP90        float64 `json:"p90_ms,omitempty"`               //
	LatencyP99        float64 `json:"p99_ms,omitempty"`               //
	LatencyMax        float64 `json:"max_ms,omitempty"`               //
	TicksPerSec       float64 `json:"ticks_per_sec,omitempty"`        // events delivered per second, all clients
	EventsPerClient   float64 `json:"events_per_client,omitempty"`    // mean events a client received in the window
	MinClientEvents   int64   `json:"min_client_events"`              // the fewest events one connected client received
	RSSPerConnKB      float64 `json:"rss_per_conn_kb,omitempty"`      // (RSS at the window's end - RSS before) / connected
	RSSPerConnRampKB  float64 `json:"rss_per_conn_ramp_kb,omitempty"` // (RSS after the ramp, at the window's start - RSS before) / connected
	HeapPerConnKB     float64 `json:"heap_per_conn_kb,omitempty"`     // heap objects at the window's end minus before, per connection (runtime/metrics)
	StacksPerConnKB   float64 `json:"stacks_per_conn_kb,omitempty"`   // goroutine stacks at the window's end minus before, per connection
	HeapGoalKB        int64   `json:"heap_goal_kb,omitempty"`         // the GC's heap goal at the window's end
	GoroutinesAtEnd   int     `json:"goroutines_at_end,omitempty"`    // the server's goroutines at the window's end
	ServerCPUCores    float64 `json:"server_cpu_cores,omitempty"`     // server CPU over the window, in cores
	CPUPerEventMicros float64 `json:"cpu_per_event_us,omitempty"`     // server CPU over the window / events delivered in it, µs
	ServerRSSBeforeK  int64   `json:"server_rss_before_kb,omitempty"` // server RSS before the run
	ServerRSSAfterK   int64   `json:"server_rss_after_kb,omitempty"`  // server RSS in the window (fanout) or after the run

	// Churn.
	Connects          int64   `json:"connects,omitempty"`           // connect, read one event, close: completed cycles
	ConnectsPerSec    float64 `json:"connects_per_sec,omitempty"`   //
	GoroutinesBefore  int     `json:"goroutines_before,omitempty"`  // server goroutines before (-1: no endpoint)
	GoroutinesAfter   int     `json:"goroutines_after,omitempty"`   // after the churn and a settling wait
	GoroutinesSettled bool    `json:"goroutines_settled,omitempty"` // back to at most the count before
}

// WriteLine writes r as one line of JSON.
func (r Result) WriteLine(w io.Writer) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
