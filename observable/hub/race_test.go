//go:build race

package hub_test

// raceEnabled: the race detector multiplies the cost of every event on the
// HTTP path about tenfold, so the heaviest tests run smaller under it.
const raceEnabled = true
