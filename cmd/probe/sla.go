package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/probe-dev/probe/monitor"
	"github.com/probe-dev/probe/reports"
	"github.com/probe-dev/probe/store"
	"github.com/probe-dev/probe/suite"
	"github.com/spf13/cobra"
)

func newSLA() *cobra.Command {
	var env, window, format, history, suitePath, out string
	cmd := &cobra.Command{
		Use:   "sla --env ENV",
		Short: "Report availability and outages from the probe's history",
		Long: `sla reads the history 'probe run' keeps and reports, per scenario, the
availability passed / (passed + failed + timeout) over the window, the error
budget left against the suite's objective, and each outage with its start,
end, length and failing step. infra_error runs are counted apart and never
held against the target.`,
		Example: `  probe sla --env prod --window 30d --format md`,
		Args:    argsBetween(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if env == "" {
				return usageError{fmt.Errorf("--env is required")}
			}
			if !slices.Contains(reports.SLAFormats, format) {
				return usageError{fmt.Errorf("--format %q: want one of %s", format, strings.Join(reports.SLAFormats, ", "))}
			}
			w, err := suite.ParseDuration(window)
			if err != nil {
				return usageError{fmt.Errorf("--window: %w", err)}
			}
			if w <= 0 {
				return usageError{fmt.Errorf("--window %q: want a duration above 0, like 1h, 24h, 7d or 30d", window)}
			}
			target := 0.0
			if suitePath != "" {
				s, err := suite.Load(suitePath)
				if err != nil {
					return err
				}
				if a := s.SLOs.Availability; a != nil {
					target = float64(a.Target)
				}
			}
			h, err := store.OpenReadOnly(cmd.Context(), history)
			if err != nil {
				return badInput(err)
			}
			defer h.Close()
			rep, err := monitor.SLA(cmd.Context(), h, env, w, time.Now(), target)
			if err != nil {
				return err
			}
			if len(rep.Checks) == 0 {
				return badInput(fmt.Errorf("the history %s has no runs on %q in the last %s", history, env, window))
			}
			if out == "" {
				return reports.SLA(cmd.OutOrStdout(), format, rep)
			}
			return writeFile(out, func(w io.Writer) error { return reports.SLA(w, format, rep) })
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&env, "env", "", "environment to report on")
	fl.StringVar(&window, "window", "30d", "how far back, like 24h, 7d or 30d")
	fl.StringVar(&format, "format", "text", "one of "+strings.Join(reports.SLAFormats, ", "))
	fl.StringVar(&history, "history", store.DefaultPath, "SQLite file of the run history")
	fl.StringVar(&suitePath, "suite", "", "suite whose availability objective sets the error budget")
	fl.StringVar(&out, "out", "", "write here instead of standard output")
	return cmd
}

func newRules() *cobra.Command {
	var suitePath string
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "Print Prometheus recording rules and burn-rate alerts for the suite's SLO",
		Example: `  probe rules --suite examples/shop > deploy/prometheus/rules.yml
  promtool check rules deploy/prometheus/rules.yml`,
		Args: argsBetween(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := suite.Load(suitePath)
			if err != nil {
				return err
			}
			_, err = io.WriteString(cmd.OutOrStdout(), monitor.Rules(s))
			return err
		},
	}
	cmd.Flags().StringVar(&suitePath, "suite", ".", "suite folder or file")
	return cmd
}
