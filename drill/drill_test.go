package drill

import (
	"math"
	"testing"

	"github.com/probe-dev/probe/results"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFitUSL recovers a known curve from points on it.
func TestFitUSL(t *testing.T) {
	lambda, sigma, kappa := 100.0, 0.05, 0.002
	x := func(n float64) float64 { return lambda * n / (1 + sigma*(n-1) + kappa*n*(n-1)) }
	var steps []results.DrillStep
	for _, n := range []float64{1, 2, 4, 8, 12, 16, 24, 32} {
		steps = append(steps, results.DrillStep{Concurrency: n, Throughput: x(n)})
	}
	u := fitUSL(steps)
	require.NotNil(t, u)
	assert.InDelta(t, lambda, u.Lambda, 1e-6)
	assert.InDelta(t, sigma, u.Sigma, 1e-9)
	assert.InDelta(t, kappa, u.Kappa, 1e-9)
	peakN := math.Sqrt((1 - sigma) / kappa)
	assert.InDelta(t, peakN, u.PeakN, 1e-6)
	assert.InDelta(t, x(peakN), u.PeakX, 1e-6)
	assert.Less(t, u.RelErrRMS, 1e-9)

	assert.Nil(t, fitUSL(steps[:2]), "too few points to fit three parameters")
}

func TestKnee(t *testing.T) {
	steps := []results.DrillStep{{Rate: 50, P95: 20e6, OK: true}, {Rate: 100, P95: 22e6, OK: true}, {Rate: 150, P95: 40e6, OK: true}, {Rate: 200, P95: 400e6}}
	assert.Equal(t, 100.0, knee(steps))
}
