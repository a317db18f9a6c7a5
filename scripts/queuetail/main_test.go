package main

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

// On one server with exponential service the time in system is exponential
// with rate 1-rho, so its p99 is ln(100)/(1-rho): the simulation must agree.
func TestP99MatchesMM1(t *testing.T) {
	for _, rho := range []float64{0.2, 0.8} {
		want := math.Log(100) / (1 - rho)
		got := p99(rho, 1, 200000, shapes[0], 3)
		assert.InDelta(t, want, got, 0.05*want, "rho %.1f", rho)
	}
}

// With a fixed service time and almost no load a request never waits.
func TestP99FixedIdle(t *testing.T) {
	assert.InDelta(t, 1.0, p99(0.001, 2, 100000, shapes[1], 5), 1e-9)
}
