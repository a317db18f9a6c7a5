// Package scenarios runs one scenario of a suite once against one environment
// and returns a results.Run: HTTP checks now, browser flows (chromedp) next.
// Each scenario kind has its own file and one entry in the kinds map.
//
// It imports suite and results, never loadtests or anything above it.
package scenarios
