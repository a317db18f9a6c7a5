package main

import (
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/probe-dev/probe/reports"
	"github.com/probe-dev/probe/results"
	"github.com/probe-dev/probe/scenarios"
	"github.com/probe-dev/probe/suite"
	"github.com/spf13/cobra"
)

func newCheck(log *slog.Logger) *cobra.Command {
	var env, suitePath, outDir, baseURL, browserPath, reportList string
	cmd := &cobra.Command{
		Use:   "check [SCENARIO…]",
		Short: "Run scenarios once against one environment",
		Long: `check runs the named scenarios (default: every scenario of the environment)
once, prints a table of their steps, and writes each run's JSON under --out.
Exit 0 when all pass, 1 when any fails or times out, 2 on bad input, 3 when a
scenario could not run.`,
		Example: `  probe check --env staging
  probe check health catalogue --env dev --base-url http://127.0.0.1:9000`,
		RunE: func(cmd *cobra.Command, args []string) error {
			formats, err := reportFormats(reportList)
			if err != nil {
				return err
			}
			s, err := suite.Load(suitePath)
			if err != nil {
				return err
			}
			env, err = pickEnv(s, env)
			if err != nil {
				return err
			}
			picked, err := pickScenarios(s, env, args)
			if err != nil {
				return err
			}
			target, err := scenarios.TargetFor(s, env, baseURL)
			if err != nil {
				return badInput(err)
			}
			if err := outFolder(outDir); err != nil {
				return err
			}
			runs, err := runScenarios(cmd, log, s, picked, target, outDir, browserPath)
			if err != nil {
				return err
			}
			if err := reports.RunsText(cmd.OutOrStdout(), runs, isTerminal(cmd.OutOrStdout())); err != nil {
				return err
			}
			r := &reports.Report{Title: fmt.Sprintf("probe check on %s", env), Generated: time.Now(), Runs: runs}
			if err := announceReports(cmd.OutOrStdout(), outDir, formats, r); err != nil {
				return err
			}
			return checkOutcome(runs)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&env, "env", "", "environment to run against (may be left out when the suite has one)")
	fl.StringVar(&suitePath, "suite", ".", "suite folder or file")
	fl.StringVar(&outDir, "out", filepath.Join(".probe", "runs"), "folder for the runs' JSON")
	fl.StringVar(&baseURL, "base-url", "", "use this URL instead of the environment's (preview environments)")
	fl.StringVar(&reportList, "report", "", "also write reports under --out: a list of "+strings.Join(reports.Formats, ","))
	fl.StringVar(&browserPath, "browser", "", "Chromium to run browser flows with (default: chromium on PATH)")
	return cmd
}

// runScenarios runs each scenario once, writing each run's JSON (and the
// artifacts of browser flows) under outDir. The browser starts only when a
// browser flow is among them; when it is missing those runs say how to
// install it.
func runScenarios(cmd *cobra.Command, log *slog.Logger, s *suite.Suite, picked []*suite.Scenario,
	target scenarios.Target, outDir, browserPath string) ([]results.Run, error) {
	if err := scenarios.Check(picked); err != nil {
		return nil, err
	}
	opts := []scenarios.Option{scenarios.WithRedactor(s.Redactor), scenarios.WithArtifacts(outDir)}
	if scenarios.NeedsBrowser(picked) {
		b, err := scenarios.NewBrowser(browserPath, log)
		if err != nil {
			log.Error("browser flows cannot run", "err", err)
		} else {
			defer b.Close()
			opts = append(opts, scenarios.WithBrowser(b))
		}
	}
	runner := scenarios.NewRunner(log, opts...)
	var runs []results.Run
	for _, sc := range picked {
		run := runner.Run(cmd.Context(), sc, target)
		if err := writeRun(outDir, &run); err != nil {
			return nil, err
		}
		runs = append(runs, run)
	}
	return runs, nil
}

func pickEnv(s *suite.Suite, env string) (string, error) {
	names := s.EnvNames()
	switch {
	case env == "" && len(names) == 1:
		return names[0], nil
	case env == "":
		return "", usageError{fmt.Errorf("--env is required: the suite has %v", names)}
	case s.Environments[env] == nil:
		return "", badInput(fmt.Errorf("--env %q: no such environment; the suite has %v", env, names))
	}
	return env, nil
}

func pickScenarios(s *suite.Suite, env string, names []string) ([]*suite.Scenario, error) {
	if len(names) == 0 {
		var out []*suite.Scenario
		for _, sc := range s.Scenarios {
			if slices.Contains(sc.Envs, env) {
				out = append(out, sc)
			}
		}
		if len(out) == 0 {
			return nil, badInput(fmt.Errorf("no scenario runs on environment %q", env))
		}
		return out, nil
	}
	var out []*suite.Scenario
	for _, n := range names {
		sc := s.Scenario(n)
		if sc == nil {
			var all []string
			for _, x := range s.Scenarios {
				all = append(all, x.Name)
			}
			return nil, badInput(fmt.Errorf("no scenario %q; the suite has %v", n, all))
		}
		if !slices.Contains(sc.Envs, env) {
			return nil, badInput(fmt.Errorf("scenario %q does not run on %q; it runs on %v", n, env, sc.Envs))
		}
		out = append(out, sc)
	}
	return out, nil
}

func writeRun(dir string, run *results.Run) error {
	return writeFile(filepath.Join(dir, fmt.Sprintf("%s-%s.json", run.Scenario, run.Env)), run.WriteJSON)
}

// checkOutcome turns runs into the exit code: a failure of the target wins
// over our own inability to run.
func checkOutcome(runs []results.Run) error {
	var failed, couldNot int
	for _, r := range runs {
		switch r.Status {
		case results.Fail, results.Timeout:
			failed++
		case results.InfraError:
			couldNot++
		}
	}
	switch {
	case failed > 0:
		return &exitError{code: exitFail, err: fmt.Errorf("%d of %d scenarios failed", failed, len(runs))}
	case couldNot > 0:
		return &exitError{code: exitCouldNotRun, err: fmt.Errorf("%d of %d scenarios could not run", couldNot, len(runs))}
	}
	return nil
}

// announceReports writes the reports and says where they are.
func announceReports(w io.Writer, dir string, formats []string, r *reports.Report) error {
	paths, err := writeReports(dir, formats, r)
	if err != nil {
		return err
	}
	for _, p := range paths {
		fmt.Fprintf(w, "report written to %s\n", p)
	}
	return nil
}
