package suite

// The types below are the suite format. The decoder (decode.go) and the JSON
// Schema generator (schema.go) both walk them by reflection, so what the loader
// accepts and what `probe schema` prints cannot drift apart.
//
// Tags:
//   yaml:"name"        the key in the file
//   doc:"…"            the field's description, shown in the schema
//   probe:"required"   the key must be present
//   probe:"nonempty"   a text given must not be empty (a name, a selector)
//   probe:"oneof"      exactly one of the struct's oneof fields must be present
//   probe:"listable"   a single scalar is accepted where a list is expected
//   max:"10"           a whole number may be at most this

// File is one YAML file of a suite. A suite folder's files are merged: probe.yaml
// usually holds environments, SLOs and defaults; scenarios/*.yaml and
// loadtests/*.yaml hold scenarios and load tests. One file may hold everything.
type File struct {
	Version      int                     `yaml:"version" doc:"Format version; 1 is the only one so far."`
	Name         string                  `yaml:"name" doc:"Name of the suite, shown in reports."`
	Secrets      []string                `yaml:"secrets" doc:"Names of environment variables whose values are secret: redacted wherever they could be printed. Variables named like *PASSWORD*, *TOKEN*, *SECRET* or *API_KEY* are secret anyway."`
	Defaults     *Defaults               `yaml:"defaults" doc:"Defaults for every scenario."`
	Environments map[string]*Environment `yaml:"environments" doc:"The environments the suite runs against, by name."`
	SLOs         *SLOs                   `yaml:"slos" doc:"Service level objectives."`
	Scenarios    []*Scenario             `yaml:"scenarios" doc:"HTTP checks and browser flows."`
	LoadTests    []*LoadTest             `yaml:"loadtests" doc:"Load tests."`
}

// Defaults apply to every scenario that does not set its own value.
type Defaults struct {
	Timeout  Duration  `yaml:"timeout" doc:"Time limit of one run of a scenario (default 30s)."`
	Interval Duration  `yaml:"interval" doc:"How often a scenario runs under 'probe run' (default 1m)."`
	Jitter   Duration  `yaml:"jitter" doc:"Random delay added to each scheduled run, so runs spread out (default 10% of the interval)."`
	Retries  *int      `yaml:"retries" max:"10" doc:"Extra attempts after a failed run, at most 10: each may wait its whole timeout (default 0)."`
	Envs     []string  `yaml:"envs" doc:"Environments scenarios and load tests run on when they name none (default: all)."`
	Headers  StringMap `yaml:"headers" doc:"Headers sent with every HTTP request."`
}

// Environment is one deployment of the product under test.
type Environment struct {
	Name      string    `yaml:"-"`
	Source    string    `yaml:"-"` // file:line:column where it is defined
	BaseURL   string    `yaml:"base_url" probe:"required" doc:"Absolute http(s) URL that paths are resolved against."`
	Headers   StringMap `yaml:"headers" doc:"Headers sent with every request to this environment."`
	Variables StringMap `yaml:"variables" doc:"Values available to templates as {{var \"name\"}}."`
	Protected bool      `yaml:"protected" doc:"Refuse load tests unless --allow-protected, and then cap the rate at max_rate."`
	MaxRate   *Rate     `yaml:"max_rate" doc:"Highest request rate any load test may send here, like 50/s (default 10/s when protected)."`
}

// StringMap is a mapping of strings to strings, such as headers.
type StringMap map[string]string

// SLOs are the objectives the monitor and the gate measure against.
type SLOs struct {
	Availability *Availability `yaml:"availability" doc:"Share of runs that must pass."`
	Latency      []*Objective  `yaml:"latency" doc:"Latency objectives per scenario (and step) or per load-test endpoint."`
}

// Availability is an availability target over a rolling window.
type Availability struct {
	Target Percent  `yaml:"target" probe:"required" doc:"Share of runs that must pass, like 99.9%."`
	Window Duration `yaml:"window" doc:"Rolling window, like 30d (default 30d)."`
}

// Objective is one latency objective. It names a scenario (and optionally a
// step) or a load test (and optionally an endpoint), and one percentile.
type Objective struct {
	Scenario string   `yaml:"scenario" doc:"Scenario the objective is about."`
	Step     string   `yaml:"step" doc:"Step of that scenario (browser flows)."`
	LoadTest string   `yaml:"loadtest" doc:"Load test the objective is about."`
	Endpoint string   `yaml:"endpoint" doc:"Target of that load test."`
	P50      Duration `yaml:"p50" probe:"oneof" doc:"Median latency must stay under this."`
	P90      Duration `yaml:"p90" probe:"oneof" doc:"90th percentile latency must stay under this."`
	P95      Duration `yaml:"p95" probe:"oneof" doc:"95th percentile latency must stay under this."`
	P99      Duration `yaml:"p99" probe:"oneof" doc:"99th percentile latency must stay under this."`
}

// Scenario kinds.
const (
	KindHTTP    = "http"
	KindBrowser = "browser"
)

// Scenario is an HTTP check or a browser flow.
type Scenario struct {
	Source   string    `yaml:"-"` // file:line:column where it is defined
	Dir      string    `yaml:"-"` // folder of the file, for body_file
	Name     string    `yaml:"name" probe:"required,nonempty" doc:"Unique name; used in metrics and reports."`
	Kind     string    `yaml:"kind" probe:"required" enum:"http,browser" doc:"http: a request, or steps of requests, with expectations; browser: steps in headless Chromium."`
	Envs     []string  `yaml:"envs" doc:"Environments to run on (default: defaults.envs, else all)."`
	Schedule *Schedule `yaml:"schedule" doc:"How often 'probe run' runs it."`
	Timeout  Duration  `yaml:"timeout" doc:"Time limit of one run (default: defaults.timeout)."`
	Retries  *int      `yaml:"retries" max:"10" doc:"Extra attempts after a failed run, at most 10: each may wait its whole timeout (default: defaults.retries)."`
	Request  *Request  `yaml:"request" doc:"The request of a one-request check (kind http); for several, give steps."`
	Expect   *Expect   `yaml:"expect" doc:"What the response of request must satisfy (kind http; default: status 2xx)."`
	Steps    []*Step   `yaml:"steps" doc:"The flow: browser actions (kind browser), or requests with their own expect and capture (kind http)."`
	Cookies  *bool     `yaml:"cookies" doc:"Keep cookies from step to step within a run, so a session carries (kind http; default true). Nothing carries from one run to the next."`
	Gate     *GateSpec `yaml:"gate" doc:"What 'probe gate' counts as a regression of this scenario's steps."`
}

// Schedule says how often a scenario runs.
type Schedule struct {
	Interval Duration `yaml:"interval" doc:"Time between runs, like 30s."`
	Jitter   Duration `yaml:"jitter" doc:"Random delay added to each run, at most this."`
}

// Request is one request of an HTTP check. Its url, query, headers and body
// are templates, with the functions of load-test targets and
// {{capture "name"}} for values earlier steps captured.
type Request struct {
	Method          string    `yaml:"method" enum:"GET,HEAD,POST,PUT,PATCH,DELETE,OPTIONS" doc:"HTTP method (default GET)."`
	URL             string    `yaml:"url" probe:"required" doc:"Path relative to the environment's base_url, or an absolute URL; a template."`
	Query           StringMap `yaml:"query" doc:"Query parameters added to the URL; values are templates."`
	Headers         StringMap `yaml:"headers" doc:"Request headers; values are templates."`
	Body            string    `yaml:"body" doc:"Request body; a template."`
	BodyFile        string    `yaml:"body_file" doc:"File holding the body, relative to the suite file; a template."`
	FollowRedirects *bool     `yaml:"follow_redirects" doc:"Follow redirects (default true)."`
}

// Expect lists what a response must satisfy; every item must hold. Header
// values, body_contains, body_lacks and json equals are templates, so a step
// can expect what an earlier one captured; regular expressions are not.
type Expect struct {
	Status       []int        `yaml:"status" probe:"listable" doc:"Allowed status codes (default: any 2xx)."`
	Headers      StringMap    `yaml:"headers" doc:"Headers whose value must contain the given text."`
	BodyContains []string     `yaml:"body_contains" probe:"listable" doc:"Texts the body must contain."`
	BodyLacks    []string     `yaml:"body_lacks" probe:"listable" doc:"Texts the body must not contain."`
	BodyRegex    []string     `yaml:"body_regex" probe:"listable" doc:"Regular expressions (RE2) the body must match."`
	JSON         []*JSONCheck `yaml:"json" doc:"Values in a JSON body."`
	MaxLatency   Duration     `yaml:"max_latency" doc:"The whole request must take at most this."`
	TLSDaysLeft  *int         `yaml:"tls_days_left" doc:"The server certificate must stay valid at least this many days."`
}

// JSONCheck checks one value in a JSON body, found by a JSONPath (RFC 9535)
// such as $.items[0].name, or a dotted path such as items.0.name.
type JSONCheck struct {
	Path   string `yaml:"path" probe:"required,nonempty" doc:"JSONPath (RFC 9535) like $.items[0].name, or a dotted path of object keys and list indexes like items.0.name; where it selects several values, the first counts."`
	Equals string `yaml:"equals" probe:"oneof" doc:"The value, written as text, must equal this."`
	Regex  string `yaml:"regex" probe:"oneof" doc:"The value, written as text, must match this regular expression."`
	Exists *bool  `yaml:"exists" probe:"oneof" doc:"The path must (true) or must not (false) exist."`
}

// Step is one step of a flow: exactly one action, with an optional name and
// time limit. Browser flows use the browser actions; http scenarios use
// request, with its expect, capture and always.
type Step struct {
	Name        string      `yaml:"name" doc:"Step name in results and metrics (default: the action and its target)."`
	Timeout     Duration    `yaml:"timeout" doc:"Time limit of this step (default 10s)."`
	Navigate    string      `yaml:"navigate" probe:"oneof" doc:"Open this path or URL."`
	Click       string      `yaml:"click" probe:"oneof,nonempty" doc:"Click the element matching this CSS selector."`
	Type        *TypeStep   `yaml:"type" probe:"oneof" doc:"Type text into a field."`
	Select      *SelectStep `yaml:"select" probe:"oneof" doc:"Choose an option of a <select>."`
	WaitVisible string      `yaml:"wait_visible" probe:"oneof,nonempty" doc:"Wait until the element matching this CSS selector is visible."`
	WaitHidden  string      `yaml:"wait_hidden" probe:"oneof,nonempty" doc:"Wait until the element matching this CSS selector is hidden or gone."`
	AssertText  *TextAssert `yaml:"assert_text" probe:"oneof" doc:"Check the text of an element."`
	AssertURL   *URLAssert  `yaml:"assert_url" probe:"oneof" doc:"Check the page's URL."`
	Eval        *EvalStep   `yaml:"eval" probe:"oneof" doc:"Run JavaScript in the page."`
	Screenshot  string      `yaml:"screenshot" probe:"oneof,nonempty" doc:"Save a full-page screenshot under this name."`
	Request     *Request    `yaml:"request" probe:"oneof" doc:"Send this HTTP request (steps of http scenarios)."`
	Expect      *Expect     `yaml:"expect" doc:"What the request's response must satisfy (default: status 2xx)."`
	Capture     []*Capture  `yaml:"capture" doc:"Values taken from the request's response, for later steps as {{capture \"name\"}}."`
	Always      bool        `yaml:"always" doc:"Run this request even after an earlier step failed, as cleanup; its own failure is reported after the first."`
}

// Capture takes one value from a step's response: exactly one source.
type Capture struct {
	Name   string `yaml:"name" probe:"required,nonempty" doc:"Name later steps use, as {{capture \"name\"}}: letters, digits and _."`
	JSON   string `yaml:"json" probe:"oneof" doc:"JSONPath (RFC 9535) into the JSON body, like $.order_id, or a dotted path; the first value it selects."`
	Regex  string `yaml:"regex" probe:"oneof" doc:"Regular expression (RE2) on the body: its first group, or the whole match when it has none."`
	Header string `yaml:"header" probe:"oneof" doc:"Response header (its first value)."`
	Cookie string `yaml:"cookie" probe:"oneof" doc:"Cookie the response sets, else the run's cookie of that name."`
	Status bool   `yaml:"status" probe:"oneof" doc:"The status code, when true."`
	Secret bool   `yaml:"secret" doc:"The value is secret (a token): redacted wherever probe prints, stores, sends or draws anything."`
}

// TypeStep types text into a field.
type TypeStep struct {
	Selector string `yaml:"selector" probe:"required,nonempty" doc:"CSS selector of the field."`
	Text     string `yaml:"text" probe:"required" doc:"Text to type; use ${VAR} for secrets."`
}

// SelectStep chooses an option of a <select> element.
type SelectStep struct {
	Selector string `yaml:"selector" probe:"required,nonempty" doc:"CSS selector of the <select>."`
	Value    string `yaml:"value" probe:"required" doc:"Value of the option to choose."`
}

// TextAssert checks the text of an element.
type TextAssert struct {
	Selector string `yaml:"selector" probe:"required,nonempty" doc:"CSS selector of the element."`
	Contains string `yaml:"contains" probe:"oneof" doc:"The text must contain this."`
	Equals   string `yaml:"equals" probe:"oneof" doc:"The text, trimmed, must equal this."`
	Regex    string `yaml:"regex" probe:"oneof" doc:"The text must match this regular expression."`
}

// URLAssert checks the page's URL.
type URLAssert struct {
	Contains string `yaml:"contains" probe:"oneof" doc:"The URL must contain this."`
	Equals   string `yaml:"equals" probe:"oneof" doc:"The URL must equal this."`
	Regex    string `yaml:"regex" probe:"oneof" doc:"The URL must match this regular expression."`
}

// EvalStep runs JavaScript in the page.
type EvalStep struct {
	Script string `yaml:"script" probe:"required" doc:"JavaScript expression to evaluate."`
	Equals string `yaml:"equals" doc:"The result, written as JSON, must equal this."`
}

// LoadTest is one load test: weighted targets, a profile and thresholds.
type LoadTest struct {
	Source     string       `yaml:"-"` // file:line:column where it is defined
	Dir        string       `yaml:"-"` // folder of the file, for body_file
	Name       string       `yaml:"name" probe:"required,nonempty" doc:"Unique name; used in metrics and reports."`
	Envs       []string     `yaml:"envs" doc:"Environments it may run on (default: defaults.envs, else all)."`
	Targets    []*Target    `yaml:"targets" probe:"required" doc:"What each arrival of the profile sends, chosen by weight: one request, or a journey of steps."`
	MaxUsers   int          `yaml:"max_users" doc:"At most this many journeys in flight; an arrival beyond it is dropped and counted, never delayed (default 10000)."`
	Profile    []*Phase     `yaml:"profile" probe:"required" doc:"Phases of load, run in order."`
	Thresholds []*Threshold `yaml:"thresholds" doc:"Pass/fail criteria, overall or per endpoint."`
	Limits     *Limits      `yaml:"limits" probe:"required" doc:"Hard caps: the test stops at whichever comes first."`
	Timeout    Duration     `yaml:"timeout" doc:"Time limit of one request (default 10s)."`
	Gate       *GateSpec    `yaml:"gate" doc:"What 'probe gate' counts as a regression of this load test."`
}

// GateSpec says what the release gate counts as a regression worth failing
// for, for a load test's endpoints or a scenario's steps.
type GateSpec struct {
	MinEffect Percent                  `yaml:"min_effect" doc:"Smallest latency increase worth failing for, like 5% (default 5%)."`
	MinDelta  Duration                 `yaml:"min_delta" doc:"And smallest increase in time, at the baseline's p95, like 2ms (default 2ms)."`
	Endpoints map[string]*GateEndpoint `yaml:"endpoints" doc:"Per endpoint of a load test (by target name) or step of a scenario (by step name)."`
}

// GateEndpoint is the gate's view of one endpoint or step.
type GateEndpoint struct {
	MinEffect Percent  `yaml:"min_effect" doc:"Smallest latency increase worth failing for here (default: the load test's)."`
	MinDelta  Duration `yaml:"min_delta" doc:"And smallest increase in time here (default: the load test's)."`
	Ignore    bool     `yaml:"ignore" doc:"Do not gate this endpoint at all: it does not matter for a release."`
}

// Target is one endpoint of a load test.
type Target struct {
	Name     string    `yaml:"name" probe:"required,nonempty" doc:"Endpoint name in results, metrics and thresholds."`
	Method   string    `yaml:"method" enum:"GET,HEAD,POST,PUT,PATCH,DELETE,OPTIONS" doc:"HTTP method (default GET)."`
	Path     string    `yaml:"path" doc:"Path relative to the base URL; a template, like /api/products/{{randInt 1 20}}. A journey gives journey: or scenario: instead."`
	Headers  StringMap `yaml:"headers" doc:"Request headers."`
	Body     string    `yaml:"body" doc:"Request body; a template."`
	BodyFile string    `yaml:"body_file" doc:"File holding the body, relative to the suite file; a template."`
	Weight   *int      `yaml:"weight" doc:"Relative share of arrivals (default 1)."`
	Journey  []*Step   `yaml:"journey" doc:"A journey written here: request steps with their own expect and capture, as in an http scenario. Each arrival that picks it is one virtual user who runs the steps in order, with its own cookies and captured values; a failed step ends that user's journey."`
	Scenario string    `yaml:"scenario" doc:"A journey of the steps of this http scenario: the check the uptime probe runs, as load."`
	Think    *Think    `yaml:"think" doc:"A journey's pause between one step's answer and the next step's send; never part of a step's latency (default: none)."`
	Data     *DataRef  `yaml:"data" doc:"Test data of a journey: each user takes one row, whose columns its steps use as {{data \"column\"}}."`

	// Steps are the journey's steps (inline or the scenario's), StepsDir the
	// folder their body files are relative to, Dataset the data file's
	// rows: filled in when the suite is loaded.
	Steps    []*Step  `yaml:"-"`
	StepsDir string   `yaml:"-"`
	Dataset  *Dataset `yaml:"-"`
}

// IsJourney reports whether the target is a journey rather than one request.
func (t *Target) IsJourney() bool { return len(t.Steps) > 0 }

// Think is a journey's pause between steps: exactly one shape.
type Think struct {
	Fixed       Duration       `yaml:"fixed" probe:"oneof" doc:"Always this long."`
	Uniform     *DurationRange `yaml:"uniform" probe:"oneof" doc:"Evenly spread between min and max."`
	Exponential Duration       `yaml:"exponential" probe:"oneof" doc:"Random, with this mean (a Poisson process's gaps), capped at 20 means."`
}

// DurationRange is a range of durations, both ends included.
type DurationRange struct {
	Min Duration `yaml:"min" probe:"required" doc:"Shortest."`
	Max Duration `yaml:"max" probe:"required" doc:"Longest."`
}

// DataRef names a journey's test data.
type DataRef struct {
	File string `yaml:"file" probe:"required" doc:"CSV file (.csv, a header row of column names) or JSON lines (.jsonl, .ndjson), relative to the suite file."`
	Mode string `yaml:"mode" enum:"unique,circular,random" doc:"unique: each row once, split among shards, and the test stops when they run out; circular (default): in order, again from the start; random: any row each time."`
}

// Phase is one phase of a load profile: exactly one shape.
type Phase struct {
	Constant *ConstantPhase `yaml:"constant" probe:"oneof" doc:"A steady rate."`
	Ramp     *RampPhase     `yaml:"ramp" probe:"oneof" doc:"A rate rising (or falling) linearly."`
	Spike    *SpikePhase    `yaml:"spike" probe:"oneof" doc:"A sudden jump to a rate, held, then back."`
	Steps    *StepsPhase    `yaml:"steps" probe:"oneof" doc:"A staircase of rates."`
}

// ConstantPhase holds one rate.
type ConstantPhase struct {
	Rate     Rate     `yaml:"rate" probe:"required" doc:"Requests per time unit, like 50/s or 3000/m."`
	Duration Duration `yaml:"duration" probe:"required" doc:"How long."`
}

// RampPhase changes the rate linearly from From to To.
type RampPhase struct {
	From     Rate     `yaml:"from" probe:"required" doc:"Rate at the start."`
	To       Rate     `yaml:"to" probe:"required" doc:"Rate at the end."`
	Duration Duration `yaml:"duration" probe:"required" doc:"How long."`
}

// SpikePhase jumps to Rate at once and holds it.
type SpikePhase struct {
	Rate     Rate     `yaml:"rate" probe:"required" doc:"Rate during the spike."`
	Duration Duration `yaml:"duration" probe:"required" doc:"How long the spike lasts."`
}

// StepsPhase raises the rate from From to To by Step every StepDuration.
type StepsPhase struct {
	From         Rate     `yaml:"from" probe:"required" doc:"Rate of the first step."`
	To           Rate     `yaml:"to" probe:"required" doc:"Rate of the last step."`
	Step         Rate     `yaml:"step" probe:"required" doc:"Increase per step."`
	StepDuration Duration `yaml:"step_duration" probe:"required" doc:"How long each step lasts."`
}

// Threshold is one pass/fail criterion: exactly one metric, overall or for one
// endpoint.
type Threshold struct {
	Endpoint      string   `yaml:"endpoint" doc:"Target name, or a journey's step as \"journey: step\"; omit for the whole test."`
	Journey       string   `yaml:"journey" doc:"A journey: its latencies are of its completed journeys' durations, error_rate is the share a step failed, min_throughput is of completed journeys."`
	P50           Duration `yaml:"p50" probe:"oneof" doc:"Median latency must stay under this."`
	P90           Duration `yaml:"p90" probe:"oneof" doc:"90th percentile latency must stay under this."`
	P95           Duration `yaml:"p95" probe:"oneof" doc:"95th percentile latency must stay under this."`
	P99           Duration `yaml:"p99" probe:"oneof" doc:"99th percentile latency must stay under this."`
	MaxLatency    Duration `yaml:"max_latency" probe:"oneof" doc:"No request may take longer."`
	ErrorRate     *Percent `yaml:"error_rate" probe:"oneof" doc:"Share of failed requests must stay under this, like 1%."`
	MinThroughput *Rate    `yaml:"min_throughput" probe:"oneof" doc:"Achieved rate of successful requests must reach this."`
}

// Limits are the hard caps of a load test.
type Limits struct {
	MaxDuration Duration `yaml:"max_duration" probe:"required" doc:"The test stops after this, whatever the profile says."`
	MaxRequests int      `yaml:"max_requests" probe:"required" doc:"The test stops after sending this many requests."`
}
