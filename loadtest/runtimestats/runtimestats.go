// Package runtimestats is the harness-only endpoint of the load benchmark's
// Go servers: GET /debug/runtime answers the process's memory and goroutine
// figures from runtime/metrics as one JSON object (Stats), so that the load
// generator can report heap and goroutine stacks per connection next to the
// RSS it reads from /proc. The rxsse and the bare net/http servers mount the
// same Handler, apart from their SSE routes.
//
//	{"heap_objects_bytes":1234,"stacks_bytes":5678,"heap_goal_bytes":4096,"heap_live_bytes":1000,"goroutines":12}
package runtimestats

import (
	"encoding/json"
	"net/http"
	"runtime/metrics"
)

// Path is where the servers mount Handler.
const Path = "/debug/runtime"

// Stats is what Handler answers: runtime/metrics readings, in bytes.
type Stats struct {
	// HeapObjects is /memory/classes/heap/objects:bytes: live objects and
	// the dead ones the GC has not swept yet.
	HeapObjects int64 `json:"heap_objects_bytes"`
	// Stacks is /memory/classes/heap/stacks:bytes: goroutine stacks.
	Stacks int64 `json:"stacks_bytes"`
	// HeapGoal is /gc/heap/goal:bytes: the heap size the next GC aims at.
	HeapGoal int64 `json:"heap_goal_bytes"`
	// HeapLive is /gc/heap/live:bytes: the heap the last GC marked live.
	HeapLive int64 `json:"heap_live_bytes"`
	// Goroutines is /sched/goroutines:goroutines.
	Goroutines int64 `json:"goroutines"`
}

// names are the metrics Read samples, in Stats' field order.
var names = []string{
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/stacks:bytes",
	"/gc/heap/goal:bytes",
	"/gc/heap/live:bytes",
	"/sched/goroutines:goroutines",
}

// Read samples the runtime's metrics now; a metric this Go does not have
// reads as -1.
func Read() Stats {
	samples := make([]metrics.Sample, len(names))
	for i, n := range names {
		samples[i].Name = n
	}
	metrics.Read(samples)
	v := make([]int64, len(samples))
	for i, s := range samples {
		v[i] = -1
		if s.Value.Kind() == metrics.KindUint64 {
			v[i] = int64(s.Value.Uint64())
		}
	}
	return Stats{HeapObjects: v[0], Stacks: v[1], HeapGoal: v[2], HeapLive: v[3], Goroutines: v[4]}
}

// Handler answers Read as JSON.
func Handler(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(Read())
}
