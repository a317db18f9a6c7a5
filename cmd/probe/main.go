// Command probe is the synthetic-monitoring and load-test suite: uptime probes,
// a release gate and capacity drills from one suite of definitions.
//
// This package only wires: it parses flags, calls the packages that do the
// work, and turns their errors into exit codes.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/probe-dev/probe/suite"
)

// Exit codes, the same for every command (DESIGN.md).
const (
	exitPass         = 0
	exitFail         = 1 // a check, threshold or gate failed
	exitBadInput     = 2 // bad input or usage
	exitCouldNotRun  = 3 // target unreachable before start, browser missing
	exitInconclusive = 4 // a gate that is inconclusive or has too little data
)

// exitError carries an exit code up to main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func badInput(err error) error { return &exitError{code: exitBadInput, err: err} }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and returns its exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := newRoot(stdout, stderr, readLogSettings(args))
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return exitPass
	}
	var se suite.Errors
	if errors.As(err, &se) {
		fmt.Fprintf(stderr, "probe: the suite has %d %s:\n%v\n", len(se), plural(len(se), "mistake", "mistakes"), se)
	} else {
		fmt.Fprintln(stderr, "probe:", err)
	}
	return exitCode(err)
}

func exitCode(err error) int {
	var ee *exitError
	var se suite.Errors
	switch {
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &se), errors.Is(err, suite.ErrNoSuite), errors.Is(err, suite.ErrUnreadable):
		return exitBadInput
	case isUsage(err):
		return exitBadInput
	}
	return exitCouldNotRun
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
