// Package loadtests runs one load test of a suite once against one
// environment, with vegeta as the engine, and returns a results.Summary.
//
// The profile's phases become a vegeta Pacer (an open model: requests leave on
// schedule whatever the target does); results stream into per-endpoint HDR
// histograms and a one-second timeline, so memory stays flat however long the
// test runs. Bodies are counted, not kept. Plain-HTTP requests are written
// and read on the worker's own goroutine over probe's own keep-alive pool
// (wire.go); https goes through net/http's Transport. A new worker starts
// only when the busy ones wait on the target (the transport counts the
// requests it holds); when they wait on probe itself, for CPU
// (saturation.go) or for their results to be taken, sends go late, and
// short of CPU they are dropped, and the summary names the generator as the
// limit. A test whose load fits one processor runs on one until its
// goroutines wait for it (procs.go). OptionsFor is the one place the rules
// of sending load live (protected environments, headers, variables,
// redaction), for every command that sends it. Its live Prometheus metrics
// and their bounded push to a Pushgateway are in metrics.go.
//
// Journeys (journey.go) are virtual users in the same open model: their
// Pacer hands out the profile's arrivals and the users' due steps, the
// targeter renders a step with the user's captures, data row (feeder.go,
// unique rows split among shards) and cookies, and each result, carrying
// its user and due time in the URL's fragment, is judged (expect, capture)
// and sends the user on after its think time (think.go), or ends it.
//
// It imports suite and results, never scenarios.
package loadtests
