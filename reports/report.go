package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/probe-dev/probe/results"
)

// Report is what one report shows: scenario runs and load-test summaries,
// rendered the same way in every format.
type Report struct {
	Title     string
	Generated time.Time
	Runs      []results.Run
	Summaries []*results.Summary
	Gates     []*results.Gate
	Drills    []*results.Drill
}

// format is one way to write a report: a new format is one entry of formats.
type format struct {
	name, ext string
	write     func(io.Writer, *Report) error
}

var formats = []format{
	{"text", ".txt", Text},
	{"html", ".html", HTML},
	{"md", ".md", Markdown},
	{"junit", ".xml", JUnit},
	{"json", ".json", JSON},
}

// Formats this package writes, by name.
var Formats = func() []string {
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = f.name
	}
	return names
}()

func formatNamed(name string) (format, bool) {
	for _, f := range formats {
		if f.name == name {
			return f, true
		}
	}
	return format{}, false
}

// Passed reports whether every run passed and every threshold held.
func (r *Report) Passed() bool {
	for _, run := range r.Runs {
		if run.Status != results.Pass {
			return false
		}
	}
	for _, s := range r.Summaries {
		if s.Failed() {
			return false
		}
	}
	for _, g := range r.Gates {
		if g.Verdict != results.GatePass {
			return false
		}
	}
	for _, d := range r.Drills {
		if !d.Passed {
			return false
		}
	}
	return true
}

// Verdict is the one line that comes first: PASS, FAIL naming what failed,
// or UNDECIDED when nothing failed but a gate could not decide.
func (r *Report) Verdict() string {
	var failed, undecided []string
	for _, run := range r.Runs {
		if run.Status != results.Pass {
			failed = append(failed, fmt.Sprintf("%s on %s (%s)", run.Scenario, run.Env, run.Status))
		}
	}
	for _, s := range r.Summaries {
		for _, t := range s.Thresholds {
			if !t.Pass {
				failed = append(failed, fmt.Sprintf("%s on %s: %s (actual %s)", s.LoadTest, s.Env, t.Name, t.Actual))
			}
		}
	}
	for _, g := range r.Gates {
		if g.Verdict == results.GatePass {
			continue
		}
		var named []string
		for _, f := range g.Findings {
			if f.Verdict == results.GateFail {
				named = append(named, f.Endpoint+" "+f.Metric)
			}
		}
		line := fmt.Sprintf("gate %s on %s: %s", g.LoadTest, g.Env, g.Verdict)
		if len(named) > 0 {
			line += " (" + strings.Join(named, ", ") + ")"
		}
		if g.Verdict == results.GateFail {
			failed = append(failed, line)
		} else {
			undecided = append(undecided, line)
		}
	}
	for _, d := range r.Drills {
		if !d.Passed {
			failed = append(failed, fmt.Sprintf("drill %s on %s: highest good rate %.1f/s, ended by %s", d.LoadTest, d.Env, d.HighestGood, d.Limit))
		}
	}
	switch {
	case len(failed) > 0:
		return "FAIL: " + strings.Join(append(failed, undecided...), "; ")
	case len(undecided) > 0:
		return "UNDECIDED: " + strings.Join(undecided, "; ")
	case len(r.Gates) > 0 || len(r.Drills) > 0:
		return fmt.Sprintf("PASS: %d runs, %d load tests, %d gates and %d drills, all passed", len(r.Runs), len(r.Summaries), len(r.Gates), len(r.Drills))
	}
	return fmt.Sprintf("PASS: %d runs and %d load tests, all passed", len(r.Runs), len(r.Summaries))
}

// Write renders r in format to w.
func Write(w io.Writer, name string, r *Report) error {
	f, ok := formatNamed(name)
	if !ok {
		return fmt.Errorf("report format %q: want one of %s", name, strings.Join(Formats, ", "))
	}
	return f.write(w, r)
}

// Extension is the file extension of a format.
func Extension(name string) string {
	f, _ := formatNamed(name)
	return f.ext
}

// Text writes the terminal form: the run table, then each summary.
func Text(w io.Writer, r *Report) error {
	if len(r.Runs) > 0 {
		if err := RunsText(w, r.Runs, false); err != nil {
			return err
		}
	}
	for _, s := range r.Summaries {
		if _, err := io.WriteString(w, "\n"); err != nil {
			return err
		}
		if err := SummaryText(w, s, false); err != nil {
			return err
		}
	}
	for _, g := range r.Gates {
		if _, err := io.WriteString(w, "\n"); err != nil {
			return err
		}
		if err := GateText(w, g, false); err != nil {
			return err
		}
	}
	for _, d := range r.Drills {
		if _, err := io.WriteString(w, "\n"); err != nil {
			return err
		}
		if err := DrillText(w, d); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "\n%s\n", r.Verdict())
	return err
}

// ReportSchema names the JSON bundle of several results.
const ReportSchema = results.ReportSchema

type bundle struct {
	Schema    string             `json:"schema"`
	Title     string             `json:"title"`
	Generated time.Time          `json:"generated"`
	Passed    bool               `json:"passed"`
	Runs      []results.Run      `json:"runs"`
	Summaries []*results.Summary `json:"summaries"`
	Gates     []*results.Gate    `json:"gates,omitempty"`
	Drills    []*results.Drill   `json:"drills,omitempty"`
}

// JSON writes the results themselves, versioned, in one bundle.
func JSON(w io.Writer, r *Report) error {
	b := bundle{Schema: ReportSchema, Title: r.Title, Generated: r.Generated, Passed: r.Passed(), Runs: r.Runs, Summaries: r.Summaries, Gates: r.Gates, Drills: r.Drills}
	if b.Runs == nil {
		b.Runs = []results.Run{}
	}
	if b.Summaries == nil {
		b.Summaries = []*results.Summary{}
	}
	for i := range b.Runs {
		b.Runs[i].Version = results.SchemaVersion
	}
	for _, d := range b.Drills {
		d.Schema = results.DrillSchema
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(b); err != nil {
		return fmt.Errorf("write JSON report: %w", err)
	}
	return nil
}

// ErrUnknownFile is a file that is no result probe wrote.
var ErrUnknownFile = results.ErrUnknownFile

// Read reads one saved result into r: a run, a load-test summary, a drill,
// or a report bundle. name is used in errors.
func Read(name string, data []byte, r *Report) error {
	kind, err := results.Sniff(data)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	switch kind {
	case results.FileSummary:
		s, err := results.ReadSummary(bytes.NewReader(data))
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		r.Summaries = append(r.Summaries, s)
	case results.FileReport:
		var b bundle
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&b); err != nil {
			return fmt.Errorf("%s: read report: %w", name, err)
		}
		r.Runs = append(r.Runs, b.Runs...)
		r.Summaries = append(r.Summaries, b.Summaries...)
		r.Gates = append(r.Gates, b.Gates...)
		r.Drills = append(r.Drills, b.Drills...)
	case results.FileDrill:
		d, err := results.ReadDrill(bytes.NewReader(data))
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		r.Drills = append(r.Drills, d)
	case results.FileRun:
		run, err := results.ReadRun(bytes.NewReader(data))
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		r.Runs = append(r.Runs, *run)
	}
	return nil
}

// Sort puts runs and summaries in a stable order: by name, then env.
func (r *Report) Sort() {
	slices.SortStableFunc(r.Runs, func(a, b results.Run) int {
		return strings.Compare(a.Scenario+"\x00"+a.Env, b.Scenario+"\x00"+b.Env)
	})
	slices.SortStableFunc(r.Summaries, func(a, b *results.Summary) int {
		return strings.Compare(a.LoadTest+"\x00"+a.Env+"\x00"+a.Shard, b.LoadTest+"\x00"+b.Env+"\x00"+b.Shard)
	})
}
