//go:build race

package natshub

// stormRace: the race detector multiplies the cost of every event on the
// NATS and HTTP paths, so the storm tests read less history under it.
const stormRace = true
