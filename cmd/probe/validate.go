package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/probe-dev/probe/suite"
	"github.com/spf13/cobra"
)

func newValidate() *cobra.Command {
	return &cobra.Command{
		Use:   "validate [SUITE]",
		Short: "Check a suite folder or file and say what it holds",
		Long: `validate loads a suite (a folder with probe.yaml, scenarios/*.yaml and
loadtests/*.yaml, or one file; default: the current folder) and reports every
mistake at once, each at file:line:column with the field's path. Exit 0 when
the suite is valid, 2 when it is not.`,
		Args: argsBetween(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "."
			if len(args) == 1 {
				path = args[0]
			}
			s, err := suite.Load(path)
			if err != nil {
				return err
			}
			return printOverview(cmd.OutOrStdout(), s)
		},
	}
}

// printOverview says what a valid suite holds.
func printOverview(w io.Writer, s *suite.Suite) error {
	var b strings.Builder
	name := s.Name
	if name == "" {
		name = s.Path
	}
	fmt.Fprintf(&b, "suite %s is valid (%d files)\n", name, len(s.Files))
	fmt.Fprintf(&b, "  environments: %d\n", len(s.Environments))
	for _, n := range s.EnvNames() {
		e := s.Environments[n]
		prot := ""
		if e.Protected {
			prot = fmt.Sprintf("  protected, load capped at %s", e.MaxRate)
		}
		fmt.Fprintf(&b, "    %-10s %s%s\n", n, s.Redactor.Redact(e.BaseURL), prot)
	}
	fmt.Fprintf(&b, "  scenarios: %d\n", len(s.Scenarios))
	for _, sc := range s.Scenarios {
		what := fmt.Sprintf("%d steps", len(sc.Steps))
		if sc.Request != nil {
			what = sc.Request.Method + " " + s.Redactor.Redact(sc.Request.URL)
		}
		fmt.Fprintf(&b, "    %-16s %-7s every %-6s on %s  (%s)\n", sc.Name, sc.Kind, sc.Schedule.Interval, strings.Join(sc.Envs, ","), what)
	}
	fmt.Fprintf(&b, "  load tests: %d\n", len(s.LoadTests))
	for _, lt := range s.LoadTests {
		journeys := 0
		for _, tg := range lt.Targets {
			if tg.IsJourney() {
				journeys++
			}
		}
		targets := fmt.Sprintf("%d targets", len(lt.Targets))
		if journeys > 0 {
			targets += fmt.Sprintf(" (%d journeys, at most %d users)", journeys, lt.MaxUsers)
		}
		fmt.Fprintf(&b, "    %-16s %s, %d phases, %d thresholds, at most %s and %d requests\n",
			lt.Name, targets, len(lt.Profile), len(lt.Thresholds), lt.Limits.MaxDuration, lt.Limits.MaxRequests)
	}
	if a := s.SLOs.Availability; a != nil {
		fmt.Fprintf(&b, "  SLO: availability %s over %s, %d latency objectives\n", a.Target, a.Window, len(s.SLOs.Latency))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
