package results

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSniff(t *testing.T) {
	cases := []struct {
		name, data string
		kind       FileKind
		err        string
	}{
		{"summary", `{"schema": "probe.summary/v1"}`, FileSummary, ""},
		{"report", `{"schema": "probe.report/v1"}`, FileReport, ""},
		{"drill", `{"schema": "probe.drill/v1"}`, FileDrill, ""},
		{"run", `{"version": 1, "scenario": "health"}`, FileRun, ""},
		{"empty", "  \n", "", "the file is empty"},
		{"an array", "[]", "", "it is a JSON array"},
		{"a number", "42", "", "it is JSON, but not an object"},
		{"not JSON", "hello", "", "it is not JSON"},
		{"broken object", `{"schema": `, "", "not valid JSON"},
		{"another version", `{"schema": "probe.summary/v9"}`, "", `schema "probe.summary/v9" is not one this probe reads`},
		{"someone else's JSON", `{"name": "x"}`, "", "want a run (probe check), a summary (probe load)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k, err := Sniff([]byte(tc.data))
			if tc.err != "" {
				require.ErrorIs(t, err, ErrUnknownFile)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.kind, k)
		})
	}
	err := WantKind([]byte(`{"version": 1, "scenario": "health"}`), FileSummary)
	assert.EqualError(t, err, "this is a scenario run (probe check); want a load test's summary (probe load)")
}

// TestDrillRoundTrip: a drill written is read back the same, and is sniffed
// as a drill.
func TestDrillRoundTrip(t *testing.T) {
	d := &Drill{LoadTest: "spike", Env: "dev", HighestGood: 250, Limit: StopInterrupted,
		Steps: []DrillStep{{Rate: 50, Achieved: 49.8, OK: true}}}
	var buf bytes.Buffer
	require.NoError(t, d.WriteJSON(&buf))
	k, err := Sniff(buf.Bytes())
	require.NoError(t, err)
	assert.Equal(t, FileDrill, k)
	back, err := ReadDrill(&buf)
	require.NoError(t, err)
	assert.Equal(t, d, back)
}

func TestCheckShards(t *testing.T) {
	sh := func(s string) *Summary { return &Summary{Shard: s} }
	cases := []struct {
		name    string
		parts   []*Summary
		missing []string
		err     string
	}{
		{"whole", []*Summary{sh("0/2"), sh("1/2")}, nil, ""},
		{"one unsharded", []*Summary{sh("")}, nil, ""},
		{"a lone shard", []*Summary{sh("0/3")}, []string{"1/3", "2/3"}, ""},
		{"the same shard twice", []*Summary{sh("0/2"), sh("0/2")}, nil, "a.json and b.json are both shard 0/2"},
		{"different splits", []*Summary{sh("0/2"), sh("1/3")}, nil, "b.json is shard 1/3 but a.json is shard 0/2"},
		{"unsharded twice", []*Summary{sh(""), sh("")}, nil, "a.json is a whole (unsharded) summary"},
		{"a bad shard", []*Summary{sh("3/2"), sh("0/2")}, nil, `a.json: shard "3/2": want I/N`},
		{"missing in order", []*Summary{sh("1/12"), sh("0/12")}, []string{"2/12", "3/12", "4/12", "5/12", "6/12", "7/12", "8/12", "9/12", "10/12", "11/12"}, ""},
		{"a split past MaxShards", []*Summary{sh("0/9223372036854775807")}, nil, `a.json: shard "0/9223372036854775807": at most 1000 shards`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			missing, err := CheckShards(tc.parts, []string{"a.json", "b.json"}[:len(tc.parts)])
			if tc.err != "" {
				assert.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.missing, missing)
		})
	}
}

// TestReadSummaryRefusesImpossibleCounts: counts no load test can have
// measured are refused on reading, so nothing is judged on them.
func TestReadSummaryRefusesImpossibleCounts(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Summary)
		err  string
	}{
		{"negative sends", func(s *Summary) { s.Sent = -1 }, "impossible counts"},
		{"more late than sent", func(s *Summary) { s.Late = 4 }, "impossible counts"},
		{"more errors than requests", func(s *Summary) { s.Overall.Errors = 25 }, `endpoint "overall" has impossible counts: 1 requests, 25 errors`},
		{"a negative code count", func(s *Summary) { s.Endpoints[0].Codes["200"] = -1 }, `impossible count -1 for "200"`},
		{"a bad shard", func(s *Summary) { s.Shard = "2/2" }, `shard "2/2"`},
		{"timeline errors above sends", func(s *Summary) { s.Timeline = []Second{{Sent: 1, Errors: 2}} }, "second 0 of the timeline"},
		{"a journey completed more than started", func(s *Summary) {
			j := NewJourney("j", []string{"a"})
			j.Started, j.Completed = 1, 2
			s.Journeys = []Journey{j}
		}, `journey "j" has impossible counts: 1 started, 2 completed, 0 failed`},
		{"a journey's failures by step of another length", func(s *Summary) {
			j := NewJourney("j", []string{"a", "b"})
			j.FailedAt = []int64{1}
			s.Journeys = []Journey{j}
		}, `journey "j" counts failures at 1 steps but has 2`},
		{"a journey twice", func(s *Summary) {
			s.Journeys = []Journey{NewJourney("j", []string{"a"}), NewJourney("j", []string{"a", "b"})}
		}, `journey "j" is in the summary twice`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &Summary{LoadTest: "l", Env: "dev", Planned: 3, Sent: 3, Overall: NewEndpoint("overall", "", ""),
				Endpoints: []Endpoint{NewEndpoint("a", "GET", "/a")}}
			s.Overall.Requests, s.Endpoints[0].Requests = 1, 1
			tc.edit(s)
			var buf bytes.Buffer
			require.NoError(t, s.WriteJSON(&buf))
			_, err := ReadSummary(&buf)
			assert.ErrorContains(t, err, tc.err)
		})
	}
}

// FuzzSniff: any bytes are sniffed or refused, never a panic.
func FuzzSniff(f *testing.F) {
	for _, seed := range []string{`{"schema": "probe.summary/v1"}`, `{"scenario": "x"}`, "[]", "", `{"schema": 1}`, "\x00{"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := Sniff(data)
		if err == nil && k == "" {
			t.Fatal("no kind and no error")
		}
	})
}

func TestJudgeGenerator(t *testing.T) {
	cases := []struct {
		name                string
		sent, late, dropped int64
		limited             bool
	}{
		{"on schedule", 1000, 5, 0, false},
		{"a few late of a small test: one pause, not a limit", 20, 4, 0, false},
		{"one in ten late is still the target's test", 1000, 100, 0, false},
		{"more than one in ten late", 1000, 101, 0, true},
		{"any drop", 1000, 0, 1, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &Summary{Sent: tc.sent, Late: tc.late, Dropped: tc.dropped,
				Timeline: []Second{{T: 0, Sent: tc.sent / 2}, {T: 1, Sent: tc.sent - tc.sent/2, Late: tc.late, Dropped: tc.dropped}}}
			s.JudgeGenerator()
			assert.Equal(t, tc.limited, s.Generator != nil)
			if tc.limited {
				assert.Equal(t, time.Second, s.Generator.From, "from the first second behind")
			}
		})
	}
}

// TestJourneysMerge: the journeys of shard summaries add exactly, and come
// back the same from a file.
func TestJourneysMerge(t *testing.T) {
	part := func(started, completed, failedAtPay, dropped int64, took ...time.Duration) *Summary {
		j := NewJourney("checkout", []string{"login", "pay"})
		j.Started, j.Completed, j.FailedAt[1], j.Dropped = started, completed, failedAtPay, dropped
		for _, d := range took {
			j.Duration.Record(d)
		}
		return &Summary{LoadTest: "l", Env: "dev", Overall: NewEndpoint("overall", "", ""), Journeys: []Journey{j}}
	}
	a := part(10, 7, 2, 1, 30*time.Millisecond, 40*time.Millisecond)
	b := part(5, 5, 0, 3, 50*time.Millisecond)
	m, err := MergeSummaries([]*Summary{a, b})
	require.NoError(t, err)
	j := m.Journey("checkout")
	require.NotNil(t, j)
	assert.Equal(t, []int64{15, 12, 2, 4, 1}, []int64{j.Started, j.Completed, j.Failed(), j.Dropped, j.Unfinished()})
	assert.Equal(t, []int64{0, 2}, j.FailedAt)
	assert.Equal(t, int64(3), j.Duration.Count())
	assert.Equal(t, int64(15), j.Reached(1))
	assert.Equal(t, int64(13), j.Reached(2))

	var buf bytes.Buffer
	require.NoError(t, m.WriteJSON(&buf))
	back, err := ReadSummary(&buf)
	require.NoError(t, err)
	require.Len(t, back.Journeys, 1)
	assert.Equal(t, j.FailedAt, back.Journeys[0].FailedAt)
	assert.True(t, j.Duration.Equal(back.Journeys[0].Duration))

	other := part(1, 1, 0, 0)
	other.Journeys[0] = NewJourney("checkout", []string{"pay"})
	_, err = MergeSummaries([]*Summary{a, other})
	assert.ErrorContains(t, err, `journey "checkout" has 2 steps in one summary and 1 in another`)
}
