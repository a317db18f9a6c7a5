package loadtests

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Each shape's draws follow its distribution: the sample's mean and its
// distance from the distribution function (Kolmogorov–Smirnov) are checked.
// With n = 20,000 the KS bound 0.02 is 2.83/√n: a correct sampler exceeds it
// with a chance of about 2·e^(-2·2.83²) ≈ 2e-7. The mean is held to 5
// standard errors (chance below 1e-6). The seed is fixed besides.
func TestThinkFollowsItsDistribution(t *testing.T) {
	const n = 20_000
	sec := float64(time.Second)
	cases := []struct {
		name         string
		shape        string
		a, b         time.Duration
		mean, sd     float64 // of the distribution, in seconds
		cdf          func(x float64) float64
		lower, upper time.Duration
	}{
		{"uniform 1s..3s", ThinkUniform, time.Second, 3 * time.Second, 2, 2 / math.Sqrt(12),
			func(x float64) float64 { return min(max((x-1)/2, 0), 1) }, time.Second, 3 * time.Second},
		{"exponential mean 2s", ThinkExponential, 2 * time.Second, 0, 2, 2,
			func(x float64) float64 { return 1 - math.Exp(-x/2) }, 0, 40 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			th, err := newThink(tc.shape, tc.a, tc.b)
			require.NoError(t, err)
			rng := rand.New(rand.NewPCG(3, 5))
			xs := make([]float64, n)
			sum := 0.0
			for i := range xs {
				d := th.draw(rng)
				require.True(t, d >= tc.lower && d <= tc.upper, "draw %s outside [%s, %s]", d, tc.lower, tc.upper)
				xs[i] = float64(d) / sec
				sum += xs[i]
			}
			assert.InDelta(t, tc.mean, sum/n, 5*tc.sd/math.Sqrt(n), "mean")
			assert.Less(t, ksDistance(xs, tc.cdf), 0.02, "Kolmogorov–Smirnov distance")
		})
	}
}

func TestThinkFixedAndInvalid(t *testing.T) {
	th, err := newThink(ThinkFixed, 1500*time.Millisecond, 0)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(1, 2))
	assert.Equal(t, 1500*time.Millisecond, th.draw(rng))
	assert.Equal(t, time.Duration(0), think{}.draw(rng), "no think time")
	for _, tc := range []struct {
		shape string
		a, b  time.Duration
		want  string
	}{
		{"normal", time.Second, 0, `unknown think time "normal"; use fixed, uniform or exponential`},
		{ThinkFixed, -time.Second, 0, "think time fixed: a pause cannot be negative"},
		{ThinkUniform, 3 * time.Second, time.Second, "think time uniform: the upper bound 1s is below the lower 3s"},
	} {
		_, err := newThink(tc.shape, tc.a, tc.b)
		assert.EqualError(t, err, tc.want)
	}
}

// ksDistance is the Kolmogorov–Smirnov distance of the sample xs (sorted
// here) from the distribution function cdf.
func ksDistance(xs []float64, cdf func(float64) float64) float64 {
	sort.Float64s(xs)
	n := float64(len(xs))
	ks := 0.0
	for i, x := range xs {
		f := cdf(x)
		ks = max(ks, math.Abs(f-float64(i)/n), math.Abs(f-float64(i+1)/n))
	}
	return ks
}
