package results

import (
	"fmt"
	"strconv"
	"strings"
)

// MaxShards bounds N in a shard I/N: far more pods than one load test
// runs on, and few enough that a merge can list the shards missing (one of
// 9223372036854775807 made merge list every other one, without end).
const MaxShards = 1000

// ParseShard reads "I/N": slice I of N, 0 ≤ I < N ≤ MaxShards.
func ParseShard(s string) (i, n int, err error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, fmt.Errorf("shard %q: want I/N with 0 ≤ I < N, like 0/4", s)
	}
	if n > MaxShards {
		return 0, 0, fmt.Errorf("shard %q: at most %d shards", s, MaxShards)
	}
	return i, n, nil
}

// CheckShards says what keeps parts (read from the files names) from being
// one whole test: the same shard twice, shards of different splits, an
// unsharded summary among them or twice, a shard missing. missing lists the
// absent shards apart, so a caller that accepts a partial merge can go on.
func CheckShards(parts []*Summary, names []string) (missing []string, err error) {
	if len(parts) == 1 && parts[0].Shard == "" {
		return nil, nil
	}
	split := 0
	seen := map[int]string{}
	for k, p := range parts {
		if p.Shard == "" {
			return nil, fmt.Errorf("%s is a whole (unsharded) summary; merge joins the shards that 'probe load --shard I/N' wrote", names[k])
		}
		i, n, err := ParseShard(p.Shard)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", names[k], err)
		}
		if split == 0 {
			split = n
		}
		if n != split {
			return nil, fmt.Errorf("%s is shard %s but %s is shard %s: shards of different splits do not add up", names[k], p.Shard, names[0], parts[0].Shard)
		}
		if prev, dup := seen[i]; dup {
			return nil, fmt.Errorf("%s and %s are both shard %s; give each shard once", prev, names[k], p.Shard)
		}
		seen[i] = names[k]
	}
	for i := range split {
		if _, ok := seen[i]; !ok {
			missing = append(missing, fmt.Sprintf("%d/%d", i, split))
		}
	}
	return missing, nil
}
