package suite

import (
	"cmp"
	"strings"
	"time"
)

// Defaults that apply when neither the item nor the suite's defaults say.
const (
	DefaultTimeout        = 30 * time.Second
	DefaultInterval       = time.Minute
	DefaultStepTimeout    = 10 * time.Second
	DefaultRequestTimeout = 10 * time.Second
	DefaultSLOWindow      = 30 * 24 * time.Hour
	DefaultProtectedRate  = 10     // requests per second
	defaultJitterFraction = 10     // percent of the interval
	DefaultMaxUsers       = 10_000 // journeys in flight
	defaultMethod         = "GET"
	defaultWeight         = 1
)

// build turns a validated merge into a Suite with every default filled in.
// It runs only after validation passed, and never adds errors.
func (m *merged) build() *Suite {
	s := &Suite{Name: m.name, Environments: map[string]*Environment{}}
	if m.defaults != nil {
		s.Defaults = *m.defaults.v
	}
	d := &s.Defaults
	d.Timeout = cmp.Or(d.Timeout, Duration(DefaultTimeout))
	d.Interval = cmp.Or(d.Interval, Duration(DefaultInterval))
	d.Jitter = cmp.Or(d.Jitter, d.Interval*defaultJitterFraction/100)
	if d.Retries == nil {
		d.Retries = new(int)
	}
	for n, l := range m.envs {
		e := l.v
		if e.Protected && e.MaxRate == nil {
			e.MaxRate = &Rate{Freq: DefaultProtectedRate, Per: time.Second}
		}
		s.Environments[n] = e
	}
	if m.slos != nil {
		s.SLOs = *m.slos.v
		if a := s.SLOs.Availability; a != nil {
			a.Window = cmp.Or(a.Window, Duration(DefaultSLOWindow))
		}
	}
	for _, l := range m.scenarios {
		s.Scenarios = append(s.Scenarios, defaultScenario(l.v, m, d))
	}
	for _, l := range m.loadtests {
		lt := l.v
		lt.Envs = m.envsOf(lt.Envs)
		lt.Timeout = cmp.Or(lt.Timeout, Duration(DefaultRequestTimeout))
		for _, t := range lt.Targets {
			if t.Weight == nil {
				t.Weight = ptr(defaultWeight)
			}
			defaultJourney(t, lt.Dir, s.Scenarios)
			if !t.IsJourney() {
				t.Method = cmp.Or(t.Method, defaultMethod)
			} else {
				lt.MaxUsers = cmp.Or(lt.MaxUsers, DefaultMaxUsers)
			}
		}
		s.LoadTests = append(s.LoadTests, lt)
	}
	return s
}

// defaultJourney fills in a journey target's steps: its own, with the
// defaults of request steps, or those of the http scenario it names (built
// already).
func defaultJourney(t *Target, dir string, scenarios []*Scenario) {
	if t.Data != nil {
		t.Data.Mode = cmp.Or(t.Data.Mode, DataCircular)
	}
	if t.Journey != nil {
		for _, st := range t.Journey {
			defaultRequest(st.Request)
			st.Timeout = cmp.Or(st.Timeout, Duration(DefaultStepTimeout))
			st.Name = StepName(st)
		}
		t.Steps, t.StepsDir = t.Journey, dir
		return
	}
	for _, sc := range scenarios {
		if t.Scenario != "" && sc.Name == t.Scenario {
			t.Steps, t.StepsDir = HTTPSteps(sc), sc.Dir
		}
	}
}

// StepEndpoint is the endpoint name of a journey's step, in results,
// metrics, thresholds and the gate: "checkout: login".
func StepEndpoint(journey, step string) string { return journey + ": " + step }

// HTTPSteps returns the steps of an http scenario; a scenario of one
// request is a flow of one step, named by its method and URL.
func HTTPSteps(sc *Scenario) []*Step {
	if sc.Request != nil {
		return []*Step{{Name: RequestStepName(sc.Request), Request: sc.Request, Expect: sc.Expect}}
	}
	return sc.Steps
}

func defaultScenario(sc *Scenario, m *merged, d *Defaults) *Scenario {
	sc.Envs = m.envsOf(sc.Envs)
	sc.Timeout = cmp.Or(sc.Timeout, d.Timeout)
	if sc.Retries == nil {
		sc.Retries = ptr(*d.Retries)
	}
	if sc.Schedule == nil {
		sc.Schedule = &Schedule{}
	}
	if sc.Schedule.Interval == 0 {
		sc.Schedule.Interval = d.Interval
		sc.Schedule.Jitter = cmp.Or(sc.Schedule.Jitter, d.Jitter)
	}
	if sc.Schedule.Jitter == 0 {
		sc.Schedule.Jitter = sc.Schedule.Interval * defaultJitterFraction / 100
	}
	defaultRequest(sc.Request)
	if sc.Kind == KindHTTP && sc.Cookies == nil {
		sc.Cookies = ptr(true)
	}
	for _, st := range sc.Steps {
		defaultRequest(st.Request)
		st.Timeout = cmp.Or(st.Timeout, Duration(DefaultStepTimeout))
		st.Name = StepName(st)
	}
	return sc
}

func defaultRequest(r *Request) {
	if r == nil {
		return
	}
	r.Method = cmp.Or(r.Method, defaultMethod)
	if r.FollowRedirects == nil {
		r.FollowRedirects = ptr(true)
	}
}

// RequestStepName is the name of a request step that has none of its own:
// its method and URL as written (templates unrendered, so that a step's
// metrics stay one series whatever values it sends).
func RequestStepName(r *Request) string {
	return cmp.Or(r.Method, defaultMethod) + " " + r.URL
}

// StepName is a step's name: its own, else the action and its target, like
// "click #buy", or a request's method and URL, like "GET /api/orders".
func StepName(st *Step) string {
	if st.Name != "" {
		return st.Name
	}
	if st.Request != nil {
		return RequestStepName(st.Request)
	}
	action, target := st.Action()
	return strings.TrimSpace(action + " " + target)
}

// Action returns the step's kind (the YAML key) and its main argument.
func (st *Step) Action() (kind, target string) {
	switch {
	case st.Navigate != "":
		return "navigate", st.Navigate
	case st.Click != "":
		return "click", st.Click
	case st.Type != nil:
		return "type", st.Type.Selector
	case st.Select != nil:
		return "select", st.Select.Selector
	case st.WaitVisible != "":
		return "wait_visible", st.WaitVisible
	case st.WaitHidden != "":
		return "wait_hidden", st.WaitHidden
	case st.AssertText != nil:
		return "assert_text", st.AssertText.Selector
	case st.AssertURL != nil:
		return "assert_url", cmp.Or(st.AssertURL.Contains, st.AssertURL.Equals, st.AssertURL.Regex)
	case st.Eval != nil:
		return "eval", ""
	case st.Screenshot != "":
		return "screenshot", st.Screenshot
	case st.Request != nil:
		return "request", RequestStepName(st.Request)
	}
	return "", ""
}

func ptr[T any](v T) *T { return &v }
