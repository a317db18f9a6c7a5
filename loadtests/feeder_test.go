package loadtests

import (
	"errors"
	"fmt"
	"testing"

	"github.com/probe-dev/probe/suite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func dataset(n int) *suite.Dataset {
	ds := &suite.Dataset{Name: "users.csv", Columns: []string{"user"}}
	for i := range n {
		ds.Rows = append(ds.Rows, []string{fmt.Sprintf("u%d", i)})
	}
	return ds
}

// Unique rows are never used twice, across the shards of a distributed test
// either, and every row is used before any shard says they ran out.
func TestFeederUniqueAcrossShards(t *testing.T) {
	for _, rows := range []int{1, 4, 10, 101} {
		t.Run(fmt.Sprint(rows), func(t *testing.T) {
			ds, shards := dataset(rows), min(4, rows)
			used := map[int]int{}
			for s := range shards {
				f, err := newFeeder(ds, suite.DataUnique, s, shards, 1)
				require.NoError(t, err)
				for {
					i, err := f.row()
					if errors.Is(err, ErrDataExhausted) {
						assert.Contains(t, err.Error(), "rows of users.csv are taken (mode unique")
						break
					}
					require.NoError(t, err)
					used[i]++
				}
			}
			assert.Len(t, used, rows, "every row used")
			for i, n := range used {
				assert.Equal(t, 1, n, "row %d used %d times", i, n)
			}
		})
	}
}

func TestFeederCircular(t *testing.T) {
	f, err := newFeeder(dataset(3), suite.DataCircular, 1, 2, 1)
	require.NoError(t, err)
	var got []int
	for range 7 {
		i, err := f.row()
		require.NoError(t, err)
		got = append(got, i)
	}
	assert.Equal(t, []int{1, 2, 0, 1, 2, 0, 1}, got, "from the shard's own row, around")
}

// Random rows are drawn evenly: with 40,000 draws over 4 rows each count is
// 10,000 ± 87 (one standard deviation); the bound of 700 is 8 of them,
// which a correct picker exceeds with a chance far below 1 in 10^9.
func TestFeederRandom(t *testing.T) {
	f, err := newFeeder(dataset(4), suite.DataRandom, 0, 1, 7)
	require.NoError(t, err)
	counts := make([]int, 4)
	for range 40_000 {
		i, err := f.row()
		require.NoError(t, err)
		counts[i]++
	}
	for i, n := range counts {
		assert.InDelta(t, 10_000, n, 700, "row %d", i)
	}
}

func TestFeederInvalid(t *testing.T) {
	_, err := newFeeder(dataset(2), "once", 0, 1, 1)
	assert.EqualError(t, err, `users.csv: unknown data mode "once"; use unique, circular or random`)
	_, err = newFeeder(dataset(2), suite.DataUnique, 2, 3, 1)
	assert.EqualError(t, err, "users.csv: 2 rows for 3 shards: shard 2 would have none; give at least one row a shard")
}
