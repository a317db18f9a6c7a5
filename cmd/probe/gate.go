package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/probe-dev/probe/gate"
	"github.com/probe-dev/probe/loadtests"
	"github.com/probe-dev/probe/reports"
	"github.com/probe-dev/probe/results"
	"github.com/probe-dev/probe/scenarios"
	"github.com/probe-dev/probe/store"
	"github.com/probe-dev/probe/suite"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

type gateFlags struct {
	suitePath, env, baselineURL, candidateURL, baseline, candidate, outDir, report, baselineFrom, history string
	browser                                                                                               string
	pairs, runs                                                                                           int
	rateScale, alpha                                                                                      float64
	block, warmup, maxDuration                                                                            time.Duration
	minEffect, minDelta, ignore                                                                           []string
	autoExtend, allowProtected                                                                            bool
}

func newGate(log *slog.Logger) *cobra.Command {
	var f gateFlags
	cmd := &cobra.Command{
		Use:   "gate [LOADTEST|SCENARIO]",
		Short: "Compare a candidate build with its baseline and fail on a real regression",
		Long: `gate compares a candidate with its baseline, per endpoint: the shift of the
whole latency distribution (mean log latency), p95 and p99, the error rate and
error kinds, and throughput.

Side by side (the strong way): gate LOADTEST --baseline-url URL --candidate-url
URL runs the load test against both builds in short interleaved blocks, each
pair in a random order, after a discarded warm-up. It is sequential: after a
pilot of 6 pairs it looks at the data, and again each time the pairs double,
until every finding is decided or --max-duration of load is spent. Each look
spends a share of the error rates (group-sequential alpha spending), so
looking often does not inflate false failures.

A finding passes when its interval rules out the minimum effect (+5% and
+2ms at p95, or what --min-effect and the suite's gate: section say), or,
for an endpoint too rare to resolve that within the budget, the largest
effect it could resolve, which the report names. It fails when the increase
is significant (after Holm's correction across findings) and could be as
large as the minimum effect.

Against saved summaries: gate --baseline base.json --candidate cand.json
(from probe load); weaker, and the report says so. A scenario named instead
of a load test is gated per step: each block is --runs runs of it against
one build (browser flows in one Chromium).

Exit 0 pass, 1 fail (the endpoint and metric are named), 4 inconclusive or too
little data, 2 bad input, 3 could not run or interrupted.`,
		Example: `  probe gate spike --env staging --baseline-url http://127.0.0.1:8081 --candidate-url http://127.0.0.1:8082
  probe gate spike --env staging --baseline-url … --candidate-url … --min-effect 10% --min-effect health=30% --max-duration 5m
  probe gate checkout --env staging --baseline-url http://127.0.0.1:8081 --candidate-url http://127.0.0.1:8082
  probe gate --baseline .probe/load/spike-prod.json --candidate .probe/load/spike-staging.json --report md`,
		Args: argsBetween(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error { return runGate(cmd, log, args, f) },
	}
	f.register(cmd.Flags())
	return cmd
}

// register adds the gate's flags to fl.
func (f *gateFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&f.suitePath, "suite", ".", "suite folder or file")
	fl.StringVar(&f.env, "env", "", "environment whose headers and variables to use (may be left out when the suite has one)")
	fl.StringVar(&f.baselineURL, "baseline-url", "", "the baseline build's URL")
	fl.StringVar(&f.candidateURL, "candidate-url", "", "the candidate build's URL")
	fl.StringVar(&f.baseline, "baseline", "", "the baseline saved: a summary (probe load), or a run or folder of runs (probe check)")
	fl.StringVar(&f.candidate, "candidate", "", "the candidate saved, as --baseline")
	fl.StringVar(&f.baselineFrom, "baseline-from", "", "store: the last baseline kept by 'probe load --save-baseline' for the candidate's load test and env")
	fl.StringVar(&f.history, "history", store.DefaultPath, "SQLite file that keeps baselines")
	fl.DurationVar(&f.maxDuration, "max-duration", 3*time.Minute, "budget of load for both builds together; the gate stops sooner when every finding is decided")
	fl.IntVar(&f.pairs, "pairs", 0, "at most this many block pairs (default: what --max-duration holds)")
	fl.DurationVar(&f.block, "block", 0, "length of one block of a load test, at least 1s (default: planned so the rarest endpoint gets 10 requests a block)")
	fl.IntVar(&f.runs, "runs", 1, "runs of a scenario per block")
	countFlags(fl, "runs")
	fl.StringVar(&f.browser, "browser", "", "Chromium to run browser flows with (default: chromium on PATH)")
	fl.DurationVar(&f.warmup, "warmup", time.Second, "warm-up per build, discarded (0 for none)")
	fl.Float64Var(&f.rateScale, "rate-scale", 1, "multiply the load test's rates, for more requests per block")
	fl.StringArrayVar(&f.minEffect, "min-effect", nil, "smallest latency increase worth failing for, like 5%, or for one endpoint, like health=30% (repeatable)")
	fl.StringArrayVar(&f.minDelta, "min-delta", nil, "and smallest increase in time at p95, like 2ms, or health=10ms (repeatable)")
	fl.StringArrayVar(&f.ignore, "ignore", nil, "an endpoint (or step) not to gate at all (repeatable)")
	fl.Float64Var(&f.alpha, "alpha", gate.DefaultAlpha, "the most that identical builds may fail, over all endpoints and looks")
	fl.BoolVar(&f.allowProtected, "allow-protected", false, "allow a protected environment, still capped at its max_rate")
	fl.BoolVar(&f.autoExtend, "auto-extend", false, "")
	_ = fl.MarkDeprecated("auto-extend", "the gate is sequential now and runs until it decides or --max-duration is spent")
	fl.StringVar(&f.outDir, "out", filepath.Join(".probe", "gate"), "folder for reports")
	fl.StringVar(&f.report, "report", "", "also write reports under --out: a list of text,html,md,junit,json")
	positiveFlags(fl, "max-duration", "block", "rate-scale")
}

// runGate is probe gate: saved summaries, or two builds side by side.
func runGate(cmd *cobra.Command, log *slog.Logger, args []string, f gateFlags) error {
	formats, err := reportFormats(f.report)
	if err != nil {
		return err
	}
	if len(formats) > 0 {
		if err := outFolder(f.outDir); err != nil {
			return err
		}
	}
	opts, err := f.gateOptions(nil)
	if err != nil {
		return err
	}
	switch {
	case f.baseline != "" || f.candidate != "" || f.baselineFrom != "":
		if (f.baseline == "") == (f.baselineFrom == "") || f.candidate == "" || len(args) > 0 {
			return usageError{fmt.Errorf("saved summaries: give --candidate and one of --baseline or --baseline-from store, and no LOADTEST")}
		}
		p, err := savedPair(cmd, f)
		if err != nil {
			return err
		}
		if err := f.checkEndpoints(pairEndpoints(p), "the summaries'"); err != nil {
			return err
		}
		return reportGate(cmd, gate.Compare([]gate.Pair{p}, opts), formats, f.outDir)
	case len(args) == 1 && f.baselineURL != "" && f.candidateURL != "":
		g, err := sideBySide(cmd, log, args[0], f)
		if g != nil {
			if rerr := reportGate(cmd, g, formats, f.outDir); err == nil {
				return rerr
			}
		}
		return err
	}
	return usageError{fmt.Errorf("give LOADTEST --baseline-url URL --candidate-url URL, or --baseline FILE --candidate FILE")}
}

// gateOptions are the gate's effects: the suite's gate: section (spec, may
// be nil), then the flags over it; an endpoint named in a flag gets the
// spec's prefix, so a scenario's steps are named as in the suite.
func (f gateFlags) gateOptions(spec *scopedSpec) (gate.Options, error) {
	o := gate.Options{Alpha: f.alpha, Endpoints: map[string]gate.Effect{}}
	if f.alpha <= 0 || f.alpha >= 0.5 {
		// 0 would fall back to the default without a word; the package's
		// own message does not name the flag.
		return o, usageError{fmt.Errorf("--alpha %g: want a rate above 0 and below 0.5 (default %g)", f.alpha, gate.DefaultAlpha)}
	}
	prefix := ""
	if spec != nil {
		prefix = spec.prefix
		if spec.GateSpec != nil {
			o.Effect = gate.Effect{MinEffect: float64(spec.MinEffect), MinDelta: spec.MinDelta.Std()}
			for name, e := range spec.Endpoints {
				if e != nil {
					o.Endpoints[prefix+name] = gate.Effect{MinEffect: float64(e.MinEffect), MinDelta: e.MinDelta.Std(), Ignore: e.Ignore}
				}
			}
		}
	}
	if spec != nil {
		if err := f.checkEndpoints(spec.endpoints, "the suite's"); err != nil {
			return o, err
		}
	}
	if err := f.applyEffects(&o, prefix); err != nil {
		return o, err
	}
	for _, name := range f.ignore {
		e := o.Endpoints[prefix+name]
		e.Ignore = true
		o.Endpoints[prefix+name] = e
	}
	if err := o.Validate(); err != nil {
		return o, usageError{err}
	}
	return o, nil
}

// checkEndpoints refuses an endpoint that --min-effect, --min-delta or
// --ignore names and the gate does not judge: a misspelt name would leave
// the endpoint meant under the defaults, gated or not, without a word.
// known are the endpoints (of the suite or of the saved summaries, as whose
// says).
func (f gateFlags) checkEndpoints(known []string, whose string) error {
	check := func(flag, v, name string) error {
		if slices.Contains(known, name) {
			return nil
		}
		return usageError{fmt.Errorf("%s %q: the gate judges no endpoint %q; %s endpoints are %s", flag, v, name, whose, strings.Join(known, ", "))}
	}
	for _, fl := range []struct {
		name string
		vals []string
	}{{"--min-effect", f.minEffect}, {"--min-delta", f.minDelta}} {
		for _, v := range fl.vals {
			if name, _, one := strings.Cut(v, "="); one {
				if err := check(fl.name, v, name); err != nil {
					return err
				}
			}
		}
	}
	for _, name := range f.ignore {
		if err := check("--ignore", name, name); err != nil {
			return err
		}
	}
	return nil
}

// applyEffects sets --min-effect and --min-delta, each for all endpoints or,
// written EP=V, for one.
func (f gateFlags) applyEffects(o *gate.Options, prefix string) error {
	set := func(flag, v string, apply func(*gate.Effect, string) error) error {
		name, val, one := strings.Cut(v, "=")
		if !one {
			val = name
		}
		e := &o.Effect
		if one {
			pe := o.Endpoints[prefix+name]
			e = &pe
			defer func() { o.Endpoints[prefix+name] = pe }()
		}
		if err := apply(e, val); err != nil {
			return usageError{fmt.Errorf("%s %q: %w", flag, v, err)}
		}
		return nil
	}
	for _, v := range f.minEffect {
		if err := set("--min-effect", v, func(e *gate.Effect, s string) error {
			p, err := suite.ParsePercent(s)
			e.MinEffect = float64(p)
			return err
		}); err != nil {
			return err
		}
	}
	for _, v := range f.minDelta {
		if err := set("--min-delta", v, func(e *gate.Effect, s string) error {
			d, err := suite.ParseDuration(s)
			e.MinDelta = d
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

// scopedSpec is a suite's gate: section with the prefix its endpoint names
// carry in results ("checkout: " for a scenario's steps).
type scopedSpec struct {
	*suite.GateSpec
	prefix    string
	endpoints []string // what the gate judges, named as in the suite
}

// savedPair reads the two saved sides of a gate.
func savedPair(cmd *cobra.Command, f gateFlags) (gate.Pair, error) {
	var b *results.Summary
	var err error
	if f.baselineFrom != "" {
		b, err = baselineFromStore(cmd, f)
	} else {
		b, err = readGateSide(f.baseline)
	}
	if err != nil {
		return gate.Pair{}, err
	}
	c, err := readGateSide(f.candidate)
	if err != nil {
		return gate.Pair{}, err
	}
	if b.Kind != c.Kind {
		return gate.Pair{}, badInput(fmt.Errorf("--baseline and --candidate differ in kind: give two load-test summaries or two sets of scenario runs"))
	}
	return gate.Pair{Baseline: b, Candidate: c}, nil
}

// pairEndpoints lists the endpoints of both sides of a saved pair.
func pairEndpoints(p gate.Pair) []string {
	var out []string
	for _, s := range []*results.Summary{p.Baseline, p.Candidate} {
		for _, e := range s.Endpoints {
			if !slices.Contains(out, e.Name) {
				out = append(out, e.Name)
			}
		}
	}
	return out
}

// readGateSide reads one side of a saved gate: a load test's summary, or
// scenario runs (one run's JSON, or a folder of them) judged per step.
func readGateSide(path string) (*results.Summary, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, badInput(fmt.Errorf("read %s: %w", path, err))
	}
	var runs []results.Run
	if st.IsDir() {
		all, _ := filepath.Glob(filepath.Join(path, "*.json"))
		for _, f := range all {
			b, err := suite.ReadRegular(f, results.MaxFileSize)
			if err != nil {
				return nil, badInput(fmt.Errorf("read %s: %w", f, err))
			}
			// The folder of probe check also holds its report bundle.
			if kind, err := results.Sniff(b); err != nil || kind != results.FileRun {
				continue
			}
			r, err := parseResult(f, b, results.FileRun, results.ReadRun)
			if err != nil {
				return nil, err
			}
			runs = append(runs, *r)
		}
		if len(runs) == 0 {
			return nil, badInput(fmt.Errorf("%s: no run JSON files in this folder; give the --out folder of probe check or a summary file", path))
		}
	} else {
		b, err := suite.ReadRegular(path, results.MaxFileSize)
		if err != nil {
			return nil, badInput(fmt.Errorf("read %s: %w", path, err))
		}
		if kind, err := results.Sniff(b); err != nil || kind != results.FileRun {
			// A summary, or an error that names what the file is.
			return parseResult(path, b, results.FileSummary, results.ReadSummary)
		}
		r, err := parseResult(path, b, results.FileRun, results.ReadRun)
		if err != nil {
			return nil, err
		}
		runs = []results.Run{*r}
	}
	name := runs[0].Scenario
	for _, r := range runs {
		if r.Scenario != name {
			name = "runs"
		}
	}
	return results.StepsSummary(name, runs[0].Env, runs), nil
}

func readSummary(path string) (*results.Summary, error) {
	return readResult(path, results.FileSummary, results.ReadSummary)
}

// readResult reads one results file of kind want; every mistake is bad
// input that names the file, and a file of another kind says what it is.
func readResult[T any](path string, want results.FileKind, read func(io.Reader) (T, error)) (T, error) {
	b, err := suite.ReadRegular(path, results.MaxFileSize)
	if err != nil {
		var zero T
		return zero, badInput(fmt.Errorf("read %s: %w", want.Describe(), err))
	}
	return parseResult(path, b, want, read)
}

// parseResult decodes the bytes of the results file at path, of kind want.
func parseResult[T any](path string, b []byte, want results.FileKind, read func(io.Reader) (T, error)) (T, error) {
	var zero T
	if err := results.WantKind(b, want); err != nil {
		return zero, badInput(fmt.Errorf("%s: %w", path, err))
	}
	v, err := read(bytes.NewReader(b))
	if err != nil {
		return v, badInput(fmt.Errorf("%s: %w", path, err))
	}
	return v, nil
}

// sideBySide checks the flags, builds the runner of the load test (or the
// scenario) named name, and runs the sequential gate with it.
func sideBySide(cmd *cobra.Command, log *slog.Logger, name string, f gateFlags) (*results.Gate, error) {
	ctx := cmd.Context()
	switch {
	case f.pairs < 0:
		return nil, usageError{fmt.Errorf("--pairs %d: must be at least 0 (0: what --max-duration holds)", f.pairs)}
	case f.block != 0 && f.block < gate.MinBlock:
		return nil, usageError{fmt.Errorf("--block %s: want at least %s, so a block holds requests to judge (or leave it out to plan it)", f.block, gate.MinBlock)}
	}
	s, err := suite.Load(f.suitePath)
	if err != nil {
		return nil, err
	}
	env, err := pickEnv(s, f.env)
	if err != nil {
		return nil, err
	}
	sg := sideBySideGate{suite: s, name: name, env: env, urls: [2]string{f.baselineURL, f.candidateURL}, rateScale: f.rateScale,
		runs: f.runs, browser: f.browser, log: log, progress: cmd.ErrOrStderr(), allowProtected: f.allowProtected}
	spec, err := sg.spec()
	if err != nil {
		return nil, err
	}
	opts, err := f.gateOptions(spec)
	if err != nil {
		return nil, err
	}
	warm := f.warmup
	if warm == 0 {
		warm = -1 // none
	}
	d := gate.Design{Warmup: warm, Block: f.block, MaxDuration: f.maxDuration, MaxPairs: f.pairs}
	if lt := s.LoadTest(name); lt != nil {
		d.RarestRate = loadtests.RarestRate(lt, f.rateScale)
	}
	return sg.run(ctx, d, opts)
}

// sideBySideGate is one side-by-side gate of a load test or a scenario of
// the suite, against two builds.
type sideBySideGate struct {
	suite          *suite.Suite
	name, env      string
	urls           [2]string // baseline, candidate
	rateScale      float64
	runs           int
	browser        string
	log            *slog.Logger
	progress       io.Writer
	allowProtected bool
}

// spec is the suite's gate: section for what is gated.
func (sg sideBySideGate) spec() (*scopedSpec, error) {
	eps := sg.suite.GateEndpoints(sg.name)
	if lt := sg.suite.LoadTest(sg.name); lt != nil {
		return &scopedSpec{GateSpec: lt.Gate, endpoints: eps}, nil
	}
	if sc := sg.suite.Scenario(sg.name); sc != nil {
		return &scopedSpec{GateSpec: sc.Gate, prefix: sc.Name + ": ", endpoints: eps}, nil
	}
	return nil, badInput(fmt.Errorf("no load test or scenario %q in the suite", sg.name))
}

func (sg sideBySideGate) run(ctx context.Context, d gate.Design, o gate.Options) (*results.Gate, error) {
	var r gate.Runner
	if lt := sg.suite.LoadTest(sg.name); lt != nil {
		lr, err := sg.loadRunner(lt)
		if err != nil {
			return nil, err
		}
		r = lr
	} else {
		sr, closeBrowser, err := sg.scenarioRunner(sg.suite.Scenario(sg.name))
		if err != nil {
			return nil, err
		}
		defer closeBrowser()
		r = sr
	}
	for _, u := range sg.urls {
		if err := loadtests.Preflight(ctx, u); err != nil {
			return nil, &exitError{code: exitCouldNotRun, err: err}
		}
	}
	d.Progress = func(p gate.Progress) {
		if p.OverBudget {
			fmt.Fprintf(sg.progress, "the first pair took %s: --max-duration %s holds fewer pairs than the %d the gate needs before it can judge; running %d (about %s of load)\n",
				p.Spent.Round(time.Second), p.Budget, p.MaxPairs, p.MaxPairs, (time.Duration(p.MaxPairs) * p.Spent).Round(time.Second))
		}
		line := fmt.Sprintf("pair %d of at most %d (%s of %s of load)", p.Pairs, p.MaxPairs, p.Spent.Round(time.Second), p.Budget)
		if p.Looked {
			line += fmt.Sprintf(": looked, %d %s undecided", p.Undecided, plural(p.Undecided, "finding", "findings"))
		}
		fmt.Fprintln(sg.progress, line)
	}
	g, err := gate.Run(ctx, r, d, o)
	if err != nil && ctx.Err() != nil {
		return g, &exitError{code: exitCouldNotRun, err: fmt.Errorf("gate interrupted: %w", ctx.Err())}
	}
	return g, err
}

// blockRunner adapts a function to gate.Runner.
type blockRunner func(ctx context.Context, b gate.Block) (*results.Summary, error)

func (f blockRunner) Run(ctx context.Context, b gate.Block) (*results.Summary, error) {
	return f(ctx, b)
}

var _ gate.Runner = blockRunner(nil)

func (sg sideBySideGate) loadRunner(lt *suite.LoadTest) (gate.Runner, error) {
	base, err := loadtests.OptionsFor(sg.suite, lt, sg.env, loadtests.Overrides{BaseURL: sg.urls[0], RateScale: sg.rateScale, AllowProtected: sg.allowProtected})
	if err != nil {
		return nil, badInput(err)
	}
	base.Log, base.AbortAfter = sg.log, -1 // a block is judged by the gate, not by thresholds
	return blockRunner(func(ctx context.Context, b gate.Block) (*results.Summary, error) {
		o := base
		o.BaseURL, o.Duration, o.Seed = sg.urls[b.Build], b.Length, rand.Uint64()
		return loadtests.Run(ctx, lt, o)
	}), nil
}

// scenarioRunner gates a scenario's steps: a block is --runs runs of it
// against one build, in one browser shared by both builds (a fresh context
// per run), so the browser's own warm-up does not favour either.
func (sg sideBySideGate) scenarioRunner(sc *suite.Scenario) (gate.Runner, func(), error) {
	if err := scenarios.Check([]*suite.Scenario{sc}); err != nil {
		return nil, nil, err
	}
	opts := []scenarios.Option{scenarios.WithRedactor(sg.suite.Redactor)}
	closeBrowser := func() {}
	if scenarios.NeedsBrowser([]*suite.Scenario{sc}) {
		b, err := scenarios.NewBrowser(sg.browser, sg.log)
		if err != nil {
			return nil, nil, &exitError{code: exitCouldNotRun, err: err}
		}
		closeBrowser = b.Close
		opts = append(opts, scenarios.WithBrowser(b))
	}
	runner := scenarios.NewRunner(sg.log, opts...)
	return blockRunner(func(ctx context.Context, b gate.Block) (*results.Summary, error) {
		url := sg.urls[b.Build]
		target, err := scenarios.TargetFor(sg.suite, sg.env, url)
		if err != nil {
			return nil, badInput(err)
		}
		n := sg.runs
		if b.Warmup {
			n = 1
		}
		var runs []results.Run
		for range n {
			run := runner.Run(ctx, sc, target)
			if run.Status == results.InfraError && ctx.Err() == nil {
				return nil, &exitError{code: exitCouldNotRun, err: fmt.Errorf("scenario %q against %s: %s", sc.Name, url, run.Reason)}
			}
			runs = append(runs, run)
		}
		return results.StepsSummary(sc.Name, sg.env, runs), nil
	}), closeBrowser, nil
}

func reportGate(cmd *cobra.Command, g *results.Gate, formats []string, outDir string) error {
	out := cmd.OutOrStdout()
	if err := reports.GateText(out, g, isTerminal(out)); err != nil {
		return err
	}
	r := &reports.Report{Title: fmt.Sprintf("probe gate %s on %s", g.LoadTest, g.Env), Generated: time.Now(), Gates: []*results.Gate{g}}
	if g.Partial && !slices.Contains(formats, "json") {
		// An interrupted gate keeps what it measured, whatever --report says.
		formats = append(slices.Clone(formats), "json")
	}
	if err := announceReports(out, outDir, formats, r); err != nil {
		return err
	}
	switch g.Verdict {
	case results.GateFail:
		return &exitError{code: exitFail, err: errors.New(r.Verdict())}
	case results.GateInconclusive, results.GateInsufficient:
		return &exitError{code: exitInconclusive, err: errors.New(r.Verdict())}
	}
	return nil
}

func baselineFromStore(cmd *cobra.Command, f gateFlags) (*results.Summary, error) {
	if f.baselineFrom != "store" {
		return nil, usageError{fmt.Errorf("--baseline-from %q: only store is known", f.baselineFrom)}
	}
	cand, err := readSummary(f.candidate)
	if err != nil {
		return nil, err
	}
	h, err := store.OpenReadOnly(cmd.Context(), f.history)
	if err != nil {
		return nil, badInput(err)
	}
	defer h.Close()
	b, err := h.LastBaseline(cmd.Context(), cand.LoadTest, cand.Env)
	if err != nil {
		return nil, badInput(err)
	}
	return b, nil
}
