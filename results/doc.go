// Package results is the shared vocabulary of probe: a scenario's Run with its
// attempts, steps and timings, and a load test's Summary with its HDR
// Histograms and timeline, a gate's findings, a drill's steps, and the facts
// about them that several packages need (the failing step of an attempt, the
// failure screenshot's name, the USL, stop reasons and drill limits, shard
// names). Every other package speaks it; it imports nothing of probe's. Its
// JSON forms are versioned (Run.Version, the schema of summaries, drills and
// report bundles), and Sniff tells them apart, so saved results stay
// readable and a file of the wrong kind is named as such.
package results
