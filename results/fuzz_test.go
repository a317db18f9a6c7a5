package results

import (
	"bytes"
	"testing"
	"time"
)

// FuzzReadSummary: a summary file of any content is read or refused with an
// error, never a panic; what is read writes back and reads again the same,
// and merges with itself.
func FuzzReadSummary(f *testing.F) {
	s := &Summary{LoadTest: "spike", Env: "dev", Planned: 3, Sent: 3, Overall: NewEndpoint("overall", "", ""),
		Endpoints: []Endpoint{NewEndpoint("products", "GET", "/api/products")}}
	s.Endpoints[0].Latency.Record(3 * time.Millisecond)
	var buf bytes.Buffer
	if err := s.WriteJSON(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	j := NewJourney("checkout", []string{"login", "pay"})
	j.Started, j.Completed, j.FailedAt[1], j.Dropped = 5, 3, 1, 2
	j.Duration.Record(40 * time.Millisecond)
	s.Journeys = []Journey{j}
	buf.Reset()
	if err := s.WriteJSON(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(`{"schema":"probe.summary/v1","overall":{"latency":"HISTFAAAAB54nJNpmSzMwMDAyAABzFCaEUoz2X+AiAEAKGwDBw==","due_latency":""}}`))
	f.Add([]byte(`{"schema":"probe.summary/v1"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ReadSummary(bytes.NewReader(data))
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := s.WriteJSON(&out); err != nil {
			return // a histogram that cannot be encoded again is refused there
		}
		again, err := ReadSummary(&out)
		if err != nil {
			t.Fatalf("a summary read once does not read again: %v\n%s", err, out.Bytes())
		}
		if again.Overall.Latency.Count() != s.Overall.Latency.Count() {
			t.Fatalf("count changed: %d, then %d", s.Overall.Latency.Count(), again.Overall.Latency.Count())
		}
		if _, err := MergeSummaries([]*Summary{s, again}); err != nil {
			t.Fatalf("a summary does not merge with itself: %v", err)
		}
	})
}

// FuzzReadRun: a run file of any content is read or refused, never a panic,
// and what is read can be judged per step (StepsSummary).
func FuzzReadRun(f *testing.F) {
	r := &Run{Scenario: "checkout", Kind: "browser", Env: "dev", Status: Pass,
		Attempts: []Attempt{{Status: Pass, Steps: []Step{{Name: "navigate /", Duration: time.Second, Status: Pass}}}}}
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(`{"version":1,"status":"fail","attempts":[{"status":"timeout","steps":[{"name":"a","duration_ns":-5,"status":"x"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ReadRun(bytes.NewReader(data))
		if err != nil {
			return
		}
		s := StepsSummary(r.Scenario, r.Env, []Run{*r})
		if s.Overall.Requests > int64(len(r.Attempts)) {
			t.Fatalf("%d attempts counted from %d", s.Overall.Requests, len(r.Attempts))
		}
	})
}
