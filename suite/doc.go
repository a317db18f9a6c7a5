// Package suite owns the suite format: it loads a suite folder (probe.yaml,
// scenarios/*.yaml, loadtests/*.yaml) or one file into a validated, typed
// model with defaults applied, expands ${VAR} from the environment, redacts
// secrets, and prints the JSON Schema of exactly what it accepts. It also owns
// what the format's texts mean at run time: the template functions shared by
// load-test targets and HTTP checks (template.go), JSON paths (jsonpath.go),
// test-data files, CSV or JSON lines (data.go), and how a response is judged
// by a step's expect and read by its captures (response.go), one way for the
// uptime probe and for journeys under load.
//
// Every mistake is reported at once, sorted, each at file:line:column with the
// field path. It imports only the standard library, a YAML parser and a
// JSONPath library (github.com/theory/jsonpath).
package suite
