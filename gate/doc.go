// Package gate decides whether a candidate build is slower or more broken
// than its baseline, per endpoint (or per step of a scenario), and names what
// regressed. It owns the block design and the statistics, and does no I/O:
// blocks come from a small Runner interface, and time is what the blocks'
// summaries say they took. It imports results only.
//
// The design. Run warms each build up (discarded), then runs block pairs,
// each pair in a random order, so drift of a shared machine falls on both
// builds alike and cancels within the pair. Unless told, the block length is
// planned from the warm-up's traffic so that the rarest endpoint gets about
// ten requests a block; the time budget (Design.MaxDuration, 3 minutes of
// load by default) fixes the most pairs after the first pair.
//
// The statistics, per endpoint and pair: the difference of mean log latency
// (the shift of the whole distribution, the most efficient view of
// "everything got slower"), and of the log Harrell–Davis p95 and p99 (the
// tail, judged where a block holds 20 and 100 requests); a one-sided t test
// on the mean over pairs of each difference, with its interval. Errors, and
// each error kind when an endpoint has several, get Fisher's exact test on the
// pooled counts and Newcombe's interval for the difference of rates, which
// holds at zero counts.
//
// Multiplicity: the false-failure rate is shared between three classes of
// finding fixed before any data: the latency shift (40%), the tails (10%)
// and the errors (50%: an error increase is a few dozen counts even in a
// long gate). Within a class it is split by weight among the findings that
// could reach significance at all: error counts too small to ever be
// significant leave the family first (Tarone's rule, which depends only on
// the counts' margins and so keeps the error rate), and a class left empty
// gives its share to the others. Weighted Holm runs across the family.
//
// Stopping: group-sequential with alpha spending (Lan & DeMets). The gate
// looks after a pilot of 6 pairs and each time the pairs double, up to the
// budget's end. A look spends a share of Alpha (the bound on the chance that
// identical builds fail, 0.01 by default) by the spending function t⁴, and a
// share of each interval's error by t^1.5, where t is the share of the most
// pairs seen; each look uses its share as a Bonferroni level, so the total
// error rate over all looks is at most the stated one (conservatively).
//
// Decisions, per finding at each look: fail when significant after Holm at
// the look's share and the interval still reaches the minimum effect (+5%
// and +2ms at the baseline's p95, per endpoint in Options.Endpoints); pass
// when the interval's upper bound is below the margin the endpoint can
// resolve, which is the minimum effect, or for an endpoint too rare to
// resolve that by the end of the budget, the effect it can, named in the
// finding; otherwise keep going. The gate stops when every finding is decided
// or one fails. At the budget's end a finding still open passes when its
// estimate is below the minimum effect or it shows no evidence at all (p >
// 0.01), stating the bound its interval gives; else it is inconclusive.
//
// Two saved summaries (Compare with one pair) have no pairs: latency is
// judged by how many candidate requests exceed the baseline's quantile,
// which is weaker and says so.
package gate
