package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/probe-dev/probe/suite"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// usageError marks a mistake in the command line itself.
type usageError struct{ error }

func isUsage(err error) bool {
	var ue usageError
	// cobra reports an unknown command as a plain error.
	return errors.As(err, &ue) || strings.HasPrefix(err.Error(), "unknown command ")
}

func newRoot(stdout, stderr io.Writer, ls logSettings) *cobra.Command {
	root := &cobra.Command{
		Use:   "probe",
		Short: "Synthetic monitoring, release gate and capacity drills for web products",
		Long: `probe runs one suite of definitions three ways: a continuous uptime probe
(browser flows and HTTP checks), a release gate (load test the candidate,
compare with the baseline) and capacity drills (traffic spikes until the SLO
breaks).

Exit codes: 0 pass, 1 a check, threshold, gate or drill failed, 2 bad input
or usage, 3 could not run or interrupted, 4 undecided gate.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{err}
	})
	var format string
	var verbose int
	root.PersistentFlags().StringVar(&format, "log-format", "text", "log lines as text or json (stderr)")
	root.PersistentFlags().CountVarP(&verbose, "verbose", "v", "log more: info for one-shot commands, debug for probe run (repeatable)")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if err := checkLogFormat(format); err != nil {
			return err
		}
		return checkFlags(cmd.Flags())
	}
	log := ls.logger(stderr)
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
		if len(args) >= lo && len(args) <= hi {
			return nil
		}
		want := fmt.Sprintf("%d to %d arguments", lo, hi)
		switch {
		case hi == 0:
			want = "no arguments"
		case lo == hi:
			want = fmt.Sprintf("%d %s", lo, plural(lo, "argument", "arguments"))
		case lo == 0:
			want = fmt.Sprintf("at most %d %s", hi, plural(hi, "argument", "arguments"))
		case hi == math.MaxInt:
			want = fmt.Sprintf("at least %d %s", lo, plural(lo, "argument", "arguments"))
		}
		return usageError{fmt.Errorf("%s takes %s, got %d; usage: probe %s", cmd.Name(), want, len(args), cmd.Use)}
	}
}

// atLeastOne is the annotation of a count flag that must be 1 or more: the
// packages read 0 as "the default" or "no limit", which is not what a user
// who wrote 0 meant.
const atLeastOne = "probe-at-least-one"

// aboveZero is the annotation of a number or duration flag that must be
// above 0 when given: 0 is read as "the default" (--duration 0s ran the
// profile as written) or plans nothing.
const aboveZero = "probe-above-zero"

// countFlags marks the named count flags of fl as atLeastOne.
func countFlags(fl *pflag.FlagSet, names ...string) { mark(fl, atLeastOne, names) }

// positiveFlags marks the named flags of fl as aboveZero.
func positiveFlags(fl *pflag.FlagSet, names ...string) { mark(fl, aboveZero, names) }

func mark(fl *pflag.FlagSet, annotation string, names []string) {
	for _, n := range names {
		if err := fl.SetAnnotation(n, annotation, []string{"true"}); err != nil {
			panic(err) // a flag name misspelt in the code
		}
	}
}

// checkFlags holds for every command: a number is finite (NaN or Inf would
// plan nothing or loop forever), a count flag is at least 1, a positive
// flag is above 0, a duration is not negative, a URL flag (--*-url,
// --pushgateway) is an absolute http(s) URL (ENV=URL for the repeatable
// ones), and a listen address (--addr, --listen, --*-addr) is host:port.
func checkFlags(fl *pflag.FlagSet) error {
	var err error
	fl.VisitAll(func(f *pflag.Flag) {
		if err != nil || !f.Changed {
			return
		}
		v := f.Value.String()
		switch f.Value.Type() {
		case "float64":
			if x, perr := strconv.ParseFloat(v, 64); perr == nil && (math.IsNaN(x) || math.IsInf(x, 0)) {
				err = usageError{fmt.Errorf("--%s %s: want a finite number", f.Name, v)}
			}
		case "duration":
			if d, perr := time.ParseDuration(v); perr == nil && d < 0 {
				err = usageError{fmt.Errorf("--%s %s: must not be negative", f.Name, v)}
			}
		}
		if _, count := f.Annotations[atLeastOne]; count {
			if x, perr := strconv.ParseInt(v, 10, 64); perr == nil && x < 1 {
				err = usageError{fmt.Errorf("--%s %s: must be at least 1", f.Name, v)}
			}
		}
		if _, positive := f.Annotations[aboveZero]; positive && err == nil {
			x, perr := strconv.ParseFloat(v, 64)
			if d, derr := time.ParseDuration(v); derr == nil {
				x, perr = float64(d), nil
			}
			if perr == nil && x <= 0 {
				err = usageError{fmt.Errorf("--%s %s: must be above 0 (leave the flag out for its default)", f.Name, v)}
			}
		}
		if err == nil && (strings.HasSuffix(f.Name, "-url") || f.Name == "pushgateway") {
			err = checkURLFlag(f)
		}
		if err == nil && (f.Name == "addr" || f.Name == "listen" || strings.HasSuffix(f.Name, "-addr")) {
			err = checkAddrFlag(f)
		}
	})
	return err
}

// checkAddrFlag holds a listen address to host:port with a port of 0–65535,
// so a mistyped one is bad input, not a server that could not start; an
// empty one is refused where it is not the flag's "off" (net.Listen would
// take "" as every interface, on any port).
func checkAddrFlag(f *pflag.Flag) error {
	v := f.Value.String()
	if v == "" && f.DefValue == "" {
		return nil
	}
	_, port, err := net.SplitHostPort(v)
	if err != nil {
		return usageError{fmt.Errorf("--%s %q: want host:port, like 127.0.0.1:8080", f.Name, v)}
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return usageError{fmt.Errorf("--%s %q: the port must be a number from 0 to 65535", f.Name, v)}
	}
	return nil
}

func checkURLFlag(f *pflag.Flag) error {
	values := []string{f.Value.String()}
	sv, repeatable := f.Value.(pflag.SliceValue)
	if repeatable {
		values = sv.GetSlice()
	}
	for _, u := range values {
		if repeatable { // ENV=URL
			if _, after, found := strings.Cut(u, "="); found {
				u = after
			}
		}
		if u == "" {
			continue
		}
		if err := suite.CheckBaseURL(u); err != nil {
			return usageError{fmt.Errorf("--%s: %w; give the scheme and host", f.Name, err)}
		}
	}
	return nil
}
