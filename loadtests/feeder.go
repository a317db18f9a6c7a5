package loadtests

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/probe-dev/probe/suite"
)

// ErrDataExhausted says a unique data set has no row left: the test stops
// with this reason rather than use a row twice.
var ErrDataExhausted = errors.New("test data used up")

// feeder hands out the rows of one data set to the journeys of one shard.
// Unique rows are split among shards (row i goes to shard i mod n), so no
// two shards of a distributed test use the same row; circular starts each
// shard at its own row, so shards spread over the set.
type feeder struct {
	ds     *suite.Dataset
	mode   string
	shard  int
	shards int

	mu   sync.Mutex
	next int // the next row index (unique, circular)
	rng  *rand.Rand
}

func newFeeder(ds *suite.Dataset, mode string, shard, shards int, seed uint64) (*feeder, error) {
	shards = max(shards, 1)
	switch mode {
	case suite.DataUnique:
		if shard >= len(ds.Rows) {
			return nil, fmt.Errorf("%s: %d rows for %d shards: shard %d would have none; give at least one row a shard", ds.Name, len(ds.Rows), shards, shard)
		}
	case suite.DataCircular, suite.DataRandom:
	default:
		return nil, fmt.Errorf("%s: unknown data mode %q; use unique, circular or random", ds.Name, mode)
	}
	return &feeder{ds: ds, mode: mode, shard: shard, shards: shards, next: shard % len(ds.Rows),
		rng: rand.New(rand.NewPCG(seed, seed^0x51ed270b27e3a5c9))}, nil
}

// row returns the next row's index, or ErrDataExhausted.
func (f *feeder) row() (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.ds.Rows)
	switch f.mode {
	case suite.DataUnique:
		if f.next >= n {
			return 0, fmt.Errorf("%w: all %d rows of %s are taken (mode unique%s); give more rows, or mode circular",
				ErrDataExhausted, f.rowsOfShard(), f.ds.Name, f.shardText())
		}
		i := f.next
		f.next += f.shards
		return i, nil
	case suite.DataCircular:
		i := f.next
		f.next = (f.next + 1) % n
		return i, nil
	}
	return f.rng.IntN(n), nil
}

// rowsOfShard is how many unique rows this shard has.
func (f *feeder) rowsOfShard() int {
	return (len(f.ds.Rows) - f.shard + f.shards - 1) / f.shards
}

func (f *feeder) shardText() string {
	if f.shards == 1 {
		return ""
	}
	return fmt.Sprintf(", this shard's share of %d", len(f.ds.Rows))
}
