package main

import (
	"context"
	"testing"

	"github.com/probe-dev/probe/demoapp"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSimulation runs the evaluation's simulation on a few seeded gates per
// case: identical builds pass and a real regression fails naming its route.
// The seeds are fixed, so the outcome is too: the test fails only when the
// gate's decisions change for the worse.
func TestSimulation(t *testing.T) {
	pick := map[string]bool{"A/A: identical builds": true, "A/A, 3% errors on both": true, "+10% on home (18% of traffic)": true}
	var cs []evalCase
	for _, c := range cases {
		if pick[c.name] {
			cs = append(cs, c)
		}
	}
	require.Len(t, cs, len(pick))
	for _, r := range simulate(context.Background(), cs, 8) {
		t.Run(r.c.name, func(t *testing.T) {
			assert.Equal(t, 8, r.gates)
			if r.c.want == "pass" {
				assert.GreaterOrEqual(t, r.pass, 7, "%+v", r)
				assert.Zero(t, r.fail, "%+v", r)
			} else {
				assert.GreaterOrEqual(t, r.named, 7, "%+v", r)
			}
			assert.GreaterOrEqual(t, float64(r.covered), 0.9*float64(r.intervals), "intervals cover the truth")
		})
	}
}

// TestFaultFlagsRoundTrip: the --fault flags the live runs give the demo
// shops read back as the faults the simulation draws from.
func TestFaultFlagsRoundTrip(t *testing.T) {
	for _, c := range cases {
		want := faultsOf(c, true)
		flags := faultFlags(want)
		require.Len(t, flags, 2*len(routes))
		for i := 1; i < len(flags); i += 2 {
			route, got, err := demoapp.ParseRouteFault(flags[i])
			require.NoError(t, err, flags[i])
			assert.Equal(t, want[route], got, c.name)
		}
	}
}
