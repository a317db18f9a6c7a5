package reports

import (
	"encoding/xml"
	"fmt"
	"io"
	"time"

	"github.com/probe-dev/probe/results"
)

// The JUnit XML that GitLab, GitHub and Jenkins read: testsuites of
// testcases, a failure or error element on those that did not pass.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// JUnit writes one testsuite per run (a testcase per step) and per load test
// (a testcase per threshold). A target's failure or timeout is a failure; our
// own (infra_error) is an error, so CI tells them apart.
func JUnit(w io.Writer, r *Report) error {
	all := junitSuites{Name: r.Title}
	var total time.Duration
	for _, run := range r.Runs {
		s := junitSuite{Name: fmt.Sprintf("%s on %s", run.Scenario, run.Env), Time: seconds(run.Duration), Timestamp: stamp(run.Start)}
		class := "probe.check." + run.Scenario + "." + run.Env
		last := run.Last()
		steps := last.Steps
		if len(steps) == 0 {
			steps = []results.Step{{Name: "run", Duration: run.Duration, Status: run.Status, Reason: run.Reason}}
		}
		for _, st := range steps {
			c := junitCase{Name: st.Name, Classname: class, Time: seconds(st.Duration)}
			problem(&c, st.Status, st.Reason)
			s.add(c)
		}
		if last.TraceID != "" {
			s.Cases[len(s.Cases)-1].SystemOut = "trace id " + last.TraceID
		}
		total += run.Duration
		all.add(s)
	}
	for _, sum := range r.Summaries {
		s := junitSuite{Name: fmt.Sprintf("load test %s on %s", sum.LoadTest, sum.Env), Time: seconds(sum.Duration), Timestamp: stamp(sum.Start)}
		class := "probe.load." + sum.LoadTest + "." + sum.Env
		for _, t := range sum.Thresholds {
			c := junitCase{Name: t.Name, Classname: class, Time: "0.000", SystemOut: "actual " + t.Actual}
			if !t.Pass {
				c.Failure = &junitProblem{Message: fmt.Sprintf("%s: actual %s", t.Name, t.Actual), Type: "threshold", Text: t.Actual}
			}
			s.add(c)
		}
		whole := junitCase{Name: "ran the whole profile", Classname: class, Time: seconds(sum.Duration),
			SystemOut: fmt.Sprintf("sent %d of %d planned requests at %.1f/s", sum.Sent, sum.Planned, sum.AchievedRate())}
		if sum.Partial {
			whole.Failure = &junitProblem{Message: "stopped early: " + sum.Stop, Type: "partial", Text: sum.Stop}
		}
		s.add(whole)
		total += sum.Duration
		all.add(s)
	}
	for _, g := range r.Gates {
		s := junitSuite{Name: fmt.Sprintf("gate %s on %s", g.LoadTest, g.Env), Time: "0.000", Timestamp: stamp(time.Time{})}
		class := "probe.gate." + g.LoadTest + "." + g.Env
		for _, f := range g.Findings {
			c := junitCase{Name: f.Endpoint + " " + f.Metric, Classname: class, Time: "0.000",
				SystemOut: fmt.Sprintf("baseline %s, candidate %s, ratio %s, CI %s, p %s, n %d/%d", f.Baseline, f.Candidate, ratio(f.Ratio), interval(f), pval(f), f.NBase, f.NCand)}
			switch f.Verdict {
			case results.GateFail:
				c.Failure = &junitProblem{Message: f.Reason, Type: "gate", Text: f.Reason}
			case results.GateInconclusive, results.GateInsufficient:
				c.Error = &junitProblem{Message: f.Verdict + ": " + f.Reason, Type: f.Verdict, Text: f.Reason}
			}
			s.add(c)
		}
		all.add(s)
	}
	for _, d := range r.Drills {
		all.add(drillSuite(d))
	}
	all.Time = seconds(total)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("write JUnit: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(all); err != nil {
		return fmt.Errorf("write JUnit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// drillSuite has a testcase per step, which says what it measured (a step
// that breaks the SLO is how a drill ends, not a failure), and a verdict
// testcase: a failure when the highest good rate falls short of --expect or
// none held, an error when probe itself was the limit.
func drillSuite(d *results.Drill) junitSuite {
	s := junitSuite{Name: fmt.Sprintf("drill %s on %s", d.LoadTest, d.Env), Time: "0.000", Timestamp: stamp(time.Time{})}
	class := "probe.drill." + d.LoadTest + "." + d.Env
	for _, st := range d.Steps {
		out := fmt.Sprintf("achieved %.1f/s, p95 %s, errors %.2f%%, late %.1f%%", st.Achieved, st.P95, st.ErrorRate*100, st.Late*100)
		if !st.OK {
			out += "; " + st.Why
		}
		s.add(junitCase{Name: fmt.Sprintf("step %.1f/s", st.Rate), Classname: class, Time: "0.000", SystemOut: out})
	}
	c := junitCase{Name: "highest good rate", Classname: class, Time: "0.000",
		SystemOut: fmt.Sprintf("highest good rate %.1f/s, ended by %s", d.HighestGood, d.Limit)}
	switch {
	case d.Limit == results.LimitGenerator || d.Limit == results.LimitInterrupted:
		c.Error = &junitProblem{Message: "ended by " + string(d.Limit) + ": the target's limit is not known", Type: string(d.Limit), Text: c.SystemOut}
	case !d.Passed:
		c.Failure = &junitProblem{Message: fmt.Sprintf("highest good rate %.1f/s, expected %.1f/s", d.HighestGood, d.Expect), Type: "drill", Text: c.SystemOut}
	}
	s.add(c)
	return s
}

func problem(c *junitCase, status results.Status, reason string) {
	switch status {
	case results.Fail, results.Timeout:
		c.Failure = &junitProblem{Message: reason, Type: string(status), Text: reason}
	case results.InfraError:
		c.Error = &junitProblem{Message: reason, Type: string(status), Text: reason}
	}
}

func (s *junitSuite) add(c junitCase) {
	s.Cases = append(s.Cases, c)
	s.Tests++
	if c.Failure != nil {
		s.Failures++
	}
	if c.Error != nil {
		s.Errors++
	}
}

func (a *junitSuites) add(s junitSuite) {
	a.Suites = append(a.Suites, s)
	a.Tests += s.Tests
	a.Failures += s.Failures
	a.Errors += s.Errors
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "1970-01-01T00:00:00"
	}
	return t.UTC().Format("2006-01-02T15:04:05")
}
