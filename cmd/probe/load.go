package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
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
	"github.com/prometheus/client_golang/prometheus/push"
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
	_, err = runLoadTest(cmd, log, s, lt, env, f)
	return err
}

// runLoadTest runs lt on env, writes its summary and reports it. The summary
// comes back whenever the test ran, also when a threshold failed.
func runLoadTest(cmd *cobra.Command, log *slog.Logger, s *suite.Suite, lt *suite.LoadTest, env string, f loadFlags) (*results.Summary, error) {
	ctx := cmd.Context()
	formats, err := reportFormats(f.report)
	if err != nil {
		return nil, err
	}
	o, err := loadOptions(s, lt, env, f, log)
	if err != nil {
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
	if f.metricsAddr != "" {
		stop, err := serveMetrics(f.metricsAddr, reg)
		if err != nil {
			return nil, badInput(fmt.Errorf("--metrics-addr: %w", err))
		}
		defer stop()
	}
	if f.raw != "" {
		if err := os.MkdirAll(filepath.Dir(f.raw), 0o755); err != nil {
			return nil, badInput(fmt.Errorf("--raw: %w", err))
		}
		rf, err := os.Create(f.raw)
		if err != nil {
			return nil, badInput(fmt.Errorf("--raw: %w", err))
		}
		defer rf.Close()
		o.Raw = vegeta.NewEncoder(rf)
	}
	var endProgress func()
	o.Progress, endProgress = progressPrinter(cmd.ErrOrStderr())

	sum, err := loadtests.Run(ctx, lt, o)
	endProgress()
	if errors.Is(err, loadtests.ErrTemplate) {
		return nil, badInput(err)
	}
	if err != nil {
		return nil, err
	}
	path, err := writeSummary(f.outDir, sum)
	if err != nil {
		return nil, err
	}
	if f.pushgateway != "" {
		// The metrics carry loadtest and env themselves; the grouping key
		// must not repeat them, so the run is named by instance.
		instance := strings.TrimSuffix(filepath.Base(path), ".json")
		if err := push.New(f.pushgateway, "probe_load").Gatherer(reg).
			Grouping("instance", instance).PushContext(context.WithoutCancel(ctx)); err != nil {
			log.Error("push to pushgateway", "url", f.pushgateway, "err", err)
		}
	}
	out := cmd.OutOrStdout()
	if err := reports.SummaryText(out, sum, isTerminal(out)); err != nil {
		return sum, err
	}
	fmt.Fprintf(out, "\nsummary written to %s\n", path)
	r := &reports.Report{Title: fmt.Sprintf("probe load %s on %s", lt.Name, env), Generated: time.Now(), Summaries: []*results.Summary{sum}}
	if err := announceReports(out, f.outDir, formats, r); err != nil {
		return sum, err
	}
	if sum.Interrupted() {
		return sum, &exitError{code: exitCouldNotRun, err: fmt.Errorf("load test %q interrupted: what it measured is written, marked partial", lt.Name)}
	}
	if sum.Failed() {
		if sum.Shard != "" {
			// A slice's thresholds are an estimate; the pods of a distributed
			// test all finish, and the merge judges the whole.
			fmt.Fprintf(out, "a threshold failed on this slice; 'probe report merge --suite' judges the merged summary\n")
			return sum, nil
		}
		return sum, &exitError{code: exitFail, err: fmt.Errorf("load test %q: a threshold failed", lt.Name)}
	}
	if f.saveBaseline {
		if sum.Partial {
			return sum, badInput(fmt.Errorf("a partial run (%s) is not kept as a baseline", sum.Stop))
		}
		h, err := store.Open(ctx, f.history)
		if err != nil {
			return sum, badInput(err)
		}
		defer h.Close()
		if err := h.SaveBaseline(ctx, sum, time.Now()); err != nil {
			return sum, err
		}
		fmt.Fprintf(out, "kept as the baseline of %s on %s in %s\n", lt.Name, env, f.history)
	}
	return sum, nil
}

// loadOptions turns the flags and the environment into run options, refusing
// a protected environment without --allow-protected.
func loadOptions(s *suite.Suite, lt *suite.LoadTest, env string, f loadFlags, log *slog.Logger) (loadtests.Options, error) {
	e := s.Environments[env]
	o := loadtests.Options{Env: env, BaseURL: e.BaseURL, Vars: e.Variables, RateScale: f.rateScale, Duration: f.duration, Log: log, Redact: s.Redactor.Redact,
		MaxWorkers: f.maxWorkers, Connections: f.connections}
	if !strings.Contains(","+strings.Join(lt.Envs, ",")+",", ","+env+",") {
		return o, badInput(fmt.Errorf("load test %q does not run on %q; it runs on %v", lt.Name, env, lt.Envs))
	}
	if f.baseURL != "" {
		o.BaseURL = f.baseURL
	}
	o.Headers = map[string]string{}
	for k, v := range s.Defaults.Headers {
		o.Headers[k] = v
	}
	for k, v := range e.Headers {
		o.Headers[k] = v
	}
	if e.Protected {
		if !f.allowProtected {
			return o, badInput(fmt.Errorf("environment %q is protected: a load test needs --allow-protected, and is then capped at %s", env, e.MaxRate))
		}
		o.RateCap = e.MaxRate.PerSecond()
	}
	if f.rateScale <= 0 {
		return o, usageError{fmt.Errorf("--rate-scale %g: must be above 0", f.rateScale)}
	}
	if f.duration < 0 {
		return o, usageError{fmt.Errorf("--duration %s: must not be negative", f.duration)}
	}
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

func serveMetrics(addr string, reg *prometheus.Registry) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln) // returns ErrServerClosed at shutdown
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx) // scrapers may be mid-request; they get cut at the deadline
		<-done
	}, nil
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
