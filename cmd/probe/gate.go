package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/probe-dev/probe/gate"
	"github.com/probe-dev/probe/loadtests"
	"github.com/probe-dev/probe/reports"
	"github.com/probe-dev/probe/results"
	"github.com/probe-dev/probe/scenarios"
	"github.com/probe-dev/probe/store"
	"github.com/probe-dev/probe/suite"
	"github.com/spf13/cobra"
)

type gateFlags struct {
	suitePath, env, baselineURL, candidateURL, baseline, candidate, outDir, report, baselineFrom, history string
	browser                                                                                               string
	pairs, runs                                                                                           int
	rateScale                                                                                             float64
	block, warmup                                                                                         time.Duration
	autoExtend                                                                                            bool
}

func newGate(log *slog.Logger) *cobra.Command {
	var f gateFlags
	cmd := &cobra.Command{
		Use:   "gate [LOADTEST|SCENARIO]",
		Short: "Compare a candidate build with its baseline and fail on a real regression",
		Long: `gate compares a candidate with its baseline, per endpoint: p95 latency (and
p99 with enough requests), error rate, new error kinds and throughput, with
Holm's correction across endpoints and a minimum effect (+5% p95 and +2 ms), so
noise does not fail a build.

Side by side (the strong way): gate LOADTEST --baseline-url URL --candidate-url
URL runs the load test against both builds in short interleaved blocks, in a
random order per pair, after a discarded warm-up, and compares block with
block. Against saved summaries: gate --baseline base.json --candidate cand.json
(from probe load); weaker, and the report says so.

A scenario named instead of a load test is gated per step: each block is
--runs runs of it against one build (browser flows in one Chromium), and each
step's time and failures are judged as an endpoint's would be.

Exit 0 pass, 1 fail (the endpoint and metric are named), 4 inconclusive or too
little data, 2 bad input, 3 could not run.`,
		Example: `  probe gate spike --env staging --baseline-url http://127.0.0.1:8081 --candidate-url http://127.0.0.1:8082
  probe gate checkout --env staging --baseline-url http://127.0.0.1:8081 --candidate-url http://127.0.0.1:8082
  probe gate --baseline .probe/load/spike-prod.json --candidate .probe/load/spike-staging.json --report md`,
		Args: argsBetween(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			formats, err := reportFormats(f.report)
			if err != nil {
				return err
			}
			var pairs []gate.Pair
			switch {
			case f.baseline != "" || f.candidate != "" || f.baselineFrom != "":
				if (f.baseline == "") == (f.baselineFrom == "") || f.candidate == "" || len(args) > 0 {
					return usageError{fmt.Errorf("saved summaries: give --candidate and one of --baseline or --baseline-from store, and no LOADTEST")}
				}
				var b *results.Summary
				if f.baselineFrom != "" {
					b, err = baselineFromStore(cmd, f)
				} else {
					b, err = readGateSide(f.baseline)
				}
				if err != nil {
					return err
				}
				c, err := readGateSide(f.candidate)
				if err != nil {
					return err
				}
				if b.Kind != c.Kind {
					return badInput(fmt.Errorf("--baseline and --candidate differ in kind: give two load-test summaries or two sets of scenario runs"))
				}
				pairs = []gate.Pair{{Baseline: b, Candidate: c}}
			case len(args) == 1 && f.baselineURL != "" && f.candidateURL != "":
				pairs, err = sideBySide(cmd, log, args[0], f)
				if err != nil {
					return err
				}
			default:
				return usageError{fmt.Errorf("give LOADTEST --baseline-url URL --candidate-url URL, or --baseline FILE --candidate FILE")}
			}
			g := gate.Compare(pairs, gate.Options{})
			if g.Verdict == results.GateInconclusive && f.autoExtend && len(args) == 1 {
				fmt.Fprintln(cmd.ErrOrStderr(), "inconclusive: running as many block pairs again (--auto-extend)")
				more, err := sideBySide(cmd, log, args[0], f)
				if err != nil {
					return err
				}
				g = gate.Compare(append(pairs, more...), gate.Options{})
			}
			return reportGate(cmd, g, formats, f.outDir)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.suitePath, "suite", ".", "suite folder or file")
	fl.StringVar(&f.env, "env", "", "environment whose headers and variables to use (may be left out when the suite has one)")
	fl.StringVar(&f.baselineURL, "baseline-url", "", "the baseline build's URL")
	fl.StringVar(&f.candidateURL, "candidate-url", "", "the candidate build's URL")
	fl.StringVar(&f.baseline, "baseline", "", "the baseline saved: a summary (probe load), or a run or folder of runs (probe check)")
	fl.StringVar(&f.candidate, "candidate", "", "the candidate saved, as --baseline")
	fl.StringVar(&f.baselineFrom, "baseline-from", "", "store: the last baseline kept by 'probe load --save-baseline' for the candidate's load test and env")
	fl.StringVar(&f.history, "history", store.DefaultPath, "SQLite file that keeps baselines")
	fl.IntVar(&f.pairs, "pairs", 10, "block pairs side by side")
	fl.DurationVar(&f.block, "block", 3*time.Second, "length of one block of a load test")
	fl.IntVar(&f.runs, "runs", 1, "runs of a scenario per block")
	fl.StringVar(&f.browser, "browser", "", "Chromium to run browser flows with (default: chromium on PATH)")
	fl.DurationVar(&f.warmup, "warmup", time.Second, "warm-up per build, discarded")
	fl.Float64Var(&f.rateScale, "rate-scale", 1, "multiply the load test's rates, for enough requests per block")
	fl.BoolVar(&f.autoExtend, "auto-extend", false, "when inconclusive, run as many block pairs again once")
	fl.StringVar(&f.outDir, "out", filepath.Join(".probe", "gate"), "folder for reports")
	fl.StringVar(&f.report, "report", "", "also write reports under --out: a list of text,html,md,junit,json")
	return cmd
}

// readGateSide reads one side of a saved gate: a load test's summary, or
// scenario runs (one run's JSON, or a folder of them) judged per step.
func readGateSide(path string) (*results.Summary, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, badInput(fmt.Errorf("read %s: %w", path, err))
	}
	var files []string
	if st.IsDir() {
		if files, err = filepath.Glob(filepath.Join(path, "*.json")); err != nil || len(files) == 0 {
			return nil, badInput(fmt.Errorf("%s: no run JSON files in this folder; give the --out folder of probe check or a summary file", path))
		}
	} else {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, badInput(fmt.Errorf("read %s: %w", path, err))
		}
		var head struct {
			Schema string `json:"schema"`
		}
		if json.Unmarshal(b, &head) != nil || head.Schema != "" {
			return readSummary(path)
		}
		files = []string{path}
	}
	var runs []results.Run
	for _, p := range files {
		r, err := readRun(p)
		if err != nil {
			return nil, err
		}
		runs = append(runs, *r)
	}
	name := runs[0].Scenario
	for _, r := range runs {
		if r.Scenario != name {
			name = "runs"
		}
	}
	return results.StepsSummary(name, runs[0].Env, runs), nil
}

func readRun(path string) (*results.Run, error) { return readResult(path, "run", results.ReadRun) }

func readSummary(path string) (*results.Summary, error) {
	return readResult(path, "summary", results.ReadSummary)
}

// readResult reads one results file; every mistake is bad input that names
// the file.
func readResult[T any](path, what string, read func(io.Reader) (T, error)) (T, error) {
	fh, err := os.Open(path)
	if err != nil {
		var zero T
		return zero, badInput(fmt.Errorf("read %s: %w", what, err))
	}
	defer fh.Close()
	v, err := read(fh)
	if err != nil {
		return v, badInput(fmt.Errorf("%s: %w", path, err))
	}
	return v, nil
}

// sideBySide runs the load test (or the scenario) named name against both
// builds in interleaved blocks.
func sideBySide(cmd *cobra.Command, log *slog.Logger, name string, f gateFlags) ([]gate.Pair, error) {
	ctx := cmd.Context()
	s, err := suite.Load(f.suitePath)
	if err != nil {
		return nil, err
	}
	env, err := pickEnv(s, f.env)
	if err != nil {
		return nil, err
	}
	lt, sc := s.LoadTest(name), s.Scenario(name)
	switch {
	case lt == nil && sc == nil:
		return nil, badInput(fmt.Errorf("no load test or scenario %q in the suite", name))
	case f.pairs < 1:
		return nil, usageError{fmt.Errorf("--pairs %d: must be above 0", f.pairs)}
	case lt != nil && f.block <= 0:
		return nil, usageError{fmt.Errorf("--block %s: must be above 0", f.block)}
	case lt == nil && f.runs < 1:
		return nil, usageError{fmt.Errorf("--runs %d: must be above 0", f.runs)}
	}
	for _, u := range []string{f.baselineURL, f.candidateURL} {
		if err := loadtests.Preflight(ctx, u); err != nil {
			return nil, &exitError{code: exitCouldNotRun, err: err}
		}
	}
	if lt == nil {
		return scenarioBlocks(cmd, log, s, sc, env, f)
	}
	e := s.Environments[env]
	headers := map[string]string{}
	for k, v := range s.Defaults.Headers {
		headers[k] = v
	}
	for k, v := range e.Headers {
		headers[k] = v
	}
	return interleave(cmd, f, func(url string, warm bool) (*results.Summary, error) {
		d := f.block
		if warm {
			d = f.warmup
		}
		o := loadtests.Options{Env: env, BaseURL: url, Headers: headers, Vars: e.Variables, Duration: d, AbortAfter: -1, Log: log,
			Seed: rand.Uint64(), RateScale: f.rateScale}
		if e.Protected {
			o.RateCap = e.MaxRate.PerSecond()
		}
		return loadtests.Run(ctx, lt, o)
	})
}

// scenarioBlocks gates a scenario's steps: a block is --runs runs of it
// against one build, in one browser shared by both builds (a fresh context
// per run), so the browser's own warm-up does not favour either.
func scenarioBlocks(cmd *cobra.Command, log *slog.Logger, s *suite.Suite, sc *suite.Scenario, env string, f gateFlags) ([]gate.Pair, error) {
	opts := []scenarios.Option{scenarios.WithRedactor(s.Redactor)}
	if sc.Kind == suite.KindBrowser {
		b, err := scenarios.NewBrowser(f.browser, log)
		if err != nil {
			return nil, &exitError{code: exitCouldNotRun, err: err}
		}
		defer b.Close()
		opts = append(opts, scenarios.WithBrowser(b))
	}
	runner := scenarios.NewRunner(log, opts...)
	return interleave(cmd, f, func(url string, warm bool) (*results.Summary, error) {
		target, err := scenarios.TargetFor(s, env, url)
		if err != nil {
			return nil, badInput(err)
		}
		n := f.runs
		if warm {
			n = 1
		}
		var runs []results.Run
		for range n {
			run := runner.Run(cmd.Context(), sc, target)
			if run.Status == results.InfraError {
				return nil, &exitError{code: exitCouldNotRun, err: fmt.Errorf("scenario %q against %s: %s", sc.Name, url, run.Reason)}
			}
			runs = append(runs, run)
		}
		return results.StepsSummary(sc.Name, env, runs), nil
	})
}

// interleave runs block pairs: each pair in a random order (A B or B A),
// after a warm-up of each build that is thrown away, so drift of a shared
// machine falls on both alike.
func interleave(cmd *cobra.Command, f gateFlags, block func(url string, warm bool) (*results.Summary, error)) ([]gate.Pair, error) {
	ctx := cmd.Context()
	one := func(url string, warm bool) (*results.Summary, error) {
		sum, err := block(url, warm)
		if err != nil {
			return nil, err
		}
		if ctx.Err() != nil {
			return nil, &exitError{code: exitCouldNotRun, err: fmt.Errorf("gate interrupted")}
		}
		return sum, nil
	}
	if f.warmup > 0 {
		for _, u := range []string{f.baselineURL, f.candidateURL} {
			if _, err := one(u, true); err != nil {
				return nil, err
			}
		}
	}
	var pairs []gate.Pair
	for i := range f.pairs {
		first, second := f.baselineURL, f.candidateURL
		swap := rand.IntN(2) == 1
		if swap {
			first, second = second, first
		}
		a, err := one(first, false)
		if err != nil {
			return nil, err
		}
		b, err := one(second, false)
		if err != nil {
			return nil, err
		}
		p := gate.Pair{Baseline: a, Candidate: b}
		if swap {
			p.Baseline, p.Candidate = b, a
		}
		pairs = append(pairs, p)
		fmt.Fprintf(cmd.ErrOrStderr(), "block pair %d/%d done\n", i+1, f.pairs)
	}
	return pairs, nil
}

func reportGate(cmd *cobra.Command, g *results.Gate, formats []string, outDir string) error {
	out := cmd.OutOrStdout()
	if err := reports.GateText(out, g, isTerminal(out)); err != nil {
		return err
	}
	r := &reports.Report{Title: fmt.Sprintf("probe gate %s on %s", g.LoadTest, g.Env), Generated: time.Now(), Gates: []*results.Gate{g}}
	if err := announceReports(out, outDir, formats, r); err != nil {
		return err
	}
	switch g.Verdict {
	case results.GateFail:
		return &exitError{code: exitFail, err: fmt.Errorf("gate failed: %s", r.Verdict())}
	case results.GateInconclusive, results.GateInsufficient:
		return &exitError{code: exitInconclusive, err: fmt.Errorf("gate %s: %s", g.Verdict, r.Verdict())}
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
	h, err := store.Open(cmd.Context(), f.history)
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
