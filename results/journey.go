package results

import "fmt"

// Journey is what the virtual users of one journey of a load test did. Its
// steps are endpoints of the summary too, with their own histograms and
// errors; here are the users' fates and how long the completed journeys
// took.
type Journey struct {
	Name      string   `json:"name"`
	Steps     []string `json:"steps"` // the steps' endpoint names, in order
	Started   int64    `json:"started"`
	Completed int64    `json:"completed"`
	// FailedAt counts the journeys a failed step ended, by step: the first
	// step that failed is where the user gave up.
	FailedAt []int64 `json:"failed_at"`
	// Dropped arrivals found max_users journeys in flight and never
	// started (like k6's dropped iterations).
	Dropped int64 `json:"dropped"`
	// Duration is of the completed journeys: from when the first step was
	// due to the last step's answer, think time included.
	Duration *Histogram `json:"duration"`
}

// NewJourney returns an empty record of a journey of these steps.
func NewJourney(name string, steps []string) Journey {
	return Journey{Name: name, Steps: steps, FailedAt: make([]int64, len(steps)), Duration: NewHistogram()}
}

// Failed is how many journeys a failed step ended.
func (j *Journey) Failed() int64 {
	var n int64
	for _, f := range j.FailedAt {
		n += f
	}
	return n
}

// Unfinished is how many journeys were still in flight when the test ended.
func (j *Journey) Unfinished() int64 { return j.Started - j.Completed - j.Failed() }

// FailureRate is the share of started journeys a failed step ended.
func (j *Journey) FailureRate() float64 {
	if j.Started == 0 {
		return 0
	}
	return float64(j.Failed()) / float64(j.Started)
}

// Reached is how many users no earlier step's failure ended before step i.
// It counts users still in flight before step i too; the step's endpoint
// counts its sends.
func (j *Journey) Reached(i int) int64 {
	n := j.Started
	for k := 0; k < i && k < len(j.FailedAt); k++ {
		n -= j.FailedAt[k]
	}
	return n
}

// Merge adds o's counts and histogram to j: the same journey of another shard.
func (j *Journey) Merge(o Journey) error {
	if len(o.FailedAt) != len(j.FailedAt) {
		return fmt.Errorf("journey %q has %d steps in one summary and %d in another", j.Name, len(j.FailedAt), len(o.FailedAt))
	}
	j.Started += o.Started
	j.Completed += o.Completed
	j.Dropped += o.Dropped
	for i, f := range o.FailedAt {
		j.FailedAt[i] += f
	}
	j.Duration.Merge(o.Duration)
	return nil
}

// check refuses counts no run can have.
func (j *Journey) check() error {
	switch {
	case j.Duration == nil:
		return fmt.Errorf("journey %q has no duration histogram", j.Name)
	case len(j.FailedAt) != len(j.Steps):
		return fmt.Errorf("journey %q counts failures at %d steps but has %d", j.Name, len(j.FailedAt), len(j.Steps))
	case j.Started < 0 || j.Completed < 0 || j.Dropped < 0 || j.Unfinished() < 0 || j.Duration.Count() > j.Completed:
		return fmt.Errorf("journey %q has impossible counts: %d started, %d completed, %d failed", j.Name, j.Started, j.Completed, j.Failed())
	}
	for _, f := range j.FailedAt {
		if f < 0 {
			return fmt.Errorf("journey %q has a negative count of failures", j.Name)
		}
	}
	return nil
}

// Arrived is how many of the profile's arrivals started something: a single
// request, or a journey (a dropped arrival did not). Without journeys it is
// the requests sent; with them, the steps' requests are not arrivals.
func (s *Summary) Arrived() int64 {
	n, _ := s.arrivals()
	return n
}

// ArrivalRate is the rate of arrivals achieved when the profile offered
// offered arrivals per second: with journeys, the steps' requests are not
// arrivals, so it is the offered rate times the share of arrivals that
// started. Without journeys, or with nothing planned, it is AchievedRate.
func (s *Summary) ArrivalRate(offered float64) float64 {
	if len(s.Journeys) == 0 || s.Planned <= 0 {
		return s.AchievedRate()
	}
	return offered * float64(s.Arrived()) / float64(s.Planned)
}

// Served is how many arrivals were served: single requests that passed,
// and journeys that completed. Against Planned it is the share of the
// offered load the target took, in the profile's own unit.
func (s *Summary) Served() int64 {
	_, n := s.arrivals()
	return n
}

func (s *Summary) arrivals() (arrived, served int64) {
	if len(s.Journeys) == 0 {
		return s.Sent, s.Overall.Requests - s.Overall.Errors
	}
	steps := map[string]bool{}
	for _, j := range s.Journeys {
		arrived, served = arrived+j.Started, served+j.Completed
		for _, st := range j.Steps {
			steps[st] = true
		}
	}
	for _, e := range s.Endpoints {
		if !steps[e.Name] {
			arrived, served = arrived+e.Requests, served+e.Requests-e.Errors
		}
	}
	return arrived, served
}

// JourneysDropped is how many arrivals found max_users journeys in flight.
func (s *Summary) JourneysDropped() int64 {
	var n int64
	for _, j := range s.Journeys {
		n += j.Dropped
	}
	return n
}
