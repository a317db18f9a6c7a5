// Package gate compares a candidate build's load-test summaries with its
// baseline's and returns a verdict that names the endpoint and metric: pure
// statistics on results.Summary values, with no network, no clock and no
// files. It imports results only.
package gate
