package gate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/probe-dev/probe/results"
)

// Method names the statistics, for the report.
const Method = "group-sequential over interleaved block pairs: t tests on per-pair log-ratios of mean log latency and " +
	"Harrell–Davis p95/p99, Fisher's exact test on errors; alpha shared 40/10/50 by shift, tails and errors, weighted Holm " +
	"across findings (Tarone for error counts); alpha spent over looks as t⁴, intervals as t^1.5, a Bonferroni level per look"

// Build is the side a block runs against.
type Build int

// The two builds.
const (
	Baseline Build = iota
	Candidate
)

func (b Build) String() string { return [...]string{"baseline", "candidate"}[b] }

// Block asks for one block: a discarded warm-up or a measured block, of
// Length for a load test (a scenario's runner decides its own size).
type Block struct {
	Build  Build
	Warmup bool
	Length time.Duration
}

// Runner runs blocks against the builds: the only part of a gate that
// sends traffic.
type Runner interface {
	Run(ctx context.Context, b Block) (*results.Summary, error)
}

// Design lays out a side-by-side gate. The zero value means the defaults.
type Design struct {
	Warmup time.Duration // per build, discarded (1s); negative for none
	// Block is the length of one load-test block; 0 plans it from the
	// warm-up's traffic so the rarest endpoint gets MinPerBlock requests.
	Block       time.Duration
	MinPerBlock int64 // requests the rarest endpoint should get a block (10)
	// RarestRate is the rarest endpoint's requests a second, from the load
	// test's weights and profile; 0: estimated from the warm-up.
	RarestRate  float64
	MaxDuration time.Duration // budget of measured load, both builds together (3m)
	MaxPairs    int           // at most this many pairs (0: what the budget holds)
	Pilot       int           // pairs before the first look (6)
	Rand        *rand.Rand    // the order within each pair (default: seeded at random)
	Progress    func(Progress)
}

// Progress is where a gate stands after a pair.
type Progress struct {
	Pairs, MaxPairs int
	Spent, Budget   time.Duration
	Looked          bool // a look was made after this pair
	Undecided       int  // findings still undecided at the last look
	// OverBudget is set on the first pair when the budget holds fewer
	// pairs of its length than the pilot needs before any look: the gate
	// runs the pilot anyway (fewer pairs cannot judge), past the budget.
	OverBudget bool
}

// Bounds of planned blocks. MinBlock is also the shortest block a caller
// may ask for: a shorter one holds too few requests, or none, to judge.
const (
	MinBlock = time.Second
	maxBlock = 10 * time.Second
)

func (d Design) withDefaults() Design {
	d.Warmup = cmp.Or(d.Warmup, time.Second)
	d.MinPerBlock = cmp.Or(d.MinPerBlock, 10)
	d.MaxDuration = cmp.Or(d.MaxDuration, 3*time.Minute)
	d.Pilot = cmp.Or(d.Pilot, 6)
	if d.Rand == nil {
		d.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	return d
}

// ErrGenerator ends a gate whose blocks the generator could not send on
// schedule, so that no verdict rests on its own queueing: send less
// (--rate-scale) or from a machine with more CPU.
var ErrGenerator = errors.New("the load generator was the limit: its blocks are not judged; lower --rate-scale or give it more CPU")

// Run runs a side-by-side gate: a warm-up of each build, then block pairs in
// a random order each, looking at the data after the pilot and then at
// growing intervals, until every finding is decided, one fails, or the budget
// is spent. Each look spends its share of Alpha and of the intervals'
// error, so looking again does not inflate false failures. When ctx ends it
// returns what was measured, marked partial, with ctx's error.
func Run(ctx context.Context, r Runner, d Design, o Options) (*results.Gate, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	o, d = o.withDefaults(), d.withDefaults()
	g := &results.Gate{Mode: "side-by-side", Method: Method, Findings: []results.Finding{}}
	block, scenario, err := warmUp(ctx, r, d)
	if err != nil {
		return nil, err
	}
	if !scenario {
		g.Block = block // a scenario's runner sizes its own blocks
	}
	var ps []pairStat
	var at []int // the looks, fixed after the first pair
	var spent time.Duration
	next, looked := 0, 0
	for {
		p, took, err := runPair(ctx, r, block, d.Rand)
		if err != nil {
			if errors.Is(err, context.Canceled) || ctx.Err() != nil {
				g.LoadSpent = spent
				return partial(g, ps, o, at, looked, fmt.Sprintf("interrupted (%v)", ctx.Err())), ctx.Err()
			}
			return nil, err
		}
		g.LoadTest, g.Env = cmp.Or(g.LoadTest, p.Baseline.LoadTest), cmp.Or(g.Env, p.Baseline.Env)
		spent += took
		if p.Baseline.Generator != nil || p.Candidate.Generator != nil {
			// Latencies that hold the generator's own queueing say nothing
			// of either build: the pair is not judged.
			g.RefusedPairs++
			if spent >= d.MaxDuration || g.RefusedPairs > 2+len(ps) {
				g.LoadSpent = spent
				return partial(g, ps, o, at, looked, fmt.Sprintf("stopped: the generator was the limit in %d block pairs", g.RefusedPairs)), ErrGenerator
			}
			continue
		}
		ps = append(ps, statsOf(p))
		k := len(ps)
		pr := Progress{Pairs: k, Spent: spent, Budget: d.MaxDuration}
		if at == nil {
			at = schedule(d.Pilot, maxPairs(d, took))
			pr.OverBudget = d.MaxPairs == 0 && time.Duration(at[len(at)-1])*took > d.MaxDuration
		}
		pr.MaxPairs = at[len(at)-1]
		var lk look
		if k == at[next] {
			lk = lookAt(o, at, next)
			next++
			finish(g, ps, o, lk)
			looked, g.LoadSpent = k, spent
			pr.Looked = true
			pr.Undecided = countVerdict(g.Findings, results.GateInconclusive) + countVerdict(g.Findings, results.GateInsufficient)
		}
		if d.Progress != nil {
			d.Progress(pr)
		}
		if pr.Looked && (lk.last || g.Verdict == results.GateFail || pr.Undecided == 0) {
			g.Notes = append(g.Notes, stopNote(g, lk, g.Block, spent, d.MaxDuration))
			return g, nil
		}
	}
}

// warmUp runs each build's discarded warm-up and plans the block length
// from it (or from Design.RarestRate); scenario says the blocks are a
// scenario's runs, which size themselves.
func warmUp(ctx context.Context, r Runner, d Design) (block time.Duration, scenario bool, err error) {
	block = d.Block
	var warm [2]*results.Summary
	if d.Warmup > 0 {
		for _, b := range order(d.Rand) {
			s, err := r.Run(ctx, Block{Build: b, Warmup: true, Length: d.Warmup})
			if err != nil {
				return 0, false, fmt.Errorf("warm-up of the %s: %w", b, err)
			}
			warm[b] = s
		}
		scenario = warm[0].Kind == results.KindScenario
		if block == 0 && !scenario {
			block = planBlock(warm, d)
		}
	}
	if block == 0 && d.RarestRate > 0 {
		block = planBlock([2]*results.Summary{}, d)
	}
	return cmp.Or(block, 3*time.Second), scenario, nil
}

// order is the order of one pair: baseline first or candidate first, at
// random, so drift within the pair falls on both alike.
func order(rng *rand.Rand) [2]Build {
	if rng.IntN(2) == 1 {
		return [2]Build{Candidate, Baseline}
	}
	return [2]Build{Baseline, Candidate}
}

func runPair(ctx context.Context, r Runner, block time.Duration, rng *rand.Rand) (Pair, time.Duration, error) {
	var got [2]*results.Summary
	var took time.Duration
	for _, b := range order(rng) {
		s, err := r.Run(ctx, Block{Build: b, Length: block})
		if err != nil {
			return Pair{}, 0, fmt.Errorf("block of the %s: %w", b, err)
		}
		if err := ctx.Err(); err != nil {
			return Pair{}, 0, err
		}
		took += cmp.Or(s.Duration, block)
		got[b] = s
	}
	return Pair{Baseline: got[Baseline], Candidate: got[Candidate]}, took, nil
}

// planBlock makes blocks long enough for the rarest endpoint (by
// Design.RarestRate, else as the warm-up saw it) to get MinPerBlock requests, within 1–10 s and short enough for the
// budget to hold a dozen pairs.
func planBlock(warm [2]*results.Summary, d Design) time.Duration {
	rate := math.Inf(1)
	if d.RarestRate > 0 {
		rate = d.RarestRate
		warm = [2]*results.Summary{}
	}
	for _, s := range warm {
		if s == nil {
			continue
		}
		secs := s.SendSpan.Seconds()
		if secs <= 0 {
			secs = d.Warmup.Seconds()
		}
		for _, e := range s.Endpoints {
			rate = math.Min(rate, float64(e.Requests)/secs)
		}
	}
	if math.IsInf(rate, 1) || rate <= 0 {
		return 3 * time.Second
	}
	b := time.Duration(float64(d.MinPerBlock) / rate * float64(time.Second)).Round(100 * time.Millisecond)
	return min(max(b, MinBlock), maxBlock, max(d.MaxDuration/24, MinBlock))
}

// maxPairs is how many pairs the budget holds, at the first pair's length.
func maxPairs(d Design, first time.Duration) int {
	n := d.MaxPairs
	if n == 0 {
		n = int(d.MaxDuration / max(first, time.Millisecond))
	}
	if d.MaxPairs == 0 {
		n = max(n, d.Pilot)
	}
	return max(n, 1)
}

// partial is the gate as it stood when it was interrupted: judged once more
// with what the looks made so far had not spent, and never a pass.
func partial(g *results.Gate, ps []pairStat, o Options, at []int, looked int, why string) *results.Gate {
	g.Partial = true
	g.Notes = append(g.Notes, fmt.Sprintf("%s after %d pairs: what was measured, judged with the error rates the looks left unspent", why, len(ps)))
	if len(ps) < 2 {
		g.Verdict = results.GateInsufficient
		return g
	}
	max := len(ps)
	if at != nil {
		max = at[len(at)-1]
	}
	t := float64(looked) / float64(max)
	lk := look{pairs: len(ps), max: max, last: true,
		fail: o.Alpha * (1 - spentFail(t)), ci: (1 - o.Confidence) / 2 * (1 - spentCI(t))}
	lk.ciLast = lk.ci
	finish(g, ps, o, lk)
	if g.Verdict == results.GatePass {
		g.Verdict = results.GateInconclusive
	}
	return g
}

func stopNote(g *results.Gate, lk look, block, spent, budget time.Duration) string {
	why := "every finding decided"
	switch {
	case g.Verdict == results.GateFail:
		why = "a regression was found"
	case lk.last && lk.pairs < lk.max:
		why = "the pair limit was reached"
	case lk.last && g.Verdict != results.GatePass:
		why = "the budget was spent with findings undecided"
	}
	of := ""
	if block > 0 {
		of = " of " + block.String() + " blocks"
	}
	return fmt.Sprintf("stopped after %d of at most %d pairs%s (%s of %s of load): %s", lk.pairs, lk.max, of, spent.Round(time.Second), budget, why)
}

func countVerdict(fs []results.Finding, v string) int {
	n := 0
	for _, f := range fs {
		if f.Verdict == v {
			n++
		}
	}
	return n
}
