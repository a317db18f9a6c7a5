// Package results is the shared vocabulary of probe: a scenario's Run with its
// attempts, steps and timings, and a load test's Summary with its HDR
// Histograms and timeline. Every other package speaks it; it imports nothing
// of probe's. Its JSON forms are versioned (Run.Version, Summary.Schema) so
// saved results stay readable.
package results
