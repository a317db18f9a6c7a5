package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/probe-dev/probe/loadtests"
	"github.com/probe-dev/probe/reports"
	"github.com/probe-dev/probe/results"
	"github.com/probe-dev/probe/store"
	"github.com/probe-dev/probe/suite"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

type loadFlags struct {
	env, suitePath, outDir, baseURL, shard, metricsAddr, pushgateway, raw, report, history string
	duration                                                                               time.Duration
	maxWorkers                                                                             uint64
	connections                                                                            int
	rateScale                                                                              float64
	allowProtected, noAbort, saveBaseline                                                  bool
}

func newLoad(log *slog.Logger) *cobra.Command {
	var f loadFlags
	cmd := &cobra.Command{
		Use:   "load LOADTEST",
		Short: "Run a load test once against one environment",
		Long: `load runs one load test of the suite with vegeta: its profile as an open
model, weighted targets, live progress, then a summary per endpoint and each
threshold. The summary JSON (probe.summary/v1) goes under --out.
Exit 0 when every threshold holds, 1 when one fails, 2 on bad input, 3 when
the target is unreachable before the start.`,
		Example: `  probe load spike --env staging
  probe load spike --env dev --duration 30s --rate-scale 2
  probe load spike --env prod --allow-protected       # capped at prod's max_rate
  probe load spike --env dev --shard 0/4               # one of 4 pods`,
		Args: argsBetween(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLoad(cmd, log, args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.env, "env", "", "environment to load (may be left out when the suite has one)")
	fl.StringVar(&f.suitePath, "suite", ".", "suite folder or file")
	fl.StringVar(&f.outDir, "out", filepath.Join(".probe", "load"), "folder for the summary JSON")
	fl.StringVar(&f.baseURL, "base-url", "", "use this URL instead of the environment's")
	fl.DurationVar(&f.duration, "duration", 0, "stretch or squeeze the profile to last this long")
	fl.Float64Var(&f.rateScale, "rate-scale", 1, "multiply every rate of the profile")
	fl.StringVar(&f.shard, "shard", "", "I/N: run the I-th of N equal slices of the load (from 0)")
	fl.StringVar(&f.metricsAddr, "metrics-addr", "", "serve live Prometheus metrics here, like 127.0.0.1:9465")
	fl.StringVar(&f.pushgateway, "pushgateway", "", "push the final metrics to this Pushgateway URL")
	fl.StringVar(&f.raw, "raw", "", "also write every result to this file in vegeta's encoding ('vegeta report' reads it)")
	fl.Uint64Var(&f.maxWorkers, "max-workers", 10_000, "most requests in flight at once; beyond it requests are sent late, and counted so")
	fl.IntVar(&f.connections, "connections", 10_000, "most connections to the target at once")
	countFlags(fl, "max-workers", "connections")
	positiveFlags(fl, "rate-scale", "duration") // 0 would mean "as written" to OptionsFor
	fl.StringVar(&f.report, "report", "", "also write reports under --out: a list of "+strings.Join(reports.Formats, ","))
	fl.BoolVar(&f.allowProtected, "allow-protected", false, "allow a protected environment, still capped at its max_rate")
	fl.BoolVar(&f.saveBaseline, "save-baseline", false, "when every threshold passes, keep this summary as the baseline for 'probe gate --baseline-from store'")
	fl.StringVar(&f.history, "history", store.DefaultPath, "SQLite file that keeps baselines")
	fl.BoolVar(&f.noAbort, "no-abort", false, "run the whole profile even when a threshold is already lost")
	return cmd
}

func runLoad(cmd *cobra.Command, log *slog.Logger, name string, f loadFlags) error {
	if _, err := reportFormats(f.report); err != nil {
		return err
	}
	s, err := suite.Load(f.suitePath)
	if err != nil {
		return err
	}
	lt := s.LoadTest(name)
	if lt == nil {
		var names []string
		for _, l := range s.LoadTests {
			names = append(names, l.Name)
		}
		return badInput(fmt.Errorf("no load test %q; the suite has %v", name, names))
	}
	env, err := pickEnv(s, f.env)
	if err != nil {
		return err
	}
	o, err := loadOptions(s, lt, env, f, log)
	if err != nil {
		return err
	}
	formats, _ := reportFormats(f.report)
	_, err = loadRun{lt: lt, opts: o, outDir: f.outDir, formats: formats, raw: f.raw, metricsAddr: f.metricsAddr,
		pushgateway: f.pushgateway, saveBaseline: f.saveBaseline, history: f.history}.run(cmd, log)
	return err
}

// loadRun is one load test ready to run, and where what it measures goes.
type loadRun struct {
	lt                                    *suite.LoadTest
	opts                                  loadtests.Options
	outDir, raw, metricsAddr, pushgateway string
	formats                               []string
	saveBaseline                          bool
	history                               string
}

// run runs the load test, writes its summary and reports it. The summary
// comes back whenever the test ran, also when a threshold failed.
func (lr loadRun) run(cmd *cobra.Command, log *slog.Logger) (*results.Summary, error) {
	ctx, o := cmd.Context(), lr.opts
	var hist *store.Store
	if lr.saveBaseline { // opened first, so a history that cannot be kept fails before the test, not after
		h, err := store.Open(ctx, lr.history)
		if err != nil {
			return nil, badInput(fmt.Errorf("--history: %w", err))
		}
		defer h.Close()
		hist = h
	}
	if err := outFolder(lr.outDir); err != nil {
		return nil, err
	}
	if err := loadtests.Preflight(ctx, o.BaseURL); err != nil {
		return nil, &exitError{code: exitCouldNotRun, err: err}
	}
	reg := prometheus.NewRegistry()
	o.Metrics = loadtests.NewMetrics()
	if err := o.Metrics.Register(reg); err != nil {
		return nil, err
	}
	if lr.metricsAddr != "" {
		stop, _, err := serve(lr.metricsAddr, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), log)
		if err != nil {
			return nil, badInput(fmt.Errorf("--metrics-addr: %w", err))
		}
		defer stop()
	}
	if lr.raw != "" {
		rf, err := createFile(lr.raw)
		if err != nil {
			return nil, badInput(fmt.Errorf("--raw: %w", err))
		}
		defer rf.Close()
		o.Raw = vegeta.NewEncoder(rf)
	}
	var endProgress func()
	o.Progress, endProgress = progressPrinter(cmd.ErrOrStderr())
	sum, err := loadtests.Run(ctx, lr.lt, o)
	endProgress()
	if errors.Is(err, loadtests.ErrTemplate) {
		return nil, badInput(err)
	}
	if err != nil {
		return nil, err
	}
	path, err := writeSummary(lr.outDir, sum)
	if err != nil {
		return nil, err
	}
	out := cmd.OutOrStdout()
	if err := reports.SummaryText(out, sum, isTerminal(out)); err != nil {
		return sum, err
	}
	fmt.Fprintf(out, "\nsummary written to %s\n", path)
	r := &reports.Report{Title: fmt.Sprintf("probe load %s on %s", lr.lt.Name, o.Env), Generated: time.Now(), Summaries: []*results.Summary{sum}}
	if err := announceReports(out, lr.outDir, lr.formats, r); err != nil {
		return sum, err
	}
	if lr.pushgateway != "" {
		// After the report, so a slow Pushgateway holds nothing a person
		// reads; a failed push loses nothing the summary does not hold, so
		// it is logged and leaves the exit alone.
		if err := loadtests.Push(ctx, lr.pushgateway, reg, strings.TrimSuffix(filepath.Base(path), ".json")); err != nil {
			log.Error("metrics not pushed", "err", err)
		}
	}
	return sum, lr.outcome(cmd, sum, hist)
}

// outcome maps a finished test to its exit, and keeps it as the baseline in
// hist when asked and it is whole.
func (lr loadRun) outcome(cmd *cobra.Command, sum *results.Summary, hist *store.Store) error {
	out := cmd.OutOrStdout()
	switch {
	case sum.Interrupted():
		return &exitError{code: exitCouldNotRun, err: fmt.Errorf("load test %q interrupted: what it measured is written, marked partial", lr.lt.Name)}
	case sum.Generator != nil:
		return &exitError{code: exitCouldNotRun, err: fmt.Errorf("load test %q: the generator was the limit from %s; its results do not measure the target", lr.lt.Name, sum.Generator.From)}
	case sum.Failed() && sum.Shard != "":
		// A slice's thresholds are an estimate; the pods of a distributed
		// test all finish, and the merge judges the whole.
		fmt.Fprintf(out, "a threshold failed on this slice; 'probe report merge --suite' judges the merged summary\n")
		return nil
	case sum.Failed():
		return &exitError{code: exitFail, err: fmt.Errorf("load test %q: a threshold failed", lr.lt.Name)}
	case !lr.saveBaseline:
		return nil
	case sum.Partial:
		return badInput(fmt.Errorf("a partial run (%s) is not kept as a baseline", sum.Stop))
	}
	if err := hist.SaveBaseline(cmd.Context(), sum, time.Now()); err != nil {
		return err
	}
	fmt.Fprintf(out, "kept as the baseline of %s on %s in %s\n", lr.lt.Name, sum.Env, lr.history)
	return nil
}

// loadOptions turns the flags of probe load into run options: the suite's
// rules (loadtests.OptionsFor), then the generator's knobs.
func loadOptions(s *suite.Suite, lt *suite.LoadTest, env string, f loadFlags, log *slog.Logger) (loadtests.Options, error) {
	o, err := loadtests.OptionsFor(s, lt, env, loadtests.Overrides{BaseURL: f.baseURL, AllowProtected: f.allowProtected,
		RateScale: f.rateScale, Duration: f.duration})
	if err != nil {
		return o, badInput(err)
	}
	o.Log, o.MaxWorkers, o.Connections = log, f.maxWorkers, f.connections
	if f.noAbort {
		o.AbortAfter = -1
	}
	if f.shard != "" {
		i, n, err := results.ParseShard(f.shard)
		if err != nil {
			return o, usageError{fmt.Errorf("--%w", err)}
		}
		o.Shard, o.Shards = i, n
	}
	return o, nil
}

// progressPrinter shows progress on one line that rewrites itself on a
// terminal, and as a plain line every 5 seconds elsewhere. The second func
// ends the line.
func progressPrinter(w io.Writer) (func(loadtests.Progress), func()) {
	tty := isTerminal(w)
	var last time.Duration
	printed := false
	show := func(p loadtests.Progress) {
		switch {
		case tty:
			fmt.Fprintf(w, "\r\033[K%s", p)
			printed = true
		case p.Elapsed-last >= 5*time.Second || last == 0:
			fmt.Fprintln(w, p)
			last = max(p.Elapsed, time.Nanosecond)
		}
	}
	end := func() {
		if printed {
			fmt.Fprintln(w)
		}
	}
	return show, end
}

func writeSummary(dir string, s *results.Summary) (string, error) {
	name := s.LoadTest + "-" + s.Env
	if s.Shard != "" {
		name += "-shard" + strings.ReplaceAll(s.Shard, "/", "of")
	}
	path := filepath.Join(dir, name+".json")
	return path, writeFile(path, s.WriteJSON)
}

// isTerminal reports whether w is a terminal, where colour and rewritten
// lines make sense; NO_COLOR turns both off.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("NO_COLOR") != "" {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
