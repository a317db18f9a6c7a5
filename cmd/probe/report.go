package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/probe-dev/probe/loadtests"
	"github.com/probe-dev/probe/reports"
	"github.com/probe-dev/probe/results"
	"github.com/probe-dev/probe/suite"
	"github.com/spf13/cobra"
)

func newReport() *cobra.Command {
	var format, out, title string
	cmd := &cobra.Command{
		Use:   "report FILE…",
		Short: "Render saved runs and load-test summaries as text, HTML, Markdown, JUnit or JSON",
		Long: `report reads run JSON (from probe check), summaries (from probe load) and
report bundles, and renders them together in one format. HTML is one
self-contained file with SVG plots; Markdown puts the verdict first, for pull
requests and GitHub's job summary; JUnit has a testcase per step and threshold.`,
		Example: `  probe report .probe/runs/*.json .probe/load/*.json --format html --out report.html
  probe report .probe/load/spike-staging.json --format md >> "$GITHUB_STEP_SUMMARY"`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{errors.New("give at least one result file")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(reports.Formats, format) {
				return usageError{fmt.Errorf("--format %q: want one of %s", format, strings.Join(reports.Formats, ", "))}
			}
			r := &reports.Report{Title: title, Generated: time.Now()}
			for _, name := range args {
				data, err := suite.ReadRegular(name, results.MaxFileSize)
				if err != nil {
					return badInput(fmt.Errorf("read result: %w", err))
				}
				if err := reports.Read(name, data, r); err != nil {
					return badInput(err)
				}
			}
			r.Sort()
			return writeReport(cmd.OutOrStdout(), out, format, r)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&format, "format", "text", "one of "+strings.Join(reports.Formats, ", "))
	fl.StringVar(&out, "out", "", "write to this file instead of standard output")
	fl.StringVar(&title, "title", "probe report", "title of the report")
	cmd.AddCommand(newReportMerge())
	return cmd
}

func newReportMerge() *cobra.Command {
	var out, suitePath string
	var partial bool
	cmd := &cobra.Command{
		Use:   "merge SHARD…",
		Short: "Join the shard summaries of one distributed load test",
		Long: `merge joins the summaries that 'probe load --shard I/N' wrote on N machines
into the summary one run would have written: counts and HDR histograms add
exactly. With --suite the load test's thresholds are judged again on the
whole (a shard's own exit code ignores them), and a failure exits 1.
The same shard twice, shards of different splits and unsharded summaries are
refused; so are missing shards, unless --partial.`,
		Example: `  probe report merge shards/spike-staging-shard*.json --out spike-staging.json --suite .`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{errors.New("give the shard summaries to merge")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return runMerge(cmd, args, out, suitePath, partial) },
	}
	cmd.Flags().StringVar(&out, "out", "", "write the merged summary here instead of standard output")
	cmd.Flags().StringVar(&suitePath, "suite", "", "judge the load test's thresholds again on the merged summary (exit 1 when one fails)")
	cmd.Flags().BoolVar(&partial, "partial", false, "merge even with shards missing; the result is marked partial")
	return cmd
}

func writeReport(stdout io.Writer, out, format string, r *reports.Report) error {
	if out == "" {
		return reports.Write(stdout, format, r)
	}
	return writeFile(out, func(w io.Writer) error { return reports.Write(w, format, r) })
}

// createFile creates the file at path, and its folders.
func createFile(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	return os.Create(path)
}

// outFolder makes the folder a command's --out names, before the command
// sends anything: a folder that cannot be made would otherwise end a long
// run with its results unwritten.
func outFolder(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return badInput(fmt.Errorf("--out %s: %w; give a folder probe can write", dir, err))
	}
	return nil
}

// writeFile writes through a temporary file and renames it, so a reader never
// sees half a file and a failed write leaves the old one.
func writeFile(path string, write func(io.Writer) error) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return badInput(fmt.Errorf("write %s: it is a folder; give the name of a file", path))
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// reportFlag is --report html,junit,… on the commands that run things.
func reportFormats(list string) ([]string, error) {
	if list == "" {
		return nil, nil
	}
	var out []string
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if !slices.Contains(reports.Formats, f) {
			return nil, usageError{fmt.Errorf("--report %s: %q is not a format; want a list of %s", list, f, strings.Join(reports.Formats, ", "))}
		}
		if !slices.Contains(out, f) { // html,html: one file, written once
			out = append(out, f)
		}
	}
	return out, nil
}

// runMerge is probe report merge.
func runMerge(cmd *cobra.Command, args []string, out, suitePath string, partial bool) error {
	var parts []*results.Summary
	for _, name := range args {
		s, err := readSummary(name)
		if err != nil {
			return err
		}
		parts = append(parts, s)
	}
	missing, err := results.CheckShards(parts, args)
	if err != nil {
		return badInput(err)
	}
	if len(missing) > 0 && !partial {
		return badInput(fmt.Errorf("shard %s %s missing: give every shard, or --partial to merge what there is", strings.Join(missing, ", "), plural(len(missing), "is", "are")))
	}
	merged, err := results.MergeSummaries(parts)
	if err != nil {
		return badInput(err)
	}
	if len(missing) > 0 {
		merged.Partial = true
		merged.Stop = "partial merge: shard " + strings.Join(missing, ", ") + " missing"
	}
	if suitePath != "" {
		s, err := suite.Load(suitePath)
		if err != nil {
			return err
		}
		lt := s.LoadTest(merged.LoadTest)
		if lt == nil {
			return badInput(fmt.Errorf("--suite %s has no load test %q to judge the merged summary by", suitePath, merged.LoadTest))
		}
		merged.Thresholds = loadtests.Judge(lt, merged)
	}
	// The text goes beside the JSON, never into it.
	text := cmd.OutOrStdout()
	if out == "" {
		text = cmd.ErrOrStderr()
		err = merged.WriteJSON(cmd.OutOrStdout())
	} else {
		err = writeFile(out, merged.WriteJSON)
	}
	if err != nil {
		return err
	}
	if err := reports.SummaryText(text, merged, false); err != nil {
		return err
	}
	if merged.Failed() {
		return &exitError{code: exitFail, err: fmt.Errorf("load test %q: a threshold failed on the merged summary", merged.LoadTest)}
	}
	return nil
}

// writeReports writes r in each format as dir/report.EXT and returns the paths.
func writeReports(dir string, formats []string, r *reports.Report) ([]string, error) {
	var paths []string
	for _, f := range formats {
		path := filepath.Join(dir, "report"+reports.Extension(f))
		if err := writeFile(path, func(w io.Writer) error { return reports.Write(w, f, r) }); err != nil {
			return nil, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}
