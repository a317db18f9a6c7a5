package loadtests

import (
	"math"
	"testing"
	"time"

	"github.com/probe-dev/probe/suite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func rate(s string) suite.Rate {
	r, err := suite.ParseRate(s)
	if err != nil {
		panic(err)
	}
	return r
}

func dur(d time.Duration) suite.Duration { return suite.Duration(d) }

func TestSchedule(t *testing.T) {
	tests := []struct {
		name     string
		profile  []*suite.Phase
		opts     ScheduleOptions
		planned  int64
		duration time.Duration
		rates    map[time.Duration]float64
		due      map[int64]time.Duration
	}{
		{
			name:    "constant",
			profile: []*suite.Phase{{Constant: &suite.ConstantPhase{Rate: rate("10/s"), Duration: dur(2 * time.Second)}}},
			planned: 20, duration: 2 * time.Second,
			rates: map[time.Duration]float64{0: 10, time.Second: 10, 3 * time.Second: 0},
			due:   map[int64]time.Duration{0: 0, 1: 100 * time.Millisecond, 19: 1900 * time.Millisecond},
		},
		{
			name:    "ramp up: requests crowd toward the end",
			profile: []*suite.Phase{{Ramp: &suite.RampPhase{From: suite.Rate{Freq: 0, Per: time.Second}, To: rate("20/s"), Duration: dur(2 * time.Second)}}},
			planned: 20, duration: 2 * time.Second,
			rates: map[time.Duration]float64{0: 0, time.Second: 10},
			// hits(t) = 5t², so request n is due at sqrt(n/5).
			due: map[int64]time.Duration{5: time.Second, 10: 1414213562},
		},
		{
			name: "steps and spike",
			profile: []*suite.Phase{
				{Steps: &suite.StepsPhase{From: rate("10/s"), To: rate("30/s"), Step: rate("10/s"), StepDuration: dur(time.Second)}},
				{Spike: &suite.SpikePhase{Rate: rate("100/s"), Duration: dur(time.Second)}},
			},
			planned: 160, duration: 4 * time.Second,
			rates: map[time.Duration]float64{500 * time.Millisecond: 10, 1500 * time.Millisecond: 20, 2500 * time.Millisecond: 30, 3500 * time.Millisecond: 100},
			due:   map[int64]time.Duration{10: time.Second, 30: 2 * time.Second, 60: 3 * time.Second, 61: 3010 * time.Millisecond},
		},
		{
			name:    "scaled, capped and fitted",
			profile: []*suite.Phase{{Constant: &suite.ConstantPhase{Rate: rate("10/s"), Duration: dur(10 * time.Second)}}},
			opts:    ScheduleOptions{RateScale: 3, Cap: 20, Fit: 2 * time.Second},
			planned: 40, duration: 2 * time.Second,
			rates: map[time.Duration]float64{time.Second: 20},
		},
		{
			// 9e24 requests converted to a negative count, and the test sent nothing and passed.
			name:    "more requests than a count holds",
			profile: []*suite.Phase{{Constant: &suite.ConstantPhase{Rate: suite.Rate{Freq: math.MaxInt64, Per: time.Millisecond}, Duration: dur(time.Second)}}},
			planned: maxPlanned, duration: time.Second,
			due: map[int64]time.Duration{0: 0, 1000: 0},
		},
		{
			name:    "cut by the hard limit",
			profile: []*suite.Phase{{Constant: &suite.ConstantPhase{Rate: rate("10/s"), Duration: dur(10 * time.Second)}}},
			opts:    ScheduleOptions{Limit: 3 * time.Second},
			planned: 30, duration: 3 * time.Second,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewSchedule(tt.profile, tt.opts)
			assert.Equal(t, tt.planned, s.Planned())
			assert.Equal(t, tt.duration, s.Duration())
			for at, want := range tt.rates {
				assert.InDelta(t, want, s.Rate(at), 1e-9, "rate at %s", at)
			}
			for n, want := range tt.due {
				assert.InDelta(t, float64(want), float64(s.Due(n)), float64(time.Microsecond), "request %d", n)
			}
			// Due times never go backwards.
			for n := int64(1); n < min(s.Planned(), 100_000); n++ {
				require.GreaterOrEqual(t, s.Due(n), s.Due(n-1))
			}
		})
	}
}

func TestPacerShards(t *testing.T) {
	s := NewSchedule([]*suite.Phase{{Constant: &suite.ConstantPhase{Rate: rate("100/s"), Duration: dur(time.Second)}}}, ScheduleOptions{})
	// The shards' requests are an exact partition of the whole schedule.
	seen := map[time.Duration]int{}
	var total int64
	for i := range 4 {
		p := newPacer(s, i, 4, 0, 0)
		total += p.shardPlanned()
		for k := uint64(0); ; k++ {
			due := s.Due(int64(k)*4 + int64(i))
			wait, stop := p.Pace(0, k)
			if stop {
				break
			}
			assert.Equal(t, due, wait, "at elapsed 0 a shard waits until its request is due")
			seen[due]++
		}
	}
	assert.Equal(t, int64(100), total)
	assert.Len(t, seen, 100)

	capped := newPacer(s, 0, 1, 30, 0)
	_, stop := capped.Pace(2*time.Second, 30)
	assert.True(t, stop, "max_requests stops the pacer")
	limited := newPacer(s, 0, 1, 0, 500*time.Millisecond)
	_, stop = limited.Pace(600*time.Millisecond, 10)
	assert.True(t, stop, "max_duration stops the pacer however late")
	wait, stop := limited.Pace(300*time.Millisecond, 10)
	assert.False(t, stop)
	assert.Zero(t, wait, "behind schedule: send at once")
}

func TestRarestRate(t *testing.T) {
	w := func(n int) *int { return &n }
	lt := &suite.LoadTest{
		Targets: []*suite.Target{{Name: "a", Weight: w(9)}, {Name: "b"}},
		Profile: []*suite.Phase{{Constant: &suite.ConstantPhase{Rate: suite.Rate{Freq: 100, Per: time.Second}, Duration: suite.Duration(2 * time.Second)}}},
	}
	assert.InDelta(t, 10, RarestRate(lt, 1), 0.01, "a tenth of 100/s")
	assert.InDelta(t, 30, RarestRate(lt, 3), 0.01)
	assert.Zero(t, RarestRate(&suite.LoadTest{}, 1))
}

// TestPacerStartsWorkersForTheTarget: with every worker busy, a new one
// starts only while the target holds most of them; when they wait on probe
// itself (results not taken, no CPU) the send waits and goes late instead.
// TestPacerStartsWorkersWindowByWindow: with a target that holds every
// worker and every send overdue, each window starts at most as many workers
// as there were when it began, so the first moments of a saturating test,
// before the saturation watch has a verdict, cannot start thousands.
func TestPacerStartsWorkersWindowByWindow(t *testing.T) {
	s := NewSchedule([]*suite.Phase{{Constant: &suite.ConstantPhase{Rate: rate("1000000/s"), Duration: dur(10 * time.Second)}}}, ScheduleOptions{})
	p := newPacer(s, 0, 1, 0, 0)
	p.workers = 64
	grow := func(elapsed time.Duration) {
		for range 10_000 {
			h := p.workers // every worker busy, none answered
			p.atTarget.Store(h)
			if wait, _ := p.Pace(elapsed, uint64(h)); wait != 0 {
				return
			}
		}
	}
	for _, w := range []struct {
		at   time.Duration
		want int64
	}{{50 * time.Millisecond, 128}, {60 * time.Millisecond, 128}, {150 * time.Millisecond, 256}, {250 * time.Millisecond, 512}} {
		grow(w.at)
		assert.Equal(t, w.want, p.workers, "workers by %s", w.at)
	}
}

// Short of CPU with every worker busy, a send is dropped once it is
// dropAfter behind, with every other send due by then; less behind, it is
// sent late. With CPU to spare it is never dropped (the test above).
func TestPacerDropsWhenShortOfCPU(t *testing.T) {
	s := NewSchedule([]*suite.Phase{{Constant: &suite.ConstantPhase{Rate: rate("1000/s"), Duration: dur(10 * time.Second)}}}, ScheduleOptions{})
	cases := []struct {
		name    string
		elapsed time.Duration // send 64 was due at 64ms
		dropped int64
	}{
		{"far behind: dropped, with each send due by now", 300 * time.Millisecond, 300 - 64},
		{"behind by less than dropAfter: sent late", 64*time.Millisecond + dropAfter, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newPacer(s, 0, 1, 0, 0)
			p.cpu = &saturation{}
			p.cpu.on.Store(true) // the watch's verdict: short of CPU
			p.workers = 64
			p.atTarget.Store(64)
			wait, stop := p.Pace(c.elapsed, 64)
			require.False(t, stop)
			assert.Equal(t, growWait, wait, "no new worker: the next send waits for one")
			assert.Equal(t, int64(64), p.workers)
			dropped, bySec := p.drops()
			assert.Equal(t, c.dropped, dropped)
			if c.dropped > 0 {
				assert.Equal(t, []int64{c.dropped}, bySec, "counted in the second they were dropped")
			}
		})
	}
}

func TestPacerStartsWorkersForTheTarget(t *testing.T) {
	s := NewSchedule([]*suite.Phase{{Constant: &suite.ConstantPhase{Rate: rate("1000/s"), Duration: dur(10 * time.Second)}}}, ScheduleOptions{})
	cases := []struct {
		name     string
		atTarget int64
		grows    bool
	}{
		{"the target holds every worker", 64, true},
		{"the target holds most", 40, true},
		{"they wait on probe", 10, false},
		{"none at the target", 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newPacer(s, 0, 1, 0, 0)
			p.workers = 64
			p.atTarget.Store(c.atTarget)
			// 64 sends out and none answered: every worker is busy, and
			// send 64 was due at 64ms.
			wait, stop := p.Pace(100*time.Millisecond, 64)
			require.False(t, stop)
			if c.grows {
				assert.Zero(t, wait, "sent now, by a new worker")
				assert.Equal(t, int64(65), p.workers)
			} else {
				assert.Equal(t, growWait, wait, "waits for a worker, to go late")
				assert.Equal(t, int64(64), p.workers)
			}
			dropped, _ := p.drops()
			assert.Zero(t, dropped, "not short of CPU: never dropped")
		})
	}
}
