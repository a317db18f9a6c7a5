package main

import (
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
)

// Logs go to stderr and never break up what a person reads: one-shot
// commands log warnings and errors only, the daemons (run, demo-target) log
// at info; each -v shows one level more. --log-format json writes slog's
// JSON lines, for ELK or Fluentd.
var (
	logFormats = []string{"text", "json"}
	daemons    = []string{"run", "demo-target"}
)

// logSettings are the logging flags, read from the command line before cobra
// parses it: every command's logger is made with the command tree.
type logSettings struct {
	format  string
	verbose int
	command string
}

func readLogSettings(args []string) logSettings {
	ls := logSettings{format: "text"}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return ls
		case a == "--log-format" && i+1 < len(args):
			ls.format = args[i+1]
			i++
		case strings.HasPrefix(a, "--log-format="):
			ls.format = strings.TrimPrefix(a, "--log-format=")
		case a == "--verbose":
			ls.verbose++
		case strings.HasPrefix(a, "-v") && strings.Trim(a[1:], "v") == "":
			ls.verbose += len(a) - 1
		case !strings.HasPrefix(a, "-") && ls.command == "":
			ls.command = a
		}
	}
	return ls
}

func (ls logSettings) logger(stderr io.Writer) *slog.Logger {
	level := slog.LevelWarn
	if slices.Contains(daemons, ls.command) {
		level = slog.LevelInfo
	}
	level -= slog.Level(4 * ls.verbose)
	opts := &slog.HandlerOptions{Level: level}
	if ls.format == "json" {
		return slog.New(slog.NewJSONHandler(stderr, opts))
	}
	return slog.New(slog.NewTextHandler(stderr, opts))
}

func checkLogFormat(format string) error {
	if !slices.Contains(logFormats, format) {
		return usageError{fmt.Errorf("--log-format %q: want one of %s", format, strings.Join(logFormats, ", "))}
	}
	return nil
}
