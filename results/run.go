package results

import (
	"fmt"
	"io"
	"path/filepath"
	"time"
)

// SchemaVersion is the version of the JSON written by this package.
const SchemaVersion = 1

// Status is the outcome of a run, an attempt or a step: one of a small fixed set.
type Status string

const (
	// Pass: every expectation held.
	Pass Status = "pass"
	// Fail: the target broke an expectation.
	Fail Status = "fail"
	// InfraError: our side failed (browser crash, DNS of the probe host, bad
	// configuration at run time); never counted against the target.
	InfraError Status = "infra_error"
	// Timeout: the run did not finish within its time limit.
	Timeout Status = "timeout"
)

// Valid reports whether s is one of the known statuses.
func (s Status) Valid() bool {
	switch s {
	case Pass, Fail, InfraError, Timeout:
		return true
	}
	return false
}

// Run is one run of one scenario against one environment. With retries it
// holds every attempt; its own status is the last attempt's.
type Run struct {
	Version  int           `json:"version"`
	Scenario string        `json:"scenario"`
	Kind     string        `json:"kind"`
	Env      string        `json:"env"`
	Start    time.Time     `json:"start"`
	Duration time.Duration `json:"duration_ns"`
	Status   Status        `json:"status"`
	Reason   string        `json:"reason,omitempty"`
	Flaky    bool          `json:"flaky,omitempty"` // passed after a failed attempt
	Attempts []Attempt     `json:"attempts"`
}

// Attempt is one try of a scenario.
type Attempt struct {
	Start    time.Time     `json:"start"`
	Duration time.Duration `json:"duration_ns"`
	Status   Status        `json:"status"`
	Reason   string        `json:"reason,omitempty"`
	Steps    []Step        `json:"steps"`
	// HTTP holds the phases of an HTTP check's failing request, else its last.
	HTTP    *HTTPTiming `json:"http,omitempty"`
	TraceID string      `json:"trace_id,omitempty"` // W3C trace id sent in traceparent

	// Browser flows only.
	Navigations    []Navigation `json:"navigations,omitempty"`
	ConsoleErrors  []string     `json:"console_errors,omitempty"`
	FailedRequests []string     `json:"failed_requests,omitempty"`
	Artifacts      []string     `json:"artifacts,omitempty"` // paths of screenshots, HTML, logs
}

// Navigation is one page load of a browser flow with its Web Vitals, read
// from the page's Performance APIs.
type Navigation struct {
	URL  string        `json:"url"`
	TTFB time.Duration `json:"ttfb_ns"`
	FCP  time.Duration `json:"fcp_ns,omitempty"`
	LCP  time.Duration `json:"lcp_ns,omitempty"`
	CLS  float64       `json:"cls"`
}

// Step is one step of an attempt: one request of an HTTP check, or one
// action of a browser flow.
type Step struct {
	Name     string        `json:"name"`
	Duration time.Duration `json:"duration_ns"`
	Status   Status        `json:"status"`
	Reason   string        `json:"reason,omitempty"`
	// HTTP holds the phases of a request step.
	HTTP *HTTPTiming `json:"http,omitempty"`
}

// HTTPTiming splits one HTTP request into phases, as blackbox_exporter does.
type HTTPTiming struct {
	StatusCode  int           `json:"status_code"`
	DNS         time.Duration `json:"dns_ns"`
	Connect     time.Duration `json:"connect_ns"`
	TLS         time.Duration `json:"tls_ns"`
	Processing  time.Duration `json:"processing_ns"` // request written → first byte
	Transfer    time.Duration `json:"transfer_ns"`   // first byte → body read
	Redirects   int           `json:"redirects"`
	BodyBytes   int64         `json:"body_bytes"`
	TLSDaysLeft *int          `json:"tls_days_left,omitempty"`
}

// Redact passes every text of r that may quote the suite (step names made
// of URLs and selectors, reasons, page URLs, console and network lines)
// through redact, so that no secret in a URL or a typed text is printed,
// stored or sent.
func (r *Run) Redact(redact func(string) string) {
	r.Reason = redact(r.Reason)
	for i := range r.Attempts {
		a := &r.Attempts[i]
		a.Reason = redact(a.Reason)
		for j := range a.Steps {
			a.Steps[j].Name = redact(a.Steps[j].Name)
			a.Steps[j].Reason = redact(a.Steps[j].Reason)
		}
		for j := range a.Navigations {
			a.Navigations[j].URL = redact(a.Navigations[j].URL)
		}
		for j := range a.ConsoleErrors {
			a.ConsoleErrors[j] = redact(a.ConsoleErrors[j])
		}
		for j := range a.FailedRequests {
			a.FailedRequests[j] = redact(a.FailedRequests[j])
		}
	}
}

// FailureScreenshot is the file name of the screenshot a failed browser
// flow keeps among its artifacts.
const FailureScreenshot = "failure.png"

// FailingStep is the name of the step that broke the attempt (the first step
// that did not pass: a cleanup step failing after it does not hide it), or "".
func (a Attempt) FailingStep() string {
	for _, st := range a.Steps {
		if st.Status != Pass {
			return st.Name
		}
	}
	return ""
}

// Screenshot is the path of the attempt's failure screenshot, or "".
func (a Attempt) Screenshot() string { return Screenshot(a.Artifacts) }

// Screenshot picks the failure screenshot among artifact paths, or "".
func Screenshot(artifacts []string) string {
	for _, p := range artifacts {
		if filepath.Base(p) == FailureScreenshot {
			return p
		}
	}
	return ""
}

// Last returns the last attempt, or a zero one when there is none.
func (r *Run) Last() Attempt {
	if len(r.Attempts) == 0 {
		return Attempt{}
	}
	return r.Attempts[len(r.Attempts)-1]
}

// WriteJSON writes r as indented, versioned JSON.
func (r *Run) WriteJSON(w io.Writer) error {
	r.Version = SchemaVersion
	return writeJSON(w, r, fmt.Sprintf("run %q", r.Scenario))
}

// ReadRun reads a run written by WriteJSON, refusing other versions and
// unknown statuses.
func ReadRun(rd io.Reader) (*Run, error) {
	var r Run
	if err := readJSON(rd, &r, "run"); err != nil {
		return nil, err
	}
	if r.Version != SchemaVersion {
		return nil, fmt.Errorf("read run: version %d, this probe reads version %d", r.Version, SchemaVersion)
	}
	if !r.Status.Valid() {
		return nil, fmt.Errorf("read run: unknown status %q", r.Status)
	}
	return &r, nil
}
