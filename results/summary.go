package results

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
)

// SummarySchema names the version of a load test's summary JSON.
const SummarySchema = "probe.summary/v1"

// Summary is everything a load test measured, in a few kilobytes however
// long it ran: counts, HDR histograms and a one-second timeline.
type Summary struct {
	Schema   string `json:"schema"`
	LoadTest string `json:"loadtest"`
	Env      string `json:"env"`
	Shard    string `json:"shard,omitempty"` // "I/N" for one slice of a distributed test
	// Kind is empty for a load test and "scenario" when the endpoints are
	// the steps of scenario runs (StepsSummary): nothing was planned.
	Kind     string        `json:"kind,omitempty"`
	Start    time.Time     `json:"start"`
	Duration time.Duration `json:"duration_ns"`  // from the first send to the last answer
	SendSpan time.Duration `json:"send_span_ns"` // from the first send to the last
	Partial  bool          `json:"partial"`      // stopped before the profile ended
	Stop     string        `json:"stop"`         // why it ended: completed, max_requests, interrupted, aborted: …

	Planned int64 `json:"planned"` // requests the profile asked for
	Sent    int64 `json:"sent"`
	Late    int64 `json:"late"` // sent more than LateAfter after they were due
	// Dropped were due but never sent: the generator was too far behind
	// (like k6's dropped iterations). Counted, never hidden.
	Dropped int64 `json:"dropped"`
	// Workers is how many of vegeta's workers the test started: what the
	// target held, bounded when the generator was short of CPU.
	Workers int64 `json:"workers,omitempty"`
	// Generator is set when probe itself was the limit: its latencies hold
	// probe's own queueing, and no verdict should rest on them.
	Generator *GeneratorLimit `json:"generator_limit,omitempty"`

	Overall    Endpoint          `json:"overall"`
	Endpoints  []Endpoint        `json:"endpoints"`
	Journeys   []Journey         `json:"journeys,omitempty"`
	Timeline   []Second          `json:"timeline"`
	Thresholds []ThresholdResult `json:"thresholds,omitempty"`
}

// Why a load test ended (Summary.Stop); a test stopped because a threshold
// could no longer pass says "aborted: threshold … can no longer pass".
const (
	StopCompleted   = "completed"    // the profile ran to its end
	StopMaxDuration = "max_duration" // limits.max_duration came first
	StopTemplate    = "bad request template"
	// StopInterrupted is the Stop of a load test (and the Limit of a drill)
	// cut short by the user (SIGINT, SIGTERM): what was measured is written,
	// marked partial, and the command exits 3.
	StopInterrupted = "interrupted"
)

// Interrupted reports whether the user cut the test short.
func (s *Summary) Interrupted() bool { return s.Stop == StopInterrupted }

// LateAfter is how late a send may be before it counts as late: the
// generator could not keep up with the schedule.
const LateAfter = 10 * time.Millisecond

// Endpoint is what one target (or all, in Overall) saw.
type Endpoint struct {
	Name       string           `json:"name"`
	Method     string           `json:"method,omitempty"`
	Path       string           `json:"path,omitempty"`
	Requests   int64            `json:"requests"`
	Errors     int64            `json:"errors"`
	Codes      map[string]int64 `json:"codes"`       // status code → count; "0" when no answer
	ErrorKinds map[string]int64 `json:"error_kinds"` // from a fixed set, see loadtests
	BytesIn    int64            `json:"bytes_in"`
	BytesOut   int64            `json:"bytes_out"`
	// Latency is measured from when each request was sent; DueLatency from
	// when it was due, so a stalled target shows as a tail (coordinated
	// omission) and not as a lull.
	Latency    *Histogram `json:"latency"`
	DueLatency *Histogram `json:"due_latency"`
}

// NewEndpoint returns an empty endpoint record.
func NewEndpoint(name, method, path string) Endpoint {
	return Endpoint{Name: name, Method: method, Path: path, Codes: map[string]int64{}, ErrorKinds: map[string]int64{},
		Latency: NewHistogram(), DueLatency: NewHistogram()}
}

// Merge adds o's counts and histograms to e.
func (e *Endpoint) Merge(o Endpoint) {
	e.Requests += o.Requests
	e.Errors += o.Errors
	e.BytesIn += o.BytesIn
	e.BytesOut += o.BytesOut
	for k, v := range o.Codes {
		e.Codes[k] += v
	}
	for k, v := range o.ErrorKinds {
		e.ErrorKinds[k] += v
	}
	e.Latency.Merge(o.Latency)
	e.DueLatency.Merge(o.DueLatency)
}

// ErrorRate is the share of requests that failed.
func (e *Endpoint) ErrorRate() float64 {
	if e.Requests == 0 {
		return 0
	}
	return float64(e.Errors) / float64(e.Requests)
}

// Second is one second of the timeline, counted by when requests were sent.
type Second struct {
	T         int           `json:"t"`         // seconds since the start
	Requested float64       `json:"requested"` // the profile's rate then, per second
	Sent      int64         `json:"sent"`
	Errors    int64         `json:"errors"`
	Late      int64         `json:"late"`
	Dropped   int64         `json:"dropped"`
	P50       time.Duration `json:"p50_ns"`
	P95       time.Duration `json:"p95_ns"`
	P99       time.Duration `json:"p99_ns"`
}

// GeneratorLimit says when and how much the generator fell behind.
type GeneratorLimit struct {
	From    time.Duration `json:"from_ns"` // the first second it was behind
	Late    int64         `json:"late"`
	Dropped int64         `json:"dropped"`
}

// GeneratorShare is the share of sends late or dropped above which the
// generator, not the target, is the limit (one in ten, as k6 and the drill
// judge it).
const GeneratorShare = 0.1

// GeneratorMinLate is how many late sends it takes, beyond the share, to
// name the generator: a test of 20 requests on a busy machine may have a
// few late sends behind one pause of the scheduler, which says nothing of
// the generator's limit (and would exit 3 one run in some).
const GeneratorMinLate = 20

// JudgeGenerator sets Generator from the counts and the timeline: the
// generator was the limit when it dropped any send, or sent more than
// GeneratorShare of them (and at least GeneratorMinLate) late; it was so from
// the first second that dropped a send or, of at least ten, sent more than
// that share late.
func (s *Summary) JudgeGenerator() {
	s.Generator = nil
	due := s.Sent + s.Dropped
	behind := s.Late >= GeneratorMinLate && float64(s.Late) > GeneratorShare*float64(due)
	if due == 0 || (s.Dropped == 0 && !behind) {
		return
	}
	g := &GeneratorLimit{Late: s.Late, Dropped: s.Dropped}
	for _, sec := range s.Timeline {
		if n := sec.Sent + sec.Dropped; sec.Dropped > 0 || (n >= 10 && float64(sec.Late) > GeneratorShare*float64(n)) {
			g.From = time.Duration(sec.T) * time.Second
			break
		}
	}
	s.Generator = g
}

// ThresholdResult is one threshold judged on the summary.
type ThresholdResult struct {
	Name     string `json:"name"` // like "p95 < 250ms" or "products: error_rate < 1%"
	Endpoint string `json:"endpoint,omitempty"`
	Actual   string `json:"actual"`
	Pass     bool   `json:"pass"`
}

// Endpoint returns the endpoint called name, or nil.
func (s *Summary) Endpoint(name string) *Endpoint {
	for i := range s.Endpoints {
		if s.Endpoints[i].Name == name {
			return &s.Endpoints[i]
		}
	}
	return nil
}

// Journey returns the journey of that name, or nil.
func (s *Summary) Journey(name string) *Journey {
	for i := range s.Journeys {
		if s.Journeys[i].Name == name {
			return &s.Journeys[i]
		}
	}
	return nil
}

// AchievedRate is the rate requests were sent at, per second: n sends span
// n-1 intervals.
func (s *Summary) AchievedRate() float64 {
	if s.SendSpan <= 0 || s.Sent < 2 {
		return 0
	}
	return float64(s.Sent-1) / s.SendSpan.Seconds()
}

// Throughput is successful requests per second over the test.
func (s *Summary) Throughput() float64 {
	if s.Duration <= 0 {
		return 0
	}
	return float64(s.Overall.Requests-s.Overall.Errors) / s.Duration.Seconds()
}

// Failed reports whether any threshold failed.
func (s *Summary) Failed() bool {
	return slices.ContainsFunc(s.Thresholds, func(t ThresholdResult) bool { return !t.Pass })
}

// WriteJSON writes s as indented JSON.
func (s *Summary) WriteJSON(w io.Writer) error {
	s.Schema = SummarySchema
	return writeJSON(w, s, fmt.Sprintf("summary of %q", s.LoadTest))
}

// ReadSummary reads a summary written by WriteJSON.
func ReadSummary(r io.Reader) (*Summary, error) {
	var s Summary
	if err := readJSON(r, &s, "summary"); err != nil {
		return nil, err
	}
	if s.Schema != SummarySchema {
		return nil, fmt.Errorf("read summary: schema %q, this probe reads %q", s.Schema, SummarySchema)
	}
	if err := s.check(); err != nil {
		return nil, fmt.Errorf("read summary: %w", err)
	}
	return &s, nil
}

// check refuses what no load test can have measured: negative counts, more
// errors than requests, more late sends than sends. A gate or a threshold
// judged on such numbers would be judged on nothing.
func (s *Summary) check() error {
	if s.Planned < 0 || s.Sent < 0 || s.Late < 0 || s.Late > s.Sent || s.Dropped < 0 || s.Duration < 0 || s.SendSpan < 0 {
		return fmt.Errorf("impossible counts: planned %d, sent %d, late %d, duration %s", s.Planned, s.Sent, s.Late, s.Duration)
	}
	if s.Shard != "" {
		if _, _, err := ParseShard(s.Shard); err != nil {
			return err
		}
	}
	for _, e := range append([]Endpoint{s.Overall}, s.Endpoints...) {
		if e.Latency == nil || e.DueLatency == nil {
			return fmt.Errorf("endpoint %q has no histograms", e.Name)
		}
		if e.Requests < 0 || e.Errors < 0 || e.Errors > e.Requests || e.BytesIn < 0 || e.BytesOut < 0 {
			return fmt.Errorf("endpoint %q has impossible counts: %d requests, %d errors", e.Name, e.Requests, e.Errors)
		}
		for _, m := range []map[string]int64{e.Codes, e.ErrorKinds} {
			for k, v := range m {
				if v < 0 || v > e.Requests {
					return fmt.Errorf("endpoint %q has an impossible count %d for %q", e.Name, v, k)
				}
			}
		}
	}
	for i := range s.Journeys {
		if err := s.Journeys[i].check(); err != nil {
			return err
		}
		if s.Journey(s.Journeys[i].Name) != &s.Journeys[i] {
			return fmt.Errorf("journey %q is in the summary twice", s.Journeys[i].Name)
		}
	}
	for _, sec := range s.Timeline {
		if sec.Sent < 0 || sec.Errors < 0 || sec.Errors > sec.Sent || sec.Late < 0 || sec.Late > sec.Sent || sec.Dropped < 0 {
			return fmt.Errorf("second %d of the timeline has impossible counts", sec.T)
		}
	}
	return nil
}

// MergeSummaries joins the summaries of the shards of one distributed load
// test. Counts and histograms add exactly; the timeline adds its counts and
// keeps the highest percentiles of each second (percentiles of parts do not
// add). Thresholds are left for the caller to judge again on the whole.
func MergeSummaries(parts []*Summary) (*Summary, error) {
	if len(parts) == 0 {
		return nil, errors.New("merge: no summaries")
	}
	first := parts[0]
	out := &Summary{Schema: SummarySchema, LoadTest: first.LoadTest, Env: first.Env, Start: first.Start, Stop: first.Stop,
		Overall: NewEndpoint("overall", "", "")}
	for _, p := range parts {
		if p.LoadTest != first.LoadTest || p.Env != first.Env {
			return nil, fmt.Errorf("merge: %s on %s does not belong with %s on %s", p.LoadTest, p.Env, first.LoadTest, first.Env)
		}
		if p.Start.Before(out.Start) {
			out.Start = p.Start
		}
		out.Duration = max(out.Duration, p.Duration)
		out.SendSpan = max(out.SendSpan, p.SendSpan)
		out.Partial = out.Partial || p.Partial
		if p.Stop != StopCompleted {
			out.Stop = p.Stop
		}
		out.Planned += p.Planned
		out.Sent += p.Sent
		out.Late += p.Late
		out.Dropped += p.Dropped
		out.Workers += p.Workers
		out.Overall.Merge(p.Overall)
		for _, e := range p.Endpoints {
			if mine := out.Endpoint(e.Name); mine != nil {
				mine.Merge(e)
				continue
			}
			ne := NewEndpoint(e.Name, e.Method, e.Path)
			ne.Merge(e)
			out.Endpoints = append(out.Endpoints, ne)
		}
		for _, j := range p.Journeys {
			if mine := out.Journey(j.Name); mine != nil {
				if err := mine.Merge(j); err != nil {
					return nil, fmt.Errorf("merge: %w", err)
				}
				continue
			}
			nj := NewJourney(j.Name, j.Steps)
			if err := nj.Merge(j); err != nil {
				return nil, fmt.Errorf("merge: %w", err)
			}
			out.Journeys = append(out.Journeys, nj)
		}
		for _, sec := range p.Timeline {
			for len(out.Timeline) <= sec.T {
				out.Timeline = append(out.Timeline, Second{T: len(out.Timeline)})
			}
			o := &out.Timeline[sec.T]
			o.Requested += sec.Requested
			o.Sent += sec.Sent
			o.Errors += sec.Errors
			o.Late += sec.Late
			o.Dropped += sec.Dropped
			o.P50, o.P95, o.P99 = max(o.P50, sec.P50), max(o.P95, sec.P95), max(o.P99, sec.P99)
		}
	}
	out.JudgeGenerator() // on the whole: shards each judged their own slice
	return out, nil
}
