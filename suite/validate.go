package suite

import (
	"fmt"
	"maps"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// loc is a decoded item with the decoder that knows where it stands.
type loc[T any] struct {
	v    T
	d    *decoder
	path string
}

func (l loc[T]) at(suffix, format string, args ...any) Error {
	return l.d.at(l.path+suffix, format, args...)
}

func (l loc[T]) source() string {
	e := l.at("", "")
	return fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Column)
}

// merged is every file of a suite joined, before validation.
type merged struct {
	errs      Errors
	files     []string
	name      string
	defaults  *loc[*Defaults]
	slos      *loc[*SLOs]
	envs      map[string]loc[*Environment]
	scenarios []loc[*Scenario]
	loadtests []loc[*LoadTest]
}

func merge(files []parsed) *merged {
	m := &merged{envs: map[string]loc[*Environment]{}}
	var version, name, defaults, slos []Error // where each once-only key was seen
	for _, p := range files {
		f, d := p.file, p.dec
		if _, ok := d.pos["version"]; ok {
			version = append(version, d.at("version", ""))
			if f.Version != 1 {
				m.errs = append(m.errs, d.at("version", "version %d is not known; this probe reads version 1", f.Version))
			}
		}
		if f.Name != "" {
			name = append(name, d.at("name", ""))
			m.name = f.Name
		}
		if f.Defaults != nil {
			defaults = append(defaults, d.at("defaults", ""))
			m.defaults = &loc[*Defaults]{f.Defaults, d, "defaults"}
		}
		if f.SLOs != nil {
			slos = append(slos, d.at("slos", ""))
			m.slos = &loc[*SLOs]{f.SLOs, d, "slos"}
		}
		for _, n := range sortedKeys(f.Environments) {
			l := loc[*Environment]{f.Environments[n], d, joinPath("environments", n)}
			if prev, ok := m.envs[n]; ok {
				m.errs = append(m.errs, l.at("", "environment %q is already defined at %s", n, prev.source()))
				continue
			}
			if l.v == nil {
				continue
			}
			l.v.Name, l.v.Source = n, l.source()
			m.envs[n] = l
		}
		m.files = append(m.files, d.file)
		for i, sc := range f.Scenarios {
			if sc == nil {
				continue // the decoder reported the empty item
			}
			l := loc[*Scenario]{sc, d, fmt.Sprintf("scenarios[%d]", i)}
			sc.Source = l.source()
			m.scenarios = append(m.scenarios, l)
		}
		for i, lt := range f.LoadTests {
			if lt == nil {
				continue
			}
			l := loc[*LoadTest]{lt, d, fmt.Sprintf("loadtests[%d]", i)}
			lt.Source, lt.Dir = l.source(), filepath.Dir(d.file)
			m.loadtests = append(m.loadtests, l)
		}
	}
	for key, seen := range map[string][]Error{"version": version, "name": name, "defaults": defaults, "slos": slos} {
		for _, e := range seen[min(1, len(seen)):] {
			e.Msg = fmt.Sprintf("%s is already given at %s:%d:%d; give it once, in probe.yaml", key, seen[0].File, seen[0].Line, seen[0].Column)
			m.errs = append(m.errs, e)
		}
	}
	return m
}

var (
	namePattern  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
	pathOrURL    = regexp.MustCompile(`^(/|https?://)`)
	nameRuleText = "use letters, digits, '.', '_' and '-', starting with a letter or digit"
)

// validate checks what decoding cannot: references between items, unique
// names, regular expressions, templates, URLs. It returns every error.
func (m *merged) validate() Errors {
	var errs Errors
	add := func(e Error) { errs = append(errs, e) }
	if len(m.envs) == 0 {
		add(Error{File: m.firstFile(), Line: 1, Column: 1, Msg: "the suite defines no environments: add an environments: mapping with at least one base_url"})
	}
	envNames := sortedKeys(m.envs)
	for _, n := range envNames {
		m.validateEnv(m.envs[n], add)
	}
	if m.defaults != nil {
		m.checkEnvRefs(*m.defaults, ".envs", m.defaults.v.Envs, add)
	}
	scenarioSteps := map[string][]string{}
	seen := map[string]string{}
	for _, l := range m.scenarios {
		if prev, ok := seen[l.v.Name]; ok && l.v.Name != "" {
			add(l.at(".name", "scenario %q is already defined at %s", l.v.Name, prev))
		}
		seen[l.v.Name] = l.source()
		m.validateScenario(l, add)
		for _, st := range l.v.Steps {
			if st != nil {
				scenarioSteps[l.v.Name] = append(scenarioSteps[l.v.Name], StepName(st))
			}
		}
	}
	endpoints := map[string][]string{}
	seenLT := map[string]string{}
	for _, l := range m.loadtests {
		if prev, ok := seenLT[l.v.Name]; ok && l.v.Name != "" {
			add(l.at(".name", "load test %q is already defined at %s", l.v.Name, prev))
		}
		seenLT[l.v.Name] = l.source()
		endpoints[l.v.Name] = m.validateLoadTest(l, add)
	}
	if m.slos != nil {
		m.validateSLOs(scenarioSteps, endpoints, add)
	}
	return m.withoutDecodeErrors(errs)
}

// withoutDecodeErrors drops validation errors about values that failed to
// decode: a status of "ok" is reported once as not a number, not again as
// status 0.
func (m *merged) withoutDecodeErrors(errs Errors) Errors {
	bad := map[[2]string]bool{}
	for _, e := range m.errs {
		bad[[2]string{e.File, e.Path}] = true
	}
	out := errs[:0]
	for _, e := range errs {
		if !bad[[2]string{e.File, e.Path}] {
			out = append(out, e)
		}
	}
	return out
}

func (m *merged) firstFile() string {
	if len(m.files) == 0 {
		return "suite"
	}
	return m.files[0]
}

// CheckBaseURL says what is wrong with a base URL: it must be an absolute
// http or https URL with a host.
func CheckBaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL, like http://127.0.0.1:8080", s)
	}
	return nil
}

func (m *merged) validateEnv(l loc[*Environment], add func(Error)) {
	e := l.v
	if e.BaseURL != "" {
		if err := CheckBaseURL(e.BaseURL); err != nil {
			add(l.at(".base_url", "%v", err))
		}
	}
	if !namePattern.MatchString(e.Name) {
		add(l.at("", "environment name %q: %s", e.Name, nameRuleText))
	}
}

func (m *merged) checkEnvRefs(l interface {
	at(string, string, ...any) Error
}, field string, envs []string, add func(Error)) {
	known := sortedKeys(m.envs)
	for i, n := range envs {
		if _, ok := m.envs[n]; !ok {
			add(l.at(fmt.Sprintf("%s[%d]", field, i), "unknown environment %q%s; the suite defines %s", n, suggest(n, known), strings.Join(known, ", ")))
		}
	}
}

func (m *merged) validateScenario(l loc[*Scenario], add func(Error)) {
	sc := l.v
	if sc.Name != "" && !namePattern.MatchString(sc.Name) {
		add(l.at(".name", "scenario name %q: %s", sc.Name, nameRuleText))
	}
	m.checkEnvRefs(l, ".envs", sc.Envs, add)
	if sc.Schedule != nil && sc.Schedule.Jitter > 0 && sc.Schedule.Interval > 0 && sc.Schedule.Jitter >= sc.Schedule.Interval {
		add(l.at(".schedule.jitter", "jitter %s must be shorter than the interval %s", sc.Schedule.Jitter, sc.Schedule.Interval))
	}
	switch sc.Kind {
	case KindHTTP:
		if sc.Request == nil {
			add(l.at("", "an http scenario needs a request: with at least url"))
		}
		if len(sc.Steps) > 0 {
			add(l.at(".steps", "steps belong to browser scenarios; this one is kind http"))
		}
		if sc.Request != nil && sc.Request.URL != "" && !pathOrURL.MatchString(sc.Request.URL) {
			add(l.at(".request.url", "%q must start with / (a path on the environment) or http(s)://", sc.Request.URL))
		}
		if sc.Expect != nil {
			validateExpect(l, sc.Expect, add)
		}
	case KindBrowser:
		if len(sc.Steps) == 0 {
			add(l.at("", "a browser scenario needs steps:"))
		}
		if sc.Request != nil {
			add(l.at(".request", "request belongs to http scenarios; this one is kind browser"))
		}
		if sc.Expect != nil {
			add(l.at(".expect", "expect belongs to http scenarios; in a browser flow use assert_text or assert_url steps"))
		}
		for i, st := range sc.Steps {
			if st != nil {
				validateStep(l, fmt.Sprintf(".steps[%d]", i), st, add)
			}
		}
	}
}

func validateExpect(l loc[*Scenario], ex *Expect, add func(Error)) {
	for i, code := range ex.Status {
		if code < 100 || code > 599 {
			add(l.at(fmt.Sprintf(".expect.status[%d]", i), "%d is not an HTTP status code (100–599)", code))
		}
	}
	for i, re := range ex.BodyRegex {
		checkRegex(l, fmt.Sprintf(".expect.body_regex[%d]", i), re, add)
	}
	for i, j := range ex.JSON {
		if j != nil && j.Regex != "" {
			checkRegex(l, fmt.Sprintf(".expect.json[%d].regex", i), j.Regex, add)
		}
	}
}

func validateStep(l loc[*Scenario], p string, st *Step, add func(Error)) {
	if st.Navigate != "" && !pathOrURL.MatchString(st.Navigate) {
		add(l.at(p+".navigate", "%q must start with / (a path on the environment) or http(s)://", st.Navigate))
	}
	if st.AssertText != nil && st.AssertText.Regex != "" {
		checkRegex(l, p+".assert_text.regex", st.AssertText.Regex, add)
	}
	if st.AssertURL != nil && st.AssertURL.Regex != "" {
		checkRegex(l, p+".assert_url.regex", st.AssertURL.Regex, add)
	}
}

func checkRegex[T any](l loc[T], p, re string, add func(Error)) {
	if _, err := regexp.Compile(re); err != nil {
		add(l.at(p, "bad regular expression: %v", strings.TrimPrefix(err.Error(), "error parsing regexp: ")))
	}
}

// validateLoadTest checks one load test and returns its endpoint names.
func (m *merged) validateLoadTest(l loc[*LoadTest], add func(Error)) []string {
	lt := l.v
	if lt.Name != "" && !namePattern.MatchString(lt.Name) {
		add(l.at(".name", "load test name %q: %s", lt.Name, nameRuleText))
	}
	m.checkEnvRefs(l, ".envs", lt.Envs, add)
	var names []string
	weights := 0
	for i, t := range lt.Targets {
		if t == nil {
			continue
		}
		p := fmt.Sprintf(".targets[%d]", i)
		if t.Weight != nil {
			// The picker draws a number below the sum; keep it far from overflow.
			if *t.Weight > MaxWeightSum-weights {
				add(l.at(p+".weight", "the weights add up to more than %d; weights are shares, so smaller numbers say the same", MaxWeightSum))
			} else {
				weights += *t.Weight
			}
		}
		if slices.Contains(names, t.Name) {
			add(l.at(p+".name", "endpoint %q is already a target of this load test", t.Name))
		}
		if t.Name != "" && !namePattern.MatchString(t.Name) {
			add(l.at(p+".name", "endpoint name %q: %s", t.Name, nameRuleText))
		}
		names = append(names, t.Name)
		m.validateTarget(l, p, t, add)
	}
	for i, ph := range lt.Profile {
		if ph != nil && ph.Steps != nil && ph.Steps.From.PerSecond() > ph.Steps.To.PerSecond() {
			add(l.at(fmt.Sprintf(".profile[%d].steps.to", i), "to %s is below from %s; steps go up", ph.Steps.To, ph.Steps.From))
		}
	}
	if lt.Limits != nil {
		if _, ok := l.d.pos[l.path+".limits.max_requests"]; ok && lt.Limits.MaxRequests == 0 {
			add(l.at(".limits.max_requests", "must be at least 1"))
		}
	}
	for i, th := range lt.Thresholds {
		if th != nil && th.Endpoint != "" && !slices.Contains(names, th.Endpoint) {
			add(l.at(fmt.Sprintf(".thresholds[%d].endpoint", i), "unknown endpoint %q%s; this load test's targets are %s",
				th.Endpoint, suggest(th.Endpoint, names), strings.Join(names, ", ")))
		}
	}
	if lt.Gate != nil {
		for _, e := range slices.Sorted(maps.Keys(lt.Gate.Endpoints)) {
			if !slices.Contains(names, e) {
				add(l.at(joinPath(".gate.endpoints", e), "unknown endpoint %q%s; this load test's targets are %s",
					e, suggest(e, names), strings.Join(names, ", ")))
			}
		}
	}
	return names
}

// MaxWeightSum bounds the sum of a load test's target weights.
const MaxWeightSum = 1_000_000_000

func (m *merged) validateTarget(l loc[*LoadTest], p string, t *Target, add func(Error)) {
	if t.Weight != nil && *t.Weight == 0 {
		add(l.at(p+".weight", "must be at least 1; remove the target to send it nothing"))
	}
	if t.Body != "" && t.BodyFile != "" {
		add(l.at(p+".body_file", "give body or body_file, not both"))
	}
	texts := map[string]string{p + ".path": t.Path, p + ".body": t.Body}
	for k, v := range t.Headers {
		texts[joinPath(p+".headers", k)] = v
	}
	if t.BodyFile != "" {
		data, err := ReadBodyFile(l.v.Dir, t.BodyFile)
		if err != nil {
			add(l.at(p+".body_file", "%v (paths are relative to the suite file)", err))
		} else {
			texts[p+".body_file"] = string(data)
		}
	}
	for _, fp := range sortedKeys(texts) {
		if _, err := ParseTemplate(fp, texts[fp]); err != nil {
			add(l.at(fp, "%v", err))
			continue
		}
		for _, v := range templateVars(texts[fp]) {
			for _, en := range m.envsOf(l.v.Envs) {
				if _, ok := m.envs[en].v.Variables[v]; !ok {
					add(l.at(fp, "variable %q is not defined in environment %q: add it under environments.%s.variables", v, en, en))
				}
			}
		}
	}
	if t.Path != "" && !strings.HasPrefix(t.Path, "/") && !strings.HasPrefix(t.Path, "{{") {
		add(l.at(p+".path", "%q must start with / (a path on the environment)", t.Path))
	}
}

// envsOf returns the environments an item runs on.
func (m *merged) envsOf(envs []string) []string {
	if len(envs) == 0 && m.defaults != nil {
		envs = m.defaults.v.Envs
	}
	if len(envs) == 0 {
		return sortedKeys(m.envs)
	}
	var known []string
	for _, e := range envs {
		if _, ok := m.envs[e]; ok {
			known = append(known, e)
		}
	}
	return known
}

func (m *merged) validateSLOs(steps, endpoints map[string][]string, add func(Error)) {
	l := *m.slos
	if a := l.v.Availability; a != nil {
		if _, ok := l.d.pos["slos.availability.target"]; ok && (a.Target <= 0 || a.Target >= 1) {
			add(l.at(".availability.target", "must be above 0%% and below 100%% (100%% leaves no error budget)"))
		}
	}
	for i, o := range l.v.Latency {
		if o == nil {
			continue
		}
		p := fmt.Sprintf(".latency[%d]", i)
		switch {
		case (o.Scenario == "") == (o.LoadTest == ""):
			add(l.at(p, "name either a scenario or a loadtest"))
		case o.Scenario != "":
			names := make([]string, 0, len(m.scenarios))
			for _, sc := range m.scenarios {
				names = append(names, sc.v.Name)
			}
			if !slices.Contains(names, o.Scenario) {
				add(l.at(p+".scenario", "unknown scenario %q%s", o.Scenario, suggest(o.Scenario, names)))
			} else if o.Step != "" && !slices.Contains(steps[o.Scenario], o.Step) {
				add(l.at(p+".step", "scenario %q has no step %q%s", o.Scenario, o.Step, suggest(o.Step, steps[o.Scenario])))
			}
			if o.Endpoint != "" {
				add(l.at(p+".endpoint", "endpoint goes with loadtest; for a scenario name a step"))
			}
		default:
			eps, ok := endpoints[o.LoadTest]
			if !ok {
				add(l.at(p+".loadtest", "unknown load test %q%s", o.LoadTest, suggest(o.LoadTest, sortedKeys(endpoints))))
			} else if o.Endpoint != "" && !slices.Contains(eps, o.Endpoint) {
				add(l.at(p+".endpoint", "load test %q has no endpoint %q%s", o.LoadTest, o.Endpoint, suggest(o.Endpoint, eps)))
			}
			if o.Step != "" {
				add(l.at(p+".step", "step goes with scenario; for a loadtest name an endpoint"))
			}
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
