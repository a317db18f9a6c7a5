// Package results is the shared vocabulary of probe: a scenario's Run with its
// Steps and timings, and (later) a load test's Summary. Every other package
// speaks it; it imports nothing of probe's. Its JSON form is versioned by
// SchemaVersion so saved results stay readable.
package results
