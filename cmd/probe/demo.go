package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/probe-dev/probe/demoapp"
	"github.com/probe-dev/probe/drill"
	"github.com/probe-dev/probe/examples"
	"github.com/probe-dev/probe/gate"
	"github.com/probe-dev/probe/loadtests"
	"github.com/probe-dev/probe/reports"
	"github.com/probe-dev/probe/results"
	"github.com/probe-dev/probe/scenarios"
	"github.com/probe-dev/probe/suite"
	"github.com/spf13/cobra"
)

func newDemo(log *slog.Logger) *cobra.Command {
	var suitePath, outDir string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run probe end to end against the embedded demo shop",
		Long: `demo starts the embedded demo shop on a free loopback port, loads the
example suite (embedded, or --suite) against it and shows what probe does
with it.`,
		Args: argsBetween(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error { return runDemo(cmd, log, suitePath, outDir) },
	}
	cmd.Flags().StringVar(&suitePath, "suite", "", "suite folder or file (default: the embedded examples/shop)")
	cmd.Flags().StringVar(&outDir, "out", filepath.Join(".probe", "demo"), "folder for the demo's files and reports")
	return cmd
}

// runDemo is probe demo: the shop, the example suite's checks, its load
// test, a gate, a drill, and one report of them all.
func runDemo(cmd *cobra.Command, log *slog.Logger, suitePath, outDir string) error {
	ctx := cmd.Context()
	out := cmd.OutOrStdout()
	if suitePath == "" {
		dir := filepath.Join(outDir, "suite")
		if err := examples.WriteShop(dir); err != nil {
			return err
		}
		suitePath = dir
	}
	shop := demoapp.New(demoapp.WithLogger(log))
	srv, err := demoapp.Start(ctx, shop, "127.0.0.1:0", "")
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Fprintf(out, "demo shop serving at %s\n", srv.URL())
	// Every loopback environment of the example points at the demo shop.
	lookup := func(name string) (string, bool) {
		switch name {
		case "SHOP_URL", "STAGING_URL", "PROD_URL":
			return srv.URL(), true
		}
		return os.LookupEnv(name)
	}
	s, err := suite.Load(suitePath, suite.WithLookupEnv(lookup))
	if err != nil {
		return err
	}
	if err := printOverview(out, s); err != nil {
		return err
	}
	runs, checksErr := demoChecks(cmd, log, s, outDir)
	fmt.Fprintf(out, "\nload test spike on dev (a traffic spike of about %s):\n", loadDuration(s.LoadTest("spike")))
	sum, loadErr := demoLoad(cmd, log, s, filepath.Join(outDir, "load"))
	r := &reports.Report{Title: "probe demo: the example suite against the demo shop", Generated: time.Now(), Runs: runs}
	if sum != nil {
		r.Summaries = append(r.Summaries, sum)
	}
	g, gateErr := demoGate(cmd, log, srv.URL(), suitePath)
	if g != nil {
		r.Gates = append(r.Gates, g)
	}
	d, drillErr := demoDrill(cmd, log, s)
	if d != nil {
		r.Drills = append(r.Drills, d)
	}
	loadErr = errors.Join(loadErr, gateErr, drillErr)
	paths, err := writeReports(outDir, []string{"html", "md", "junit", "json"}, r)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nthe report's verdict (the demo gate fails on purpose): %s\nreports: %s\nHTML report: %s\n",
		r.Verdict(), strings.Join(paths[1:], ", "), absPath(paths[0]))
	return errors.Join(checksErr, loadErr)
}

// demoLoad runs the example's spike on the demo shop.
func demoLoad(cmd *cobra.Command, log *slog.Logger, s *suite.Suite, outDir string) (*results.Summary, error) {
	lt := s.LoadTest("spike")
	o, err := loadtests.OptionsFor(s, lt, "dev", loadtests.Overrides{})
	if err != nil {
		return nil, err
	}
	o.Log = log
	return loadRun{lt: lt, opts: o, outDir: outDir}.run(cmd, log)
}

// demoChecks runs the example's checks and flows once against the demo shop.
func demoChecks(cmd *cobra.Command, log *slog.Logger, s *suite.Suite, outDir string) ([]results.Run, error) {
	const env = "dev"
	target, err := scenarios.TargetFor(s, env, "")
	if err != nil {
		return nil, err
	}
	var picked []*suite.Scenario
	for _, sc := range s.Scenarios {
		if slices.Contains(sc.Envs, env) {
			picked = append(picked, sc)
		}
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "\nchecks and browser flows on %s:\n", env)
	runsDir := filepath.Join(outDir, "runs")
	runs, err := runScenarios(cmd, log, s, picked, target, runsDir, "")
	if err != nil {
		return nil, err
	}
	if err := reports.RunsText(out, runs, isTerminal(out)); err != nil {
		return runs, err
	}
	fmt.Fprintf(out, "runs and artifacts written to %s\n", runsDir)
	return runs, checkOutcome(runs)
}

func loadDuration(lt *suite.LoadTest) string {
	return loadtests.NewSchedule(lt.Profile, loadtests.ScheduleOptions{Limit: lt.Limits.MaxDuration.Std()}).Duration().String()
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// demoSlowStep is the step of the spike's journeys that reads the product
// route, which the demo gate's candidate slows.
const demoSlowStep = "browse: product"

// demoGate gates a second demo shop, whose product route is 10 ms slower,
// against the first: the gate is expected to fail and to name that route.
func demoGate(cmd *cobra.Command, log *slog.Logger, baseline, suitePath string) (*results.Gate, error) {
	out := cmd.OutOrStdout()
	srv, err := faultyShop(cmd, log, demoapp.Faults{Routes: map[string]demoapp.RouteFaults{"api.product": {Latency: demoapp.Duration(10 * time.Millisecond)}}})
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	fmt.Fprintf(out, "\ngate: a candidate shop at %s with the product route 10 ms slower, against the demo shop, side by side:\n", srv.URL())
	s, err := suite.Load(suitePath)
	if err != nil {
		return nil, err
	}
	sg := sideBySideGate{suite: s, name: "spike", env: "dev", urls: [2]string{baseline, srv.URL()}, rateScale: 3, runs: 1, log: log, progress: io.Discard}
	g, err := sg.run(cmd.Context(), gate.Design{Warmup: 500 * time.Millisecond, Block: 2 * time.Second, MaxDuration: time.Minute}, gate.Options{})
	if err != nil {
		return g, err
	}
	if err := reports.GateText(out, g, isTerminal(out)); err != nil {
		return g, err
	}
	named := false
	for _, f := range g.Findings {
		if f.Verdict == results.GateFail && f.Endpoint == demoSlowStep {
			named = true
		}
	}
	if g.Verdict != results.GateFail || !named {
		return g, &exitError{code: exitFail, err: fmt.Errorf("the demo gate should have failed on %s; it said %s", demoSlowStep, g.Verdict)}
	}
	fmt.Fprintf(out, "as it should: the gate failed and named the slowed route's step (%s).\n", demoSlowStep)
	return g, nil
}

// demoDrill drills a shop that holds 4 requests at a time for 20 ms each (200
// requests a second), with short steps. The spike's rate is of arrivals, and
// an arrival sends about 2.35 requests (its journey's steps), so the shop
// holds about 85 arrivals a second.
func demoDrill(cmd *cobra.Command, log *slog.Logger, s *suite.Suite) (*results.Drill, error) {
	out := cmd.OutOrStdout()
	srv, err := faultyShop(cmd, log, demoapp.Faults{Routes: map[string]demoapp.RouteFaults{"*": {Capacity: 4, ServiceTime: demoapp.Duration(20 * time.Millisecond)}}})
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	fmt.Fprintf(out, "\ndrill: a shop at %s that holds 200 requests a second (4 at a time, 20 ms each; about 85 arrivals of journeys), stepped up from 20 arrivals/s:\n", srv.URL())
	lt := s.LoadTest("spike")
	o, err := loadtests.OptionsFor(s, lt, "dev", loadtests.Overrides{BaseURL: srv.URL()})
	if err != nil {
		return nil, err
	}
	o.Log, o.AbortAfter = log, -1
	d, err := drill.Run(cmd.Context(), drill.Config{Start: 20, Step: 20, Max: 300, StepDuration: time.Second,
		SLOP95: 100 * time.Millisecond, SLOErrors: 0.01, Expect: 60}, stepRunner(cmd, lt, o))
	if err != nil {
		return nil, err
	}
	return d, reports.DrillText(out, d)
}

// faultyShop starts another demo shop, with faults, on a free loopback port.
func faultyShop(cmd *cobra.Command, log *slog.Logger, f demoapp.Faults) (*demoapp.Server, error) {
	shop := demoapp.New(demoapp.WithLogger(log))
	if err := shop.SetFaults(f); err != nil {
		return nil, err
	}
	return demoapp.Start(cmd.Context(), shop, "127.0.0.1:0", "")
}
