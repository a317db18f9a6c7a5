package suite

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRandIntRange: every range a suite can write draws inside itself,
// the widest too (hi-lo+1 overflowed, and randInt 0 9223372036854775807
// failed every request of a suite that validated).
func TestRandIntRange(t *testing.T) {
	randInt := Funcs(TemplateEnv{Rand: rand.New(rand.NewPCG(1, 2))})["randInt"].(func(int, int) (int, error))
	cases := []struct{ lo, hi int }{
		{1, 1}, {-5, 5}, {0, math.MaxInt}, {math.MinInt, math.MaxInt}, {math.MinInt, math.MinInt + 1}, {-1, math.MaxInt},
	}
	for _, c := range cases {
		seen := map[int]bool{}
		for range 1000 {
			v, err := randInt(c.lo, c.hi)
			require.NoError(t, err, "randInt %d %d", c.lo, c.hi)
			require.True(t, v >= c.lo && v <= c.hi, "randInt %d %d drew %d", c.lo, c.hi, v)
			seen[v] = true
		}
		// A range of two or more gives more than one value.
		assert.Equal(t, c.lo == c.hi, len(seen) == 1, "randInt %d %d drew %d distinct values", c.lo, c.hi, len(seen))
	}
}
