package suite

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/net/http/httpguts"
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
			sc.Source, sc.Dir = l.source(), filepath.Dir(d.file)
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
		checkHeaders(*m.defaults, ".headers", m.defaults.v.Headers, add)
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
	checkHeaders(l, ".headers", e.Headers, add)
}

// atter is an item that knows where its fields stand in the file.
type atter interface {
	at(suffix, format string, args ...any) Error
}

// checkHeaders checks the headers under p: each name an HTTP token, each
// value free of line breaks and control bytes, which Go's client refuses
// at every request, a failure that would be blamed on the target. A value
// with a template is checked when it is rendered.
func checkHeaders(l atter, p string, h StringMap, add func(Error)) {
	for _, k := range sortedKeys(h) {
		switch v := h[k]; {
		case !httpguts.ValidHeaderFieldName(k):
			add(l.at(joinPath(p, k), "header name %q: use letters, digits and - (no spaces, colons or other separators)", k))
		case !strings.Contains(v, "{{") && !httpguts.ValidHeaderFieldValue(v):
			add(l.at(joinPath(p, k), "header %q: its value holds a line break or control character, which HTTP does not allow", k))
		}
	}
}

// checkPathOrURL checks a request's url or a navigate: a path on the
// environment or an absolute http(s) URL, and one that parses. Where
// templates are allowed (tpl), a text that holds one is checked when it is
// rendered.
func checkPathOrURL(l atter, p, s string, tpl bool, add func(Error)) {
	if s == "" || (tpl && strings.HasPrefix(s, "{{")) {
		return
	}
	if !pathOrURL.MatchString(s) {
		add(l.at(p, "%q must start with / (a path on the environment) or http(s)://", s))
		return
	}
	if tpl && strings.Contains(s, "{{") {
		return
	}
	if _, err := url.Parse(s); err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		add(l.at(p, "%q is not a valid URL: %v", s, err))
	}
}

func (m *merged) checkEnvRefs(l atter, field string, envs []string, add func(Error)) {
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
		m.validateHTTP(l, add)
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
		if sc.Cookies != nil {
			add(l.at(".cookies", "cookies belongs to http scenarios; a browser flow keeps its cookies in its own browser context"))
		}
		for i, st := range sc.Steps {
			if st != nil {
				validateStep(l, fmt.Sprintf(".steps[%d]", i), st, add)
			}
		}
	}
}

// validateHTTP checks an http scenario: one request, or steps of requests
// whose captures are defined before they are used.
func (m *merged) validateHTTP(l loc[*Scenario], add func(Error)) {
	sc := l.v
	switch {
	case sc.Request == nil && len(sc.Steps) == 0:
		add(l.at("", "an http scenario needs a request: with at least url, or steps: of requests"))
	case sc.Request != nil && len(sc.Steps) > 0:
		add(l.at(".steps", "give request: (one request) or steps: (several), not both"))
	}
	if sc.Expect != nil && len(sc.Steps) > 0 {
		add(l.at(".expect", "with steps:, each step has its own expect:"))
	}
	tc := tplContext{dir: sc.Dir, envs: sc.Envs}
	if sc.Request != nil {
		validateRequest(m, l, ".request", sc.Request, tc, add)
	}
	if sc.Expect != nil {
		validateExpect(l, ".expect", sc.Expect, add)
		m.checkTemplates(l, ".expect", "", "", expectTexts(".expect", sc.Expect), tplContext{envs: sc.Envs}, add)
	}
	validateRequestSteps(m, l, ".steps", sc.Steps, tc, "the steps of an http scenario are request: steps (or make it kind browser)", add)
}

// tplContext is what the templates of a request may name: the folder of its
// body file, the environments whose variables it may use, the values earlier
// steps capture (nil where nothing can have captured any) and the columns
// of its journey's test data (nil without data).
type tplContext struct {
	dir      string
	envs     []string
	captured []string
	columns  []string
}

// validateRequestSteps checks the request steps of an http scenario or a
// journey, in order: each step may use what the steps before it capture.
func validateRequestSteps[T any](m *merged, l loc[T], p string, steps []*Step, tc tplContext, what string, add func(Error)) {
	tc.captured = []string{} // names defined by the steps so far
	for i, st := range steps {
		if st == nil {
			continue
		}
		sp := fmt.Sprintf("%s[%d]", p, i)
		if st.Request == nil {
			if kind, _ := st.Action(); kind != "" {
				add(l.at(sp+"."+kind, "%s is a browser action; %s", kind, what))
			}
			continue
		}
		validateRequest(m, l, sp+".request", st.Request, tc, add)
		if st.Expect != nil {
			validateExpect(l, sp+".expect", st.Expect, add)
			etc := tc
			etc.dir = ""
			m.checkTemplates(l, sp+".expect", "", "", expectTexts(sp+".expect", st.Expect), etc, add)
		}
		for j, c := range st.Capture {
			if c == nil {
				continue
			}
			cp := fmt.Sprintf("%s.capture[%d]", sp, j)
			if slices.Contains(tc.captured, c.Name) {
				add(l.at(cp+".name", "capture %q is already defined by an earlier capture of these steps; give each value its own name", c.Name))
			}
			validateCapture(l, cp, c, add)
			if !slices.Contains(tc.captured, c.Name) {
				tc.captured = append(tc.captured, c.Name)
			}
		}
	}
}

var captureName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func validateCapture[T any](l loc[T], p string, c *Capture, add func(Error)) {
	if c.Name != "" && !captureName.MatchString(c.Name) {
		add(l.at(p+".name", "capture name %q: use letters, digits and _, starting with a letter or _", c.Name))
	}
	switch {
	case c.JSON != "":
		if _, err := ParseJSONPath(c.JSON); err != nil {
			add(l.at(p+".json", "%v", err))
		}
	case c.Regex != "":
		checkRegex(l, p+".regex", c.Regex, add)
	case l.d.has(l.path+p+".status") && !c.Status:
		add(l.at(p+".status", "write status: true to capture the status code"))
	case l.d.has(l.path+p+".header") && c.Header == "":
		add(l.at(p+".header", "name the header, like header: Location"))
	case l.d.has(l.path+p+".cookie") && c.Cookie == "":
		add(l.at(p+".cookie", "name the cookie, like cookie: session"))
	}
}

// validateRequest checks one request of an http scenario or a journey.
func validateRequest[T any](m *merged, l loc[T], p string, r *Request, tc tplContext, add func(Error)) {
	checkPathOrURL(l, p+".url", r.URL, true, add)
	checkHeaders(l, p+".headers", r.Headers, add)
	texts := requestTexts(p, "url", r.URL, r.Body, r.Headers)
	for k, v := range r.Query {
		texts[joinPath(p+".query", k)] = v
	}
	m.checkTemplates(l, p, r.BodyFile, r.Body, texts, tc, add)
}

// expectTexts keys the texts of an expect that are templates (those compared
// as text, not regular expressions) by their place in the file.
func expectTexts(p string, ex *Expect) map[string]string {
	texts := map[string]string{}
	for k, v := range ex.Headers {
		texts[joinPath(p+".headers", k)] = v
	}
	for i, v := range ex.BodyContains {
		texts[fmt.Sprintf("%s.body_contains[%d]", p, i)] = v
	}
	for i, v := range ex.BodyLacks {
		texts[fmt.Sprintf("%s.body_lacks[%d]", p, i)] = v
	}
	for i, j := range ex.JSON {
		if j != nil && j.Equals != "" {
			texts[fmt.Sprintf("%s.json[%d].equals", p, i)] = j.Equals
		}
	}
	return texts
}

// requestTexts keys a request's templated texts by their place in the file.
func requestTexts(p, urlKey, url, body string, headers map[string]string) map[string]string {
	texts := map[string]string{p + "." + urlKey: url, p + ".body": body}
	for k, v := range headers {
		texts[joinPath(p+".headers", k)] = v
	}
	return texts
}

// checkTemplates parses every templated text of a request (and its body
// file), and checks the variables, captures and data columns they name.
func (m *merged) checkTemplates(l atter, p, bodyFile, body string, texts map[string]string, tc tplContext, add func(Error)) {
	dir, envs, captured := tc.dir, tc.envs, tc.captured
	if body != "" && bodyFile != "" {
		add(l.at(p+".body_file", "give body or body_file, not both"))
	}
	if bodyFile != "" {
		data, err := ReadBodyFile(dir, bodyFile)
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
		for _, v := range templateNames("var", texts[fp]) {
			for _, en := range m.envsOf(envs) {
				if _, ok := m.envs[en].v.Variables[v]; !ok {
					add(l.at(fp, "variable %q is not defined in environment %q: add it under environments.%s.variables", v, en, en))
				}
			}
		}
		for _, c := range templateNames("capture", texts[fp]) {
			switch {
			case slices.Contains(captured, c):
			case captured == nil:
				add(l.at(fp, "capture %q: only the steps of an http scenario capture values, and only later steps use them", c))
			case len(captured) == 0:
				add(l.at(fp, "capture %q is not defined by an earlier step: no step before this one captures anything", c))
			default:
				add(l.at(fp, "capture %q is not defined by an earlier step%s; earlier steps capture %s", c, suggest(c, captured), strings.Join(captured, ", ")))
			}
		}
		for _, c := range templateNames("data", texts[fp]) {
			switch {
			case tc.columns == nil:
				add(l.at(fp, "data %q: only the steps of a journey with data: (a CSV or JSON-lines file) have data columns", c))
			case !slices.Contains(tc.columns, c):
				add(l.at(fp, "data %q is not a column of the journey's data%s; its columns are %s", c, suggest(c, tc.columns), strings.Join(tc.columns, ", ")))
			}
		}
	}
}

func validateExpect[T any](l loc[T], p string, ex *Expect, add func(Error)) {
	for i, code := range ex.Status {
		if code < 100 || code > 599 {
			add(l.at(fmt.Sprintf("%s.status[%d]", p, i), "%d is not an HTTP status code (100–599)", code))
		}
	}
	for i, re := range ex.BodyRegex {
		checkRegex(l, fmt.Sprintf("%s.body_regex[%d]", p, i), re, add)
	}
	for i, j := range ex.JSON {
		if j == nil {
			continue
		}
		if j.Path != "" {
			if _, err := ParseJSONPath(j.Path); err != nil {
				add(l.at(fmt.Sprintf("%s.json[%d].path", p, i), "%v", err))
			}
		}
		if j.Regex != "" {
			checkRegex(l, fmt.Sprintf("%s.json[%d].regex", p, i), j.Regex, add)
		}
	}
}

func validateStep(l loc[*Scenario], p string, st *Step, add func(Error)) {
	for _, key := range []string{"request", "expect", "capture", "always"} {
		if l.d.has(l.path + p + "." + key) {
			add(l.at(p+"."+key, "%s belongs to the request steps of http scenarios; this one is kind browser", key))
		}
	}
	checkPathOrURL(l, p+".navigate", st.Navigate, false, add)
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
	// An empty list is given, so "missing required field" does not say it.
	if len(lt.Targets) == 0 && l.d.has(l.path+".targets") {
		add(l.at(".targets", "a load test needs at least one target, like {name: health, path: /api/health}"))
	}
	if len(lt.Profile) == 0 && l.d.has(l.path+".profile") {
		add(l.at(".profile", "a load test needs at least one phase, like {constant: {rate: 10/s, duration: 30s}}"))
	}
	if l.d.has(l.path+".max_users") && lt.MaxUsers == 0 {
		add(l.at(".max_users", "must be at least 1"))
	}
	var names, journeys []string // endpoints (a journey's are its steps), journeys
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
		if slices.Contains(names, t.Name) || slices.Contains(journeys, t.Name) {
			add(l.at(p+".name", "endpoint %q is already a target of this load test", t.Name))
		}
		if t.Name != "" && !namePattern.MatchString(t.Name) {
			add(l.at(p+".name", "endpoint name %q: %s", t.Name, nameRuleText))
		}
		m.validateTarget(l, p, t, add)
		if steps := m.journeySteps(t); steps != nil {
			journeys = append(journeys, t.Name)
			for _, st := range steps {
				if st != nil { // a lone '-': said in validateRequestSteps
					names = append(names, StepEndpoint(t.Name, StepName(st)))
				}
			}
		} else {
			names = append(names, t.Name)
		}
	}
	length := 0.0
	for i, ph := range lt.Profile {
		if ph == nil {
			continue
		}
		n, dur, _ := ph.Shape()
		length += n * dur.Seconds()
		st := ph.Steps
		switch {
		case st == nil:
		case st.From.PerSecond() > st.To.PerSecond():
			add(l.at(fmt.Sprintf(".profile[%d].steps.to", i), "to %s is below from %s; steps go up", st.To, st.From))
		case st.Count() > MaxSteps:
			add(l.at(fmt.Sprintf(".profile[%d].steps.step", i), "from %s to %s by %s is %.4g steps; at most %d: take a larger step",
				st.From, st.To, st.Step, st.Count(), MaxSteps))
		}
	}
	if length > maxProfile {
		add(l.at(".profile", "the phases add up to "+tooLong))
	}
	if lt.Limits != nil {
		if _, ok := l.d.pos[l.path+".limits.max_requests"]; ok && lt.Limits.MaxRequests == 0 {
			add(l.at(".limits.max_requests", "must be at least 1"))
		}
	}
	for i, th := range lt.Thresholds {
		p := fmt.Sprintf(".thresholds[%d]", i)
		switch {
		case th == nil:
		case th.Endpoint != "" && th.Journey != "":
			add(l.at(p, "give endpoint: or journey:, not both; a step of a journey is the endpoint \"journey: step\""))
		case th.Endpoint != "" && !slices.Contains(names, th.Endpoint):
			add(l.at(p+".endpoint", "unknown endpoint %q%s; this load test's endpoints are %s",
				th.Endpoint, suggest(th.Endpoint, names), strings.Join(names, ", ")))
		case th.Journey != "" && !slices.Contains(journeys, th.Journey):
			add(l.at(p+".journey", "unknown journey %q%s; this load test's journeys are %s",
				th.Journey, suggest(th.Journey, journeys), orNone(journeys)))
		}
	}
	if lt.Gate != nil {
		for _, e := range slices.Sorted(maps.Keys(lt.Gate.Endpoints)) {
			if !slices.Contains(names, e) {
				add(l.at(joinPath(".gate.endpoints", e), "unknown endpoint %q%s; this load test's endpoints are %s",
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
	given := 0
	for _, has := range []bool{t.Path != "", t.Journey != nil, t.Scenario != ""} {
		if has {
			given++
		}
	}
	switch {
	case given == 0:
		add(l.at(p, "a target needs path: (one request), journey: (steps written here) or scenario: (the steps of an http scenario)"))
		return
	case given > 1:
		add(l.at(p, "give one of path:, journey: and scenario:, not several"))
		return
	case t.Path != "":
		for _, key := range []string{"think", "data"} {
			if l.d.has(l.path + p + "." + key) {
				add(l.at(p+"."+key, "%s belongs to journeys (journey: or scenario:); this target is one request", key))
			}
		}
		texts := requestTexts(p, "path", t.Path, t.Body, t.Headers)
		m.checkTemplates(l, p, t.BodyFile, t.Body, texts, tplContext{dir: l.v.Dir, envs: l.v.Envs}, add)
		checkHeaders(l, p+".headers", t.Headers, add)
		if !strings.HasPrefix(t.Path, "/") && !strings.HasPrefix(t.Path, "{{") {
			add(l.at(p+".path", "%q must start with / (a path on the environment)", t.Path))
		}
		return
	}
	m.validateJourney(l, p, t, add)
}

// journeySteps returns the steps of a journey target as written (inline,
// or its http scenario's), or nil for a single request.
func (m *merged) journeySteps(t *Target) []*Step {
	if t.Journey != nil {
		return t.Journey
	}
	for _, sc := range m.scenarios {
		if t.Scenario != "" && sc.v.Name == t.Scenario && sc.v.Kind == KindHTTP {
			return HTTPSteps(sc.v)
		}
	}
	return nil
}

// validateJourney checks a journey target: its steps (inline, or the http
// scenario it names), think time and test data, which it reads into
// Dataset.
func (m *merged) validateJourney(l loc[*LoadTest], p string, t *Target, add func(Error)) {
	for _, key := range []string{"method", "body", "body_file", "headers"} {
		if l.d.has(l.path + p + "." + key) {
			add(l.at(p+"."+key, "%s belongs to a one-request target; each step of a journey has its own request", key))
		}
	}
	tc := tplContext{dir: l.v.Dir, envs: l.v.Envs}
	if d := t.Data; d != nil && d.File != "" {
		ds, err := ReadDataFile(l.v.Dir, d.File)
		if err != nil {
			add(l.at(p+".data.file", "%v (paths are relative to the suite file)", err))
			tc.columns = []string{}
		} else {
			t.Dataset, tc.columns = ds, ds.Columns
		}
	}
	if th := t.Think; th != nil && th.Uniform != nil && th.Uniform.Max < th.Uniform.Min {
		add(l.at(p+".think.uniform.max", "max %s is below min %s", th.Uniform.Max, th.Uniform.Min))
	}
	if t.Journey != nil {
		if len(t.Journey) == 0 {
			add(l.at(p+".journey", "a journey needs at least one step"))
		}
		validateRequestSteps(m, l, p+".journey", t.Journey, tc, "the steps of a journey are request: steps (a load test runs no browser)", add)
		seen := map[string]bool{}
		for i, st := range t.Journey {
			if st == nil {
				continue
			}
			if name := StepName(st); seen[name] {
				add(l.at(fmt.Sprintf("%s.journey[%d]", p, i), "a step named %q is already in this journey: give it a name: of its own, so its results stay apart", name))
			} else {
				seen[name] = true
			}
		}
		return
	}
	var names []string
	for _, sc := range m.scenarios {
		if sc.v.Name != t.Scenario {
			names = append(names, sc.v.Name)
			continue
		}
		// The scenario's own validation checks its steps (which, being a
		// check's too, use no data columns).
		if sc.v.Kind != KindHTTP {
			add(l.at(p+".scenario", "scenario %q is kind %s; a journey runs the steps of an http scenario", t.Scenario, sc.v.Kind))
		}
		return
	}
	add(l.at(p+".scenario", "unknown scenario %q%s", t.Scenario, suggest(t.Scenario, names)))
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
