//go:build !race

package natshub

// stormRace: see storm_race_test.go.
const stormRace = false
