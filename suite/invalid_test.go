package suite

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// validBase is a minimal valid suite file that bad cases build on.
const validBase = `environments:
  dev:
    base_url: http://127.0.0.1:8080
`

// invalidCase is a suite file with mistakes and the exact errors it must give.
// schemaCatches says whether the JSON Schema alone also rejects it; the
// cases it cannot catch are references, uniqueness and compiled expressions.
type invalidCase struct {
	name          string
	yaml          string
	want          []string
	schemaCatches bool
}

var invalidCases = []invalidCase{
	{
		name:          "unknown top-level key with hint",
		yaml:          validBase + "scenarioz: []\n",
		want:          []string{`suite.yaml:4:1: scenarioz: unknown field "scenarioz" (did you mean "scenarios"?)`},
		schemaCatches: true,
	},
	{
		name:          "unknown key without a close match",
		yaml:          validBase + "banana: 1\n",
		want:          []string{`suite.yaml:4:1: banana: unknown field "banana"`},
		schemaCatches: true,
	},
	{
		name: "no environments",
		yaml: "name: x\n",
		want: []string{`suite.yaml:1:1: the suite defines no environments: add an environments: mapping with at least one base_url`},
	},
	{
		name: "relative base_url",
		yaml: "environments:\n  dev:\n    base_url: 127.0.0.1:8080\n",
		want: []string{`suite.yaml:3:15: environments.dev.base_url: "127.0.0.1:8080" is not an absolute http(s) URL, like http://127.0.0.1:8080`},
	},
	{
		name:          "missing base_url",
		yaml:          "environments:\n  dev:\n    protected: true\n",
		want:          []string{`suite.yaml:3:5: environments.dev: missing required field "base_url"`},
		schemaCatches: true,
	},
	{
		name:          "protected is not a boolean",
		yaml:          "environments:\n  dev:\n    base_url: http://127.0.0.1:1\n    protected: yes please\n",
		want:          []string{`suite.yaml:4:16: environments.dev.protected: want true or false, got "yes please"`},
		schemaCatches: true,
	},
	{
		name:          "bad rate",
		yaml:          "environments:\n  dev:\n    base_url: http://127.0.0.1:1\n    max_rate: fast\n",
		want:          []string{`suite.yaml:4:15: environments.dev.max_rate: want a rate like 50/s, 3000/m or 10/h, got "fast"`},
		schemaCatches: true,
	},
	{
		name: "unset variable",
		yaml: "environments:\n  dev:\n    base_url: ${NOPE_URL}\n",
		want: []string{`suite.yaml:3:15: environments.dev.base_url: environment variable NOPE_URL is not set: set it, or write ${NOPE_URL:-default}`},
	},
	{
		name: "version",
		yaml: "version: 2\n" + validBase,
		want: []string{`suite.yaml:1:10: version: version 2 is not known; this probe reads version 1`},
	},
	{
		name: "scenario kind and name",
		yaml: validBase + "scenarios:\n  - kind: htp\n",
		want: []string{
			`suite.yaml:5:5: scenarios[0]: missing required field "name"`,
			`suite.yaml:5:11: scenarios[0].kind: "htp" is not one of http, browser (did you mean "http"?)`,
		},
		schemaCatches: true,
	},
	{
		name: "http scenario without request",
		yaml: validBase + "scenarios:\n  - name: a\n    kind: http\n",
		want: []string{`suite.yaml:5:5: scenarios[0]: an http scenario needs a request: with at least url, or steps: of requests`},
	},
	{
		name:          "browser step with two actions",
		yaml:          validBase + "scenarios:\n  - name: a\n    kind: browser\n    steps:\n      - click: '#a'\n        navigate: /\n",
		want:          []string{`suite.yaml:8:9: scenarios[0].steps[0]: has click and navigate; give exactly one of navigate, click, type, select, wait_visible, wait_hidden, assert_text, assert_url, eval, screenshot, request`},
		schemaCatches: true,
	},
	{
		name:          "browser step with no action",
		yaml:          validBase + "scenarios:\n  - name: a\n    kind: browser\n    steps:\n      - name: nothing\n",
		want:          []string{`suite.yaml:8:9: scenarios[0].steps[0]: needs exactly one of navigate, click, type, select, wait_visible, wait_hidden, assert_text, assert_url, eval, screenshot, request`},
		schemaCatches: true,
	},
	{
		name:          "type step without text",
		yaml:          validBase + "scenarios:\n  - name: a\n    kind: browser\n    steps:\n      - type: {selector: '#e'}\n",
		want:          []string{`suite.yaml:8:15: scenarios[0].steps[0].type: missing required field "text"`},
		schemaCatches: true,
	},
	{
		name:          "empty scenario name",
		yaml:          validBase + "scenarios:\n  - name: ''\n    kind: http\n    request: {url: /}\n",
		want:          []string{`suite.yaml:5:11: scenarios[0].name: want a value, got an empty text`},
		schemaCatches: true,
	},
	{
		name: "empty selectors",
		yaml: validBase + "scenarios:\n  - name: a\n    kind: browser\n    steps:\n      - click: ''\n      - wait_visible: \"\"\n      - type: {selector: '', text: x}\n      - screenshot: ''\n",
		want: []string{
			`suite.yaml:8:16: scenarios[0].steps[0].click: want a value, got an empty text`,
			`suite.yaml:9:23: scenarios[0].steps[1].wait_visible: want a value, got an empty text`,
			`suite.yaml:10:26: scenarios[0].steps[2].type.selector: want a value, got an empty text`,
			`suite.yaml:11:21: scenarios[0].steps[3].screenshot: want a value, got an empty text`,
		},
		schemaCatches: true,
	},
	{
		name:          "empty load test and endpoint names",
		yaml:          validBase + strings.Replace(strings.Replace(loadTest(""), "name: l", "name: \"\"", 1), "name: products", "name: ''", 1),
		want:          []string{`suite.yaml:5:11: loadtests[0].name: want a value, got an empty text`, `suite.yaml:7:15: loadtests[0].targets[0].name: want a value, got an empty text`},
		schemaCatches: true,
	},
	{
		name: "headers HTTP does not allow",
		yaml: "environments:\n  dev:\n    base_url: http://127.0.0.1:8080\n    headers: {\"X Team\": a}\ndefaults:\n  headers: {X-A: \"a\\nb\"}\n" +
			"scenarios:\n  - name: a\n    kind: http\n    request: {url: /, headers: {\"X-B:\": b, X-C: \"c\\r\", X-D: \"{{randInt 1 2}}\\n\"}}\n" +
			strings.Replace(loadTest(""), "path: /api/products\n", "path: /api/products\n        headers: {X-E: \"e\\u0000\"}\n", 1),
		want: []string{
			`suite.yaml:4:25: environments.dev.headers["X Team"]: header name "X Team": use letters, digits and - (no spaces, colons or other separators)`,
			`suite.yaml:6:18: defaults.headers.X-A: header "X-A": its value holds a line break or control character, which HTTP does not allow`,
			`suite.yaml:10:41: scenarios[0].request.headers["X-B:"]: header name "X-B:": use letters, digits and - (no spaces, colons or other separators)`,
			`suite.yaml:10:49: scenarios[0].request.headers.X-C: header "X-C": its value holds a line break or control character, which HTTP does not allow`,
			`suite.yaml:16:24: loadtests[0].targets[0].headers.X-E: header "X-E": its value holds a line break or control character, which HTTP does not allow`,
		},
	},
	{
		name: "URLs that do not parse",
		yaml: validBase + "scenarios:\n  - name: a\n    kind: http\n    request: {url: 'http://[::1/x'}\n  - name: b\n    kind: browser\n    steps: [{navigate: '/a%zz'}]\n",
		want: []string{
			`suite.yaml:7:20: scenarios[0].request.url: "http://[::1/x" is not a valid URL: missing ']' in host`,
			`suite.yaml:10:24: scenarios[1].steps[0].navigate: "/a%zz" is not a valid URL: invalid URL escape "%zz"`,
		},
	},
	{
		name: "a load test of nothing",
		yaml: validBase + "loadtests:\n  - name: l\n    targets: []\n    profile: []\n    limits: {max_duration: 5s, max_requests: 100}\n    max_users: 0\n",
		want: []string{
			`suite.yaml:6:14: loadtests[0].targets: a load test needs at least one target, like {name: health, path: /api/health}`,
			`suite.yaml:7:14: loadtests[0].profile: a load test needs at least one phase, like {constant: {rate: 10/s, duration: 30s}}`,
			`suite.yaml:9:16: loadtests[0].max_users: must be at least 1`,
		},
	},
	{
		name: "bad regular expressions",
		yaml: validBase + "scenarios:\n  - name: a\n    kind: http\n    request: {url: /}\n    expect:\n      body_regex: '(['\n",
		want: []string{"suite.yaml:9:19: scenarios[0].expect.body_regex[0]: bad regular expression: missing closing ]: `[`"},
	},
	{
		name: "status code out of range",
		yaml: validBase + "scenarios:\n  - name: a\n    kind: http\n    request: {url: /}\n    expect: {status: [200, 999]}\n",
		want: []string{`suite.yaml:8:28: scenarios[0].expect.status[1]: 999 is not an HTTP status code (100–599)`},
	},
	{
		name:          "status is text",
		yaml:          validBase + "scenarios:\n  - name: a\n    kind: http\n    request: {url: /}\n    expect: {status: ok}\n",
		want:          []string{`suite.yaml:8:22: scenarios[0].expect.status[0]: want a whole number of at least 0, got "ok"`},
		schemaCatches: true,
	},
	{
		name: "duplicate scenario",
		yaml: validBase + "scenarios:\n  - {name: a, kind: http, request: {url: /}}\n  - {name: a, kind: http, request: {url: /}}\n",
		want: []string{`suite.yaml:6:12: scenarios[1].name: scenario "a" is already defined at suite.yaml:5:5`},
	},
	{
		name: "duplicate key",
		yaml: validBase + "scenarios:\n  - name: a\n    name: b\n    kind: http\n    request: {url: /}\n",
		want: []string{`suite.yaml:6:5: scenarios[0].name: "name" is given twice`},
	},
	{
		name: "jitter not shorter than interval",
		yaml: validBase + "scenarios:\n  - name: a\n    kind: http\n    request: {url: /}\n    schedule: {interval: 10s, jitter: 10s}\n",
		want: []string{`suite.yaml:8:39: scenarios[0].schedule.jitter: jitter 10s must be shorter than the interval 10s`},
	},
	{
		name:          "list where a mapping belongs",
		yaml:          validBase + "scenarios:\n  - name: a\n    kind: http\n    request: [/]\n",
		want:          []string{`suite.yaml:7:14: scenarios[0].request: want a mapping with keys method, url, query, headers, …, got a list`},
		schemaCatches: true,
	},
	{
		name:          "empty list item",
		yaml:          validBase + "scenarios:\n  -\n",
		want:          []string{`suite.yaml:5:4: scenarios[0]: empty list item: remove the lone '-' or give it a value`},
		schemaCatches: true,
	},
	{
		name: "empty journey step", // it panicked
		yaml: validBase + "loadtests:\n  - name: l\n    targets:\n      - name: j\n        journey:\n          - {name: a, request: {url: /}}\n          -\n" +
			"    profile:\n      - constant: {rate: 10/s, duration: 1s}\n    limits: {max_duration: 5s, max_requests: 100}\n",
		want:          []string{`suite.yaml:10:12: loadtests[0].targets[0].journey[1]: empty list item: remove the lone '-' or give it a value`},
		schemaCatches: true,
	},
	{
		name: "the gate section names an unknown endpoint",
		yaml: validBase + loadTest("    gate:\n      min_effect: 10%\n      endpoints:\n        prodcts: {ignore: true}\n"),
		want: []string{`suite.yaml:15:18: loadtests[0].gate.endpoints.prodcts: unknown endpoint "prodcts" (did you mean "products"?); this load test's endpoints are products`},
	},
	{
		name:          "the gate section's minimum effect is not a percentage",
		yaml:          validBase + loadTest("    gate: {min_effect: 5}\n"),
		want:          []string{`suite.yaml:12:24: loadtests[0].gate.min_effect: want a percentage like 99.9% or 1%, got "5"`},
		schemaCatches: true,
	},
	{
		name: "load test threshold names an unknown endpoint",
		yaml: validBase + loadTest("    thresholds:\n      - {endpoint: prodcts, p95: 100ms}\n"),
		want: []string{`suite.yaml:13:20: loadtests[0].thresholds[0].endpoint: unknown endpoint "prodcts" (did you mean "products"?); this load test's endpoints are products`},
	},
	{
		name:          "threshold with two metrics",
		yaml:          validBase + loadTest("    thresholds:\n      - {p95: 100ms, error_rate: 1%}\n"),
		want:          []string{`suite.yaml:13:9: loadtests[0].thresholds[0]: has p95 and error_rate; give exactly one of p50, p90, p95, p99, max_latency, error_rate, min_throughput`},
		schemaCatches: true,
	},
	{
		name:          "load test without limits",
		yaml:          validBase + "loadtests:\n  - name: l\n    targets: [{name: t, path: /}]\n    profile: [{constant: {rate: 1/s, duration: 1s}}]\n",
		want:          []string{`suite.yaml:5:5: loadtests[0]: missing required field "limits"`},
		schemaCatches: true,
	},
	{
		name: "bad template and body both ways",
		yaml: validBase + "loadtests:\n  - name: l\n    targets:\n      - {name: t, path: '/p/{{randInt 1}', body: x, body_file: b.json}\n    profile: [{constant: {rate: 1/s, duration: 1s}}]\n    limits: {max_duration: 1s, max_requests: 1}\n",
		want: []string{
			`suite.yaml:7:25: loadtests[0].targets[0].path: bad template: 1: unexpected "}" in operand`,
			`suite.yaml:7:64: loadtests[0].targets[0].body_file: b.json does not exist (paths are relative to the suite file)`,
			`suite.yaml:7:64: loadtests[0].targets[0].body_file: give body or body_file, not both`,
		},
	},
	{
		name: "template variable missing in an environment",
		yaml: validBase + "loadtests:\n  - name: l\n    targets:\n      - {name: t, path: '/u/{{var \"user\"}}'}\n    profile: [{constant: {rate: 1/s, duration: 1s}}]\n    limits: {max_duration: 1s, max_requests: 1}\n",
		want: []string{`suite.yaml:7:25: loadtests[0].targets[0].path: variable "user" is not defined in environment "dev": add it under environments.dev.variables`},
	},
	{
		// Each step is a piece of the schedule in memory: this one took 24 GB and hung before its first request.
		name: "a staircase of millions of steps",
		yaml: validBase + "loadtests:\n  - name: l\n    targets: [{name: t, path: /}]\n    profile:\n      - steps: {from: 1/h, to: 1000/s, step: 1/h, step_duration: 1s}\n    limits: {max_duration: 1s, max_requests: 1}\n",
		want: []string{
			`suite.yaml:8:46: loadtests[0].profile[0].steps.step: from 1/h to 1000/s by 1/h is 3.6e+06 steps; at most 10000: take a larger step`,
		},
	},
	{
		// The sum wrapped round to a negative, and the test ended at once, sending nothing.
		name: "phases longer than a duration holds",
		yaml: validBase + "loadtests:\n  - name: l\n    targets: [{name: t, path: /}]\n    profile:\n      - constant: {rate: 1/h, duration: 100000d}\n      - constant: {rate: 1/h, duration: 100000d}\n    limits: {max_duration: 1s, max_requests: 1}\n",
		want: []string{
			`suite.yaml:8:7: loadtests[0].profile: the phases add up to more than a duration holds (106751 days, about 292 years)`,
		},
	},
	{
		name: "steps going down and zero requests",
		yaml: validBase + "loadtests:\n  - name: l\n    targets: [{name: t, path: /}]\n    profile:\n      - steps: {from: 10/s, to: 5/s, step: 1/s, step_duration: 1s}\n    limits: {max_duration: 1s, max_requests: 0}\n",
		want: []string{
			`suite.yaml:8:33: loadtests[0].profile[0].steps.to: to 5/s is below from 10/s; steps go up`,
			`suite.yaml:9:46: loadtests[0].limits.max_requests: must be at least 1`,
		},
	},
	{
		name: "a target that is neither a request nor a journey",
		yaml: validBase + journeyLT("      - {name: t}\n      - {name: u, path: /, journey: [{request: {url: /}}]}\n"),
		want: []string{
			`suite.yaml:7:9: loadtests[0].targets[0]: a target needs path: (one request), journey: (steps written here) or scenario: (the steps of an http scenario)`,
			`suite.yaml:8:9: loadtests[0].targets[1]: give one of path:, journey: and scenario:, not several`,
		},
	},
	{
		name: "journey steps: a request's fields, a browser action, undefined capture and data",
		yaml: validBase + journeyLT("      - name: t\n        method: POST\n        journey:\n          - click: '#buy'\n          - request: {url: '/c/{{capture \"id\"}}/{{data \"email\"}}'}\n"),
		want: []string{
			`suite.yaml:8:17: loadtests[0].targets[0].method: method belongs to a one-request target; each step of a journey has its own request`,
			`suite.yaml:10:20: loadtests[0].targets[0].journey[0].click: click is a browser action; the steps of a journey are request: steps (a load test runs no browser)`,
			`suite.yaml:11:28: loadtests[0].targets[0].journey[1].request.url: capture "id" is not defined by an earlier step: no step before this one captures anything`,
			`suite.yaml:11:28: loadtests[0].targets[0].journey[1].request.url: data "email": only the steps of a journey with data: (a CSV or JSON-lines file) have data columns`,
		},
	},
	{
		name: "journey of an unknown scenario, and of a browser flow",
		yaml: validBase + journeyLT("      - {name: t, scenario: chekout}\n      - {name: u, scenario: b}\n") +
			"scenarios:\n  - {name: checkout, kind: http, request: {url: /}}\n  - {name: b, kind: browser, steps: [{navigate: /}]}\n",
		want: []string{
			`suite.yaml:7:29: loadtests[0].targets[0].scenario: unknown scenario "chekout" (did you mean "checkout"?)`,
			`suite.yaml:8:29: loadtests[0].targets[1].scenario: scenario "b" is kind browser; a journey runs the steps of an http scenario`,
		},
	},
	{
		name: "journey: steps of one name, missing data, think upside down and on a request",
		yaml: validBase + journeyLT("      - name: t\n        journey: [{request: {url: /}}, {request: {url: /}}]\n        data: {file: nope.csv}\n        think: {uniform: {min: 2s, max: 1s}}\n      - {name: u, path: /, think: {fixed: 1s}}\n"),
		want: []string{
			`suite.yaml:8:40: loadtests[0].targets[0].journey[1]: a step named "GET /" is already in this journey: give it a name: of its own, so its results stay apart`,
			`suite.yaml:9:22: loadtests[0].targets[0].data.file: nope.csv does not exist (paths are relative to the suite file)`,
			`suite.yaml:10:41: loadtests[0].targets[0].think.uniform.max: max 1s is below min 2s`,
			`suite.yaml:11:35: loadtests[0].targets[1].think: think belongs to journeys (journey: or scenario:); this target is one request`,
		},
	},
	{
		name: "thresholds of unknown journeys and steps",
		yaml: validBase + journeyLT("      - {name: t, journey: [{name: one, request: {url: /}}]}\n      - {name: u, path: /}\n") +
			"    thresholds:\n      - {journey: tt, p95: 1s}\n      - {endpoint: 't: two', p95: 1s}\n      - {endpoint: u, journey: t, p95: 1s}\n      - {endpoint: 't: one', p95: 1s}\n",
		want: []string{
			`suite.yaml:12:19: loadtests[0].thresholds[0].journey: unknown journey "tt" (did you mean "t"?); this load test's journeys are t`,
			`suite.yaml:13:20: loadtests[0].thresholds[1].endpoint: unknown endpoint "t: two" (did you mean "t: one"?); this load test's endpoints are t: one, u`,
			`suite.yaml:14:9: loadtests[0].thresholds[2]: give endpoint: or journey:, not both; a step of a journey is the endpoint "journey: step"`,
		},
	},
	{
		name: "empty journey and an unknown data mode",
		yaml: validBase + journeyLT("      - {name: t, journey: [], data: {file: x.csv, mode: once}}\n"),
		want: []string{
			`suite.yaml:7:28: loadtests[0].targets[0].journey: a journey needs at least one step`,
			`suite.yaml:7:45: loadtests[0].targets[0].data.file: x.csv does not exist (paths are relative to the suite file)`,
			`suite.yaml:7:58: loadtests[0].targets[0].data.mode: "once" is not one of unique, circular, random`,
		},
		schemaCatches: true,
	},
	{
		name: "slo references",
		yaml: validBase + loadTest("") + "slos:\n  availability: {target: 100%}\n  latency:\n    - {scenario: nope, p95: 1s}\n    - {loadtest: l, endpoint: prod, p95: 1s}\n",
		want: []string{
			`suite.yaml:13:26: slos.availability.target: must be above 0% and below 100% (100% leaves no error budget)`,
			`suite.yaml:15:18: slos.latency[0].scenario: unknown scenario "nope"`,
			`suite.yaml:16:31: slos.latency[1].endpoint: load test "l" has no endpoint "prod" (did you mean "products"?)`,
		},
	},
	{
		name: "not YAML",
		yaml: "environments:\n  dev: [\n",
		want: []string{`suite.yaml:2:1: not valid YAML: did not find expected node content`},
	},
	{
		name: "two documents",
		yaml: validBase + "---\nname: x\n",
		want: []string{`suite.yaml:4:1: holds more than one YAML document (---); put each in its own file`},
	},
	{
		name: "weights whose sum overflows",
		yaml: validBase + "loadtests:\n  - name: l\n    targets:\n      - {name: a, path: /a, weight: 4611686018427387904}\n" +
			"      - {name: b, path: /b, weight: 4611686018427387904}\n" +
			"    profile:\n      - constant: {rate: 10/s, duration: 1s}\n    limits: {max_duration: 5s, max_requests: 100}\n",
		want: []string{
			`suite.yaml:7:37: loadtests[0].targets[0].weight: the weights add up to more than 1000000000; weights are shares, so smaller numbers say the same`,
			`suite.yaml:8:37: loadtests[0].targets[1].weight: the weights add up to more than 1000000000; weights are shares, so smaller numbers say the same`,
		},
	},
	{
		name: "template arguments checked at load time",
		yaml: validBase + "loadtests:\n  - name: l\n    targets:\n      - {name: a, path: \"/a/{{randInt 20 1}}\"}\n" +
			"      - {name: b, path: \"/b/{{randInt \\\"a\\\" 1}}\"}\n      - {name: c, path: \"/c/{{randItem}}\"}\n" +
			"      - {name: d, path: \"/d/{{randInt 1 2}}{{randItem \\\"q\\\"}}{{seq}}{{uuid}}\"}\n" +
			"    profile:\n      - constant: {rate: 10/s, duration: 1s}\n    limits: {max_duration: 5s, max_requests: 100}\n",
		want: []string{
			`suite.yaml:7:25: loadtests[0].targets[0].path: bad template: randInt 20 1: the second number must not be below the first`,
			`suite.yaml:8:25: loadtests[0].targets[1].path: bad template: randInt takes whole numbers, like {{randInt 1 20}}; "a" is not one`,
			`suite.yaml:9:25: loadtests[0].targets[2].path: bad template: randItem needs at least one item, like {{randItem "a" "b"}}`,
		},
	},
	{
		name: "tab for indentation",
		yaml: "environments:\n\tdev: {}\n",
		want: []string{`suite.yaml:2:1: not valid YAML: a tab; YAML does not allow tabs for indentation, indent with spaces`},
	},
	{
		name: "bytes that are not UTF-8",
		yaml: validBase + "name: caf\xe9\n",
		want: []string{`suite.yaml:4:10: not valid YAML: a byte that is not UTF-8; save the file as UTF-8`},
	},
	{
		// Each attempt may wait its whole timeout: one run of a down target would wait 100000000 of them.
		name:          "retries past 10",
		schemaCatches: true,
		yaml:          validBase + "defaults: {retries: 11}\nscenarios:\n  - {name: h, kind: http, request: {url: /}, retries: 100000000}\n",
		want: []string{
			`suite.yaml:4:21: defaults.retries: want a whole number from 0 to 10, got 11`,
			`suite.yaml:6:55: scenarios[0].retries: want a whole number from 0 to 10, got 100000000`,
		},
	},
	{
		name:          "a whole number too large",
		schemaCatches: true, // past retries' maximum
		yaml:          validBase + "defaults: {retries: 99999999999999999999}\n",
		want:          []string{`suite.yaml:4:21: defaults.retries: 99999999999999999999 is too large for a whole number here`},
	},
	{
		name:          "a fractional rate",
		yaml:          "environments:\n  dev:\n    base_url: http://127.0.0.1:1\n    max_rate: 1.5/s\n",
		want:          []string{`suite.yaml:4:15: environments.dev.max_rate: "1.5/s": a rate counts whole requests; write 90/m for 1.5/s`},
		schemaCatches: true,
	},
	{
		name: "more values than a suite file holds",
		yaml: validBase + "defaults: {envs: [" + strings.Repeat("dev, ", 200_000) + "dev]}\n",
		want: []string{`suite.yaml:4:999979: defaults.envs[199992]: file has more than 200000 values, counting each use of an alias; a suite file is small, so look for an alias that repeats itself`},
	},
	{
		name: "capture used before a step defines it",
		yaml: validBase + httpFlow(`      - request: {url: '/api/orders/{{capture "id"}}'}
      - request: {method: POST, url: /api/checkout}
        capture: [{name: id, json: $.order_id}]
`),
		want: []string{`suite.yaml:8:24: scenarios[0].steps[0].request.url: capture "id" is not defined by an earlier step: no step before this one captures anything`},
	},
	{
		name: "capture name typo and a capture defined twice",
		yaml: validBase + httpFlow(`      - request: {method: POST, url: /api/login}
        capture: [{name: token, json: $.token}, {name: token, header: X-Token}]
      - request: {url: /api/orders, headers: {Authorization: 'Bearer {{capture "tokn"}}'}}
`),
		want: []string{
			`suite.yaml:9:56: scenarios[0].steps[0].capture[1].name: capture "token" is already defined by an earlier capture of these steps; give each value its own name`,
			`suite.yaml:10:62: scenarios[0].steps[1].request.headers.Authorization: capture "tokn" is not defined by an earlier step (did you mean "token"?); earlier steps capture token`,
		},
	},
	{
		name: "bad JSONPath and regex in captures and expect",
		yaml: validBase + httpFlow(`      - request: {url: /api/orders}
        expect: {json: [{path: "$.items[", exists: true}, {path: "items..id", exists: true}]}
        capture: [{name: a, json: "$.a b"}, {name: b, regex: "(unclosed"}, {name: c, status: false}, {name: "d-1", header: Location}]
`),
		want: []string{
			`suite.yaml:9:32: scenarios[0].steps[0].expect.json[0].path: bad JSONPath "$.items[": unexpected eof at position 9 (RFC 9535, like $.items[0].id)`,
			`suite.yaml:9:66: scenarios[0].steps[0].expect.json[1].path: bad dotted path "items..id": part 2 is empty; write keys and indexes between dots, like items.0.id, or a JSONPath like $.items[0].id`,
			`suite.yaml:10:35: scenarios[0].steps[0].capture[0].json: bad JSONPath "$.a b": unexpected blank space at position 4 (RFC 9535, like $.items[0].id)`,
			`suite.yaml:10:62: scenarios[0].steps[0].capture[1].regex: bad regular expression: missing closing ): ` + "`(unclosed`",
			`suite.yaml:10:94: scenarios[0].steps[0].capture[2].status: write status: true to capture the status code`,
			`suite.yaml:10:109: scenarios[0].steps[0].capture[3].name: capture name "d-1": use letters, digits and _, starting with a letter or _`,
		},
	},
	{
		name: "browser action in an http flow, request step in a browser flow",
		yaml: validBase + httpFlow("      - click: '#buy'\n") + `  - name: b
    kind: browser
    steps:
      - request: {url: /}
        always: true
`,
		want: []string{
			`suite.yaml:8:16: scenarios[0].steps[0].click: click is a browser action; the steps of an http scenario are request: steps (or make it kind browser)`,
			`suite.yaml:12:18: scenarios[1].steps[0].request: request belongs to the request steps of http scenarios; this one is kind browser`,
			`suite.yaml:13:17: scenarios[1].steps[0].always: always belongs to the request steps of http scenarios; this one is kind browser`,
		},
	},
	{
		name: "request and steps both, and a scenario-wide expect",
		yaml: validBase + httpFlow("      - request: {url: /}\n") + "    request: {url: /}\n    expect: {status: 200}\n",
		want: []string{
			`suite.yaml:8:7: scenarios[0].steps: give request: (one request) or steps: (several), not both`,
			`suite.yaml:10:13: scenarios[0].expect: with steps:, each step has its own expect:`,
		},
	},
	{
		name: "capture in a load-test target",
		yaml: validBase + strings.Replace(loadTest(""), "path: /api/products", `path: '/api/products/{{capture "id"}}'`, 1),
		want: []string{`suite.yaml:8:15: loadtests[0].targets[0].path: capture "id": only the steps of an http scenario capture values, and only later steps use them`},
	},
	{
		name: "unknown environment in envs",
		yaml: validBase + "defaults: {envs: [prod]}\n",
		want: []string{`suite.yaml:4:19: defaults.envs[0]: unknown environment "prod"; the suite defines dev`},
	},
}

// httpFlow is an http scenario named a whose steps are the given lines.
func httpFlow(steps string) string {
	return "scenarios:\n  - name: a\n    kind: http\n    steps:\n" + steps
}

// journeyLT is a load test of the given targets (YAML list items).
func journeyLT(targets string) string {
	return "loadtests:\n  - name: l\n    targets:\n" + targets +
		"    profile: [{constant: {rate: 1/s, duration: 1s}}]\n    limits: {max_duration: 1s, max_requests: 1}\n"
}

// loadTest is a valid load test with extra lines appended.
func loadTest(extra string) string {
	return "loadtests:\n  - name: l\n    targets:\n      - name: products\n        path: /api/products\n" +
		"    profile:\n      - constant: {rate: 10/s, duration: 1s}\n    limits: {max_duration: 5s, max_requests: 100}\n" + extra
}

func TestLoadInvalid(t *testing.T) {
	for _, tt := range invalidCases {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadBytes("suite.yaml", []byte(tt.yaml), WithLookupEnv(noEnv))
			var errs Errors
			require.ErrorAs(t, err, &errs, "want suite errors, got %v", err)
			assert.Equal(t, tt.want, strings.Split(errs.Error(), "\n"))
		})
	}
}
