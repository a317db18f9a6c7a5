package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/probe-dev/probe/drill"
	"github.com/probe-dev/probe/loadtests"
	"github.com/probe-dev/probe/reports"
	"github.com/probe-dev/probe/results"
	"github.com/probe-dev/probe/suite"
	"github.com/spf13/cobra"
)

type drillFlags struct {
	env, suitePath, baseURL, start, step, max, slo, expect, outDir string
	factor                                                         float64
	stepDuration                                                   time.Duration
	maxWorkers                                                     uint64
	allowProtected                                                 bool
}

func newDrill(log *slog.Logger) *cobra.Command {
	var f drillFlags
	cmd := &cobra.Command{
		Use:   "drill LOADTEST --env ENV",
		Short: "Find how much an environment holds before its SLO breaks",
		Long: `drill steps the load test's targets up, as an open model at a constant rate
per step, until the SLO breaks (latency, errors, or the rate not achieved),
then refines between the last good and the first bad step. It reports the
highest rate that held, the knee, the bottleneck endpoint, and the Universal
Scalability Law fitted to throughput against concurrency. When probe itself
cannot send the rate, it says so instead of blaming the target.
Exit 0 when the highest good rate reaches --expect (or no --expect), 1 when it
does not, 3 when the generator was the limit.`,
		Example: `  probe drill spike --env staging --start 50/s --step 50/s --slo p95=300ms,errors=1% --expect 400/s`,
		Args:    argsBetween(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDrill(cmd, log, args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.env, "env", "", "environment to drill (may be left out when the suite has one)")
	fl.StringVar(&f.suitePath, "suite", ".", "suite folder or file")
	fl.StringVar(&f.baseURL, "base-url", "", "use this URL instead of the environment's")
	fl.StringVar(&f.start, "start", "50/s", "first rate")
	fl.StringVar(&f.step, "step", "50/s", "rate added per step (or use --factor)")
	fl.Float64Var(&f.factor, "factor", 0, "multiply the rate by this per step instead of adding --step")
	fl.StringVar(&f.max, "max", "5000/s", "never drive above this rate")
	fl.DurationVar(&f.stepDuration, "step-duration", 30*time.Second, "how long each step holds")
	fl.StringVar(&f.slo, "slo", "p95=300ms,errors=1%", "the SLO each step must hold")
	fl.StringVar(&f.expect, "expect", "", "pass only when the highest good rate reaches this, like 400/s")
	fl.Uint64Var(&f.maxWorkers, "max-workers", 10_000, "most requests in flight at once")
	countFlags(fl, "max-workers")
	positiveFlags(fl, "step-duration")
	fl.BoolVar(&f.allowProtected, "allow-protected", false, "allow a protected environment, capped at its max_rate")
	fl.StringVar(&f.outDir, "out", filepath.Join(".probe", "drill"), "folder for the drill's JSON")
	return cmd
}

func parseRate(flag, s string) (float64, error) {
	r, err := suite.ParseRate(s)
	if err != nil {
		return 0, usageError{fmt.Errorf("--%s: %w", flag, err)}
	}
	return r.PerSecond(), nil
}

// config reads the drill's flags into its configuration.
func (f drillFlags) config(cmd *cobra.Command) (drill.Config, error) {
	cfg := drill.Config{StepDuration: f.stepDuration, Factor: f.factor}
	var err error
	if cfg.Start, err = parseRate("start", f.start); err != nil {
		return cfg, err
	}
	fl := cmd.Flags()
	if fl.Changed("step") && fl.Changed("factor") {
		return cfg, usageError{errors.New("--step and --factor: give one, the rate grows by adding a step or by multiplying by a factor")}
	}
	if !fl.Changed("factor") {
		if cfg.Step, err = parseRate("step", f.step); err != nil {
			return cfg, err
		}
	} else if f.factor <= 1 {
		return cfg, usageError{fmt.Errorf("--factor %g: must be above 1", f.factor)}
	}
	if cfg.Max, err = parseRate("max", f.max); err != nil {
		return cfg, err
	}
	if f.expect != "" {
		if cfg.Expect, err = parseRate("expect", f.expect); err != nil {
			return cfg, err
		}
	}
	if cfg.SLOP95, cfg.SLOErrors, err = parseSLO(f.slo); err != nil {
		return cfg, err
	}
	if cfg.Max < cfg.Start {
		return cfg, usageError{fmt.Errorf("--max %s is below --start %s: the drill would have no step to run", f.max, f.start)}
	}
	if err := cfg.Validate(); err != nil {
		if errors.Is(err, drill.ErrStepTooShort) {
			err = fmt.Errorf("--start %s, --step-duration %s: %w", f.start, f.stepDuration, err)
		}
		return cfg, usageError{err}
	}
	return cfg, nil
}

// parseSLO reads p95=300ms,errors=1%.
func parseSLO(s string) (time.Duration, float64, error) {
	var p95 time.Duration
	errs := 0.01
	seen := map[string]bool{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		var err error
		switch {
		case !ok:
			err = fmt.Errorf("%q is not key=value", kv)
		case seen[k]:
			err = fmt.Errorf("%s is given twice; give each key once", k)
		case k == "p95":
			if p95, err = suite.ParseDuration(v); err == nil && p95 == 0 {
				// Zero is how Config says "no latency SLO": leaving p95 out says it.
				err = errors.New("p95=0s: want a latency above 0, or leave p95 out for an SLO of errors only")
			}
		case k == "errors":
			var pct suite.Percent
			if pct, err = suite.ParsePercent(v); err == nil {
				errs = float64(pct)
			}
		default:
			err = fmt.Errorf("unknown key %q; use p95 and errors", k)
		}
		seen[k] = true
		if err != nil {
			return 0, 0, usageError{fmt.Errorf("--slo %q: %w", s, err)}
		}
	}
	return p95, errs, nil
}

func runDrill(cmd *cobra.Command, log *slog.Logger, name string, f drillFlags) error {
	cfg, err := f.config(cmd)
	if err != nil {
		return err
	}
	s, err := suite.Load(f.suitePath)
	if err != nil {
		return err
	}
	lt := s.LoadTest(name)
	if lt == nil {
		return badInput(fmt.Errorf("no load test %q in the suite", name))
	}
	env, err := pickEnv(s, f.env)
	if err != nil {
		return err
	}
	o, err := loadtests.OptionsFor(s, lt, env, loadtests.Overrides{BaseURL: f.baseURL, AllowProtected: f.allowProtected})
	if err != nil {
		return badInput(err)
	}
	o.Log, o.MaxWorkers, o.AbortAfter = log, f.maxWorkers, -1
	if o.RateCap > 0 && cfg.Max > o.RateCap {
		cfg.Max = o.RateCap // a protected environment's cap wins
	}
	if err := outFolder(f.outDir); err != nil {
		return err
	}
	if err := loadtests.Preflight(cmd.Context(), o.BaseURL); err != nil {
		return &exitError{code: exitCouldNotRun, err: err}
	}
	d, err := drill.Run(cmd.Context(), cfg, stepRunner(cmd, lt, o))
	if err != nil {
		return err
	}
	return reportDrill(cmd, d, f.outDir)
}

// stepRunner holds the load test's targets at one constant rate.
func stepRunner(cmd *cobra.Command, lt *suite.LoadTest, o loadtests.Options) drill.StepRunner {
	return func(ctx context.Context, rate float64, d time.Duration) (*results.Summary, error) {
		sum, err := loadtests.Run(ctx, loadtests.AtRate(lt, rate, d), o)
		if err != nil {
			return nil, err
		}
		achieved := fmt.Sprintf("achieved %.1f/s", sum.AchievedRate())
		if len(sum.Journeys) > 0 {
			achieved = fmt.Sprintf("%d of %d arrivals started, %.1f requests/s", sum.Arrived(), sum.Planned, sum.AchievedRate())
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "step %.1f/s: %s, p95 %s, errors %.2f%%\n",
			rate, achieved, sum.Overall.Latency.Quantile(0.95), sum.Overall.ErrorRate()*100)
		return sum, nil
	}
}

func reportDrill(cmd *cobra.Command, d *results.Drill, outDir string) error {
	out := cmd.OutOrStdout()
	if err := reports.DrillText(out, d); err != nil {
		return err
	}
	path := filepath.Join(outDir, d.LoadTest+"-"+d.Env+"-drill.json")
	if err := writeFile(path, func(w io.Writer) error { return reports.DrillJSON(w, d) }); err != nil {
		return err
	}
	fmt.Fprintf(out, "drill written to %s\n", path)
	switch {
	case d.Limit == results.LimitInterrupted:
		return &exitError{code: exitCouldNotRun, err: fmt.Errorf("interrupted: the drill's %d steps so far are written, marked by their limit %q", len(d.Steps), d.Limit)}
	case d.Limit == results.LimitGenerator:
		return &exitError{code: exitCouldNotRun, err: fmt.Errorf("probe could not send enough load to find the target's limit; run it from more machines (--shard) or raise --max-workers")}
	case !d.Passed && d.Expect > 0:
		return &exitError{code: exitFail, err: fmt.Errorf("highest good rate %.1f/s is below the expected %.1f/s (headroom %.2f)", d.HighestGood, d.Expect, d.Headroom)}
	case !d.Passed:
		return &exitError{code: exitFail, err: fmt.Errorf("no rate held the SLO; the drill ended on %s", d.Limit)}
	}
	return nil
}
