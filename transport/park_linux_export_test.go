//go:build linux

package transport

// ParkedStreams returns how many streams are parked in the process.
func ParkedStreams() int { return parkedStreams() }
