package loadtests

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// pacer sends the requests of one shard of a schedule on time: request k of
// shard i of n is the schedule's request k·n+i. It also learns when the attack
// began, so that each result's due time is known.
//
// vegeta adds a worker for every tick that finds none idle: while the
// workers wait on the target that is what the target needs, but when they
// wait on probe itself (CPU, see saturation, or results not yet taken) each
// new one adds a goroutine and a connection to the queue and spirals. So a
// worker starts only while the target holds most busy workers (waitOnProbe);
// otherwise the send waits and goes late, and when the generator is short of
// CPU and already dropAfter behind it is dropped, as k6 drops iterations.
// That keeps the sends it can make on schedule and the workers bounded by
// what the target holds, not by missed ticks. Drops are counted, by second,
// never hidden. A send held up by a target that holds every worker
// (--max-workers reached) is sent late, not dropped, so that its latency from
// when it was due shows the stall.
type pacer struct {
	sched   Schedule
	shard   int64
	shards  int64
	planned int64         // requests of the whole schedule, after the request cap
	limit   time.Duration // hard stop, however late the sending is
	began   atomic.Int64

	// What the drop rule reads: results the collector has taken. Sends
	// handed to vegeta are Pace's hits.
	answered atomic.Int64
	atTarget atomic.Int64  // requests the target holds now (the transport counts them)
	workers  int64         // vegeta's workers so far (they never end before the attack)
	window   int64         // the growWindow the last start fell in
	started  int64         // workers started in it
	base     int64         // workers when it began
	cpu      *saturation   // the generator's own CPU, if watched
	onDrop   func(n int64) // live metric, if set

	// skips, in order of from, grow by one at each drop: appended under mu,
	// read under its read lock (copying the list on every drop, to read
	// without a lock, cost a saturated generator time and memory quadratic
	// in its drops).
	mu         sync.RWMutex
	skips      []skip
	dropped    int64
	dropsBySec []int64
}

// skip shifts the slots of hits from `from` on by `by` (cumulative).
type skip struct{ from, by int64 }

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
	if p.limit > 0 && elapsed >= p.limit {
		return 0, true
	}
	h := int64(hits)
	k := h + p.skipAt(h)
	for {
		if p.global(k) >= p.planned {
			return 0, true
		}
		due := p.sched.Due(p.global(k))
		if due >= p.sched.Duration() {
			return 0, true
		}
		if elapsed < due {
			return due - elapsed, false
		}
		// Every worker holds one hit from its tick to its result; vegeta
		// starts a worker for a tick that finds all busy. Short of CPU, a
		// new worker only adds to the queue: drop the send instead.
		inUse := h - p.answered.Load()
		switch {
		case inUse < p.workers:
			return 0, false
		case !p.cpu.mayGrow() && elapsed-due > dropAfter:
			// drop, below: short of CPU for a while, not one pause of a
			// busy machine (which is sent late, and counted so)
		case !p.cpu.mayGrow() || p.waitOnProbe():
			return growWait, false // sent late: more workers would only queue on probe itself
		case !p.mayStart(elapsed):
			return growWait, false // sent late, when a worker frees or the next window lets one start
		default:
			p.workers = inUse + 1
			return 0, false
		}
		n := p.overdue(k, elapsed)
		p.drop(h, n, elapsed)
		k += n
	}
}

// dropAfter is how far behind a send must be, with the generator short of
// CPU, before it is dropped rather than sent late.
const dropAfter = 100 * time.Millisecond

// growWindow and growWait pace the start of workers: at most as many new
// ones in a window as there are already (doubling), so that the first
// moments of a test the saturation watch has not seen yet cannot start
// thousands, and a slow target still gets the workers it holds within a
// second or so.
const (
	growWindow = 100 * time.Millisecond
	growWait   = time.Millisecond
)

// waitOnProbe reports whether most busy workers wait on probe, not on the
// target: their results not yet taken, or the CPU to run them. Then the
// target does not need more workers; probe is the bottleneck, and a new
// worker (and its connection) would only add to the queue and the memory.
func (p *pacer) waitOnProbe() bool { return 2*p.atTarget.Load() < p.workers }

// mayStart reports whether one more worker may start now: at most as many
// in a window as there were workers when it began (not as there are now,
// which grows with every start and would let one window start thousands).
func (p *pacer) mayStart(elapsed time.Duration) bool {
	if w := int64(elapsed / growWindow); w != p.window {
		p.window, p.started, p.base = w, 0, p.workers
	}
	if p.started >= max(p.base, 64) {
		return false
	}
	p.started++
	return true
}

// global is the schedule's index of this shard's slot k.
func (p *pacer) global(k int64) int64 { return k*p.shards + p.shard }

// overdue counts the slots from k on that were due before elapsed (at least
// one, as slot k is).
func (p *pacer) overdue(k int64, elapsed time.Duration) int64 {
	last := (p.planned - p.shard - 1) / p.shards // this shard's last slot
	n := sort.Search(int(last-k+1), func(i int) bool { return p.sched.Due(p.global(k+int64(i))) >= elapsed })
	return max(int64(n), 1)
}

func (p *pacer) drop(fromHit, n int64, elapsed time.Duration) {
	p.mu.Lock()
	by := n
	if k := len(p.skips); k > 0 {
		by += p.skips[k-1].by
		if p.skips[k-1].from == fromHit {
			p.skips = p.skips[:k-1]
		}
	}
	p.skips = append(p.skips, skip{fromHit, by})
	p.dropped += n
	sec := int(elapsed / time.Second)
	for len(p.dropsBySec) <= sec {
		p.dropsBySec = append(p.dropsBySec, 0)
	}
	p.dropsBySec[sec] += n
	p.mu.Unlock()
	if p.onDrop != nil {
		p.onDrop(n)
	}
}

// skipAt is how many slots the hit seq is shifted by drops before it.
func (p *pacer) skipAt(seq int64) int64 {
	p.mu.RLock()
	defer p.mu.RUnlock()
	i := sort.Search(len(p.skips), func(i int) bool { return p.skips[i].from > seq })
	if i == 0 {
		return 0
	}
	return p.skips[i-1].by
}

// drops returns the count of dropped sends and their seconds.
func (p *pacer) drops() (int64, []int64) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.dropped, append([]int64(nil), p.dropsBySec...)
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

// due is when the shard's request seq was due, drops before it counted.
func (p *pacer) due(seq uint64) time.Time {
	s := int64(seq)
	return p.start().Add(p.sched.Due(p.global(s + p.skipAt(s))))
}
