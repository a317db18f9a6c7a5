package main

import (
	"errors"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"
)

// usageError marks a mistake in the command line itself.
type usageError struct{ error }

func isUsage(err error) bool {
	var ue usageError
	// cobra reports an unknown command as a plain error.
	return errors.As(err, &ue) || strings.HasPrefix(err.Error(), "unknown command ")
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "probe",
		Short: "Synthetic monitoring, release gate and capacity drills for web products",
		Long: `probe runs one suite of definitions three ways: a continuous uptime probe
(browser flows and HTTP checks), a release gate (load test the candidate,
compare with the baseline) and capacity drills (traffic spikes until the SLO
breaks).

Exit codes: 0 pass, 1 a check, threshold or gate failed, 2 bad input or usage,
3 could not run, 4 inconclusive gate.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{err}
	})
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	root.AddCommand(
		newValidate(),
		newCheck(log),
		newLoad(log),
		newRun(log),
		newSLA(),
		newRules(),
		newGate(log),
		newDrill(log),
		newSchema(),
		newVersion(),
		newDemoTarget(log),
		newReport(),
		newDemo(log),
	)
	return root
}

// argsBetween is cobra.RangeArgs whose error is a usage error.
func argsBetween(lo, hi int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.RangeArgs(lo, hi)(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}
