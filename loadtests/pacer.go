package loadtests

import (
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// pacer sends the requests of one shard of a schedule on time: request k of
// shard i of n is the schedule's request k·n+i. It also learns when the attack
// began, so that each result's due time is known.
type pacer struct {
	sched   Schedule
	shard   int64
	shards  int64
	planned int64         // requests of the whole schedule, after the request cap
	limit   time.Duration // hard stop, however late the sending is
	began   atomic.Int64
}

var _ vegeta.Pacer = (*pacer)(nil)

func newPacer(s Schedule, shard, shards int, maxRequests int64, limit time.Duration) *pacer {
	planned := s.Planned()
	if maxRequests > 0 {
		planned = min(planned, maxRequests)
	}
	return &pacer{sched: s, shard: int64(shard), shards: int64(max(shards, 1)), planned: planned, limit: limit}
}

// Pace is vegeta's question: how long until request hits is due, and is the
// schedule over.
func (p *pacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if p.began.Load() == 0 {
		p.began.CompareAndSwap(0, time.Now().Add(-elapsed).UnixNano())
	}
	g := int64(hits)*p.shards + p.shard
	if g >= p.planned || (p.limit > 0 && elapsed >= p.limit) {
		return 0, true
	}
	due := p.sched.Due(g)
	if due >= p.sched.Duration() {
		return 0, true
	}
	if elapsed >= due {
		return 0, false
	}
	return due - elapsed, false
}

// Rate is this shard's rate per second at elapsed.
func (p *pacer) Rate(elapsed time.Duration) float64 {
	return p.sched.Rate(elapsed) / float64(p.shards)
}

// planned returns how many requests this shard sends.
func (p *pacer) shardPlanned() int64 {
	if p.planned <= p.shard {
		return 0
	}
	return (p.planned-p.shard-1)/p.shards + 1
}

// start is when the attack began; zero before the first Pace.
func (p *pacer) start() time.Time {
	n := p.began.Load()
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// due is when the shard's request seq was due.
func (p *pacer) due(seq uint64) time.Time {
	return p.start().Add(p.sched.Due(int64(seq)*p.shards + p.shard))
}
