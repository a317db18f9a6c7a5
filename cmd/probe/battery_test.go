package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/probe-dev/probe/demoapp"
	"github.com/probe-dev/probe/demoapp/demotest"
	"github.com/probe-dev/probe/results"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// batterySuite is a valid suite with one load test; cases break it.
const batterySuite = `environments:
  dev: {base_url: "{url}"}
loadtests:
  - name: lt
    targets: [{name: health, path: /api/health}]
    profile: [{constant: {rate: 20/s, duration: 1s}}]
    limits: {max_duration: 10s, max_requests: 100}
    thresholds: [{p95: 1s}]
`

// withTarget is batterySuite with its target list replaced.
func withTarget(targets string) string {
	return strings.Replace(batterySuite, "targets: [{name: health, path: /api/health}]", "targets:\n"+targets, 1)
}

// batteryCase is one bad input: the files it needs (a value "fifo", "dir",
// or "->target" makes a named pipe, a folder or a symlink), the command line
// ({dir} is the case's folder, {url} the demo shop), the exit code and what
// stderr must say; gone lists paths that must not exist afterwards.
type batteryCase struct {
	name   string
	files  map[string]string
	args   string
	code   int
	stderr string
	stdout string
	notOut string // stdout and stderr must not hold it
	gone   []string
}

// summaryJSON is a load test's summary with n requests on one endpoint,
// changed by edit; the battery's summary files are made from it.
func summaryJSON(t *testing.T, n int64, edit func(*results.Summary)) string {
	t.Helper()
	s := &results.Summary{LoadTest: "lt", Env: "dev", Start: time.Unix(1_700_000_000, 0).UTC(), Duration: time.Second, SendSpan: time.Second,
		Stop: "completed", Planned: n, Sent: n, Overall: results.NewEndpoint("overall", "", ""),
		Endpoints: []results.Endpoint{results.NewEndpoint("health", "GET", "/api/health")}}
	for _, e := range []*results.Endpoint{&s.Overall, &s.Endpoints[0]} {
		e.Requests = n
		e.Codes["200"] = n
		for i := range n {
			e.Latency.Record(time.Duration(10+i%7) * time.Millisecond)
			e.DueLatency.Record(time.Duration(10+i%7) * time.Millisecond)
		}
	}
	if edit != nil {
		edit(s)
	}
	var b strings.Builder
	require.NoError(t, s.WriteJSON(&b))
	return b.String()
}

func shard(i string) func(*results.Summary) { return func(s *results.Summary) { s.Shard = i } }

// TestBadInputBattery keeps every bad input the robustness battery found,
// with the exit code and the message it must give, so none comes back.
func TestBadInputBattery(t *testing.T) {
	_, url := demotest.Start(t, demoapp.Faults{})
	ok := map[string]string{"s.yaml": batterySuite}
	huge := strings.Repeat("w", 1<<22)
	cases := []batteryCase{
		// 5: weights whose sum overflows.
		{name: "weights overflow, validate", files: map[string]string{"s.yaml": withTarget(
			"      - {name: a, path: /a, weight: 4611686018427387904}\n      - {name: b, path: /b, weight: 4611686018427387904}\n")},
			args: "validate {dir}/s.yaml", code: 2, stderr: "the weights add up to more than 1000000000"},
		{name: "weights overflow, load", files: map[string]string{"s.yaml": withTarget(
			"      - {name: a, path: /a, weight: 9223372036854775807}\n      - {name: b, path: /b, weight: 1}\n")},
			args: "load lt --env dev --suite {dir}/s.yaml --out {dir}/out", code: 2, stderr: "the weights add up to more than"},
		// 7: body files and suite files that are not small regular files.
		{name: "report of /dev/zero", files: map[string]string{"zero.json": "->/dev/zero"}, args: "report {dir}/zero.json", code: 2, // it read 24 GB and was killed
			stderr: "zero.json is not a regular file (a device)"},
		{name: "report of a FIFO", files: map[string]string{"fifo.json": "fifo"}, args: "report {dir}/fifo.json", code: 2, // it waited for a writer for ever
			stderr: "fifo.json is not a regular file (a named pipe)"},
		{name: "report merge of /dev/zero", files: map[string]string{"zero.json": "->/dev/zero"}, args: "report merge {dir}/zero.json {dir}/zero.json --out {dir}/m.json", code: 2,
			stderr: "zero.json is not a regular file (a device)", gone: []string{"m.json"}},
		{name: "gate of saved FIFOs", files: map[string]string{"fifo.json": "fifo"}, args: "gate --baseline {dir}/fifo.json --candidate {dir}/fifo.json", code: 2,
			stderr: "fifo.json is not a regular file (a named pipe)"},
		{name: "body_file linked to /dev/zero", files: map[string]string{"zero.json": "->/dev/zero", "s.yaml": withTarget(
			"      - {name: a, path: /a, method: POST, body_file: zero.json}\n")},
			args: "validate {dir}/s.yaml", code: 2, stderr: "zero.json is not a regular file (a device)"},
		{name: "body_file a FIFO", files: map[string]string{"fifo.json": "fifo", "s.yaml": withTarget(
			"      - {name: a, path: /a, method: POST, body_file: fifo.json}\n")},
			args: "load lt --env dev --suite {dir}/s.yaml", code: 2, stderr: "fifo.json is not a regular file (a named pipe)"},
		{name: "suite file a FIFO", files: map[string]string{"s.yaml": "fifo"},
			args: "validate {dir}/s.yaml", code: 2, stderr: "s.yaml is not a regular file (a named pipe)"},
		// 8: numbers that are not numbers.
		{name: "drill --factor NaN", files: ok, args: "drill lt --env dev --suite {dir}/s.yaml --factor NaN", code: 2, stderr: "--factor NaN: want a finite number"},
		{name: "load --rate-scale NaN", files: ok, args: "load lt --env dev --suite {dir}/s.yaml --rate-scale NaN", code: 2, stderr: "--rate-scale NaN: want a finite number"},
		{name: "load --rate-scale Inf", files: ok, args: "load lt --env dev --suite {dir}/s.yaml --rate-scale Inf", code: 2, stderr: "--rate-scale +Inf: want a finite number"},
		{name: "gate --alpha NaN", files: ok, args: "gate lt --suite {dir}/s.yaml --baseline-url {url} --candidate-url {url} --alpha NaN", code: 2, stderr: "--alpha NaN: want a finite number"},
		{name: "no threshold passes on no data", files: map[string]string{"s.yaml": batterySuite, "zero.json": "@summary0"},
			args: "report merge {dir}/zero.json --suite {dir}/s.yaml --out {dir}/m.json", code: 1, stdout: "no requests measured"},
		// 10: base URLs.
		{name: "load --base-url ftp", files: ok, args: "load lt --env dev --suite {dir}/s.yaml --base-url ftp://127.0.0.1:1", code: 2, stderr: `--base-url: "ftp://127.0.0.1:1" is not an absolute http(s) URL`},
		{name: "check --base-url without scheme", files: ok, args: "check --env dev --suite {dir}/s.yaml --base-url 127.0.0.1:1", code: 2, stderr: `--base-url: "127.0.0.1:1" is not an absolute http(s) URL`},
		{name: "run --base-url ftp", files: ok, args: "run --suite {dir}/s.yaml --base-url dev=ftp://x --history {dir}/h.db", code: 2, stderr: `"ftp://x" is not an absolute http(s) URL`},
		{name: "gate --candidate-url without scheme", files: ok, args: "gate lt --suite {dir}/s.yaml --baseline-url {url} --candidate-url 127.0.0.1:2", code: 2, stderr: "--candidate-url"},
		// 11: flags that contradict each other or themselves.
		{name: "drill --max below --start", files: ok, args: "drill lt --env dev --suite {dir}/s.yaml --start 100/s --max 50/s --out {dir}/d", code: 2,
			stderr: "--max 50/s is below --start 100/s", gone: []string{"d"}},
		{name: "drill --step-duration too short to measure", files: ok, args: "drill lt --env dev --suite {dir}/s.yaml --step-duration 1ms --out {dir}/d", code: 2, // it blamed the target
			stderr: "--start 50/s, --step-duration 1ms: a step of 1ms at 50/s sends 0 requests; a step needs at least 10 requests to measure", gone: []string{"d"}},
		{name: "drill --slo p95=0s", files: ok, args: "drill lt --env dev --suite {dir}/s.yaml --slo p95=0s,errors=1% --out {dir}/d", code: 2, // it meant no latency SLO
			stderr: "p95=0s: want a latency above 0, or leave p95 out for an SLO of errors only", gone: []string{"d"}},
		{name: "drill --step with --factor", files: ok, args: "drill lt --env dev --suite {dir}/s.yaml --step 10/s --factor 2", code: 2, stderr: "--step and --factor: give one"},
		{name: "drill --slo key twice", files: ok, args: "drill lt --env dev --suite {dir}/s.yaml --slo p95=1s,p95=2s", code: 2, stderr: "p95 is given twice"},
		{name: "gate --rate-scale 0", files: ok, args: "gate lt --suite {dir}/s.yaml --baseline-url {url} --candidate-url {url} --rate-scale 0", code: 2, stderr: "--rate-scale 0: must be above 0"},
		{name: "load --duration 0s", files: ok, args: "load lt --env dev --suite {dir}/s.yaml --duration 0s --out {dir}/o", code: 2, // it ran the profile as written
			stderr: "--duration 0s: must be above 0 (leave the flag out for its default)", gone: []string{"o"}},
		{name: "gate --block 0s", files: ok, args: "gate lt --suite {dir}/s.yaml --baseline-url {url} --candidate-url {url} --block 0s", code: 2, // it planned the block
			stderr: "--block 0s: must be above 0"},
		{name: "drill --factor 0", files: ok, args: "drill lt --env dev --suite {dir}/s.yaml --factor 0 --out {dir}/d", code: 2, // it stepped by --step
			stderr: "--factor 0: must be above 1", gone: []string{"d"}},
		{name: "load --connections 0", files: ok, args: "load lt --env dev --suite {dir}/s.yaml --connections 0", code: 2, stderr: "--connections 0: must be at least 1"},
		{name: "drill --max-workers 0", files: ok, args: "drill lt --env dev --suite {dir}/s.yaml --max-workers 0", code: 2, stderr: "--max-workers 0: must be at least 1"},
		{name: "load --shard of too many", files: ok, args: "load lt --env dev --suite {dir}/s.yaml --shard 0/9223372036854775807 --out {dir}/o", code: 2,
			stderr: `shard "0/9223372036854775807": at most 1000 shards`, gone: []string{"o"}},
		{name: "gate --alpha 0", files: ok, args: "gate lt --suite {dir}/s.yaml --baseline-url {url} --candidate-url {url} --alpha 0", code: 2, // it meant the default
			stderr: "--alpha 0: want a rate above 0 and below 0.5 (default 0.01)"},
		{name: "gate --alpha 2", files: ok, args: "gate lt --suite {dir}/s.yaml --baseline-url {url} --candidate-url {url} --alpha 2", code: 2,
			stderr: "--alpha 2: want a rate above 0 and below 0.5"},
		{name: "gate --runs 0", files: ok, args: "gate lt --suite {dir}/s.yaml --baseline-url {url} --candidate-url {url} --runs 0", code: 2, stderr: "--runs 0: must be at least 1"},
		{name: "demo-target --addr with a port out of range", args: "demo-target --addr 127.0.0.1:99999", code: 2, stderr: `--addr "127.0.0.1:99999": the port must be a number from 0 to 65535`},
		{name: "demo-target --addr without a port", args: "demo-target --addr 127.0.0.1", code: 2, stderr: `--addr "127.0.0.1": want host:port`},
		{name: "demo-target --addr empty", args: "demo-target --addr=", code: 2, stderr: `--addr "": want host:port`},
		{name: "run --listen with a named port", files: ok, args: "run --suite {dir}/s.yaml --listen 127.0.0.1:http-alt --history {dir}/h.db", code: 2,
			stderr: `--listen "127.0.0.1:http-alt": the port must be a number`, gone: []string{"h.db"}},
		{name: "load --metrics-addr port out of range", files: ok, args: "load lt --env dev --suite {dir}/s.yaml --metrics-addr :70000 --out {dir}/o", code: 2,
			stderr: `--metrics-addr ":70000": the port must be a number from 0 to 65535`, gone: []string{"o"}},
		{name: "run --recheck 10ms", files: ok, args: "run --suite {dir}/s.yaml --recheck 10ms --history {dir}/h.db", code: 2, // a failing target checked 100 times a second
			stderr: "--recheck 10ms: at least 1s, or leave it out", gone: []string{"h.db"}},
		{name: "run --http-slots -1", files: ok, args: "run --suite {dir}/s.yaml --http-slots -1 --history {dir}/h.db", code: 2, stderr: "--http-slots -1: must be at least 1"},
		{name: "load --pushgateway without scheme", files: ok, args: "load lt --env dev --suite {dir}/s.yaml --pushgateway 127.0.0.1:9091", code: 2,
			stderr: `--pushgateway: "127.0.0.1:9091" is not an absolute http(s) URL`},
		{name: "run of a suite without scenarios", files: ok, args: "run --suite {dir}/s.yaml --history {dir}/h.db --listen 127.0.0.1:0", code: 2,
			stderr: "the suite has no scenarios; probe run runs the checks and flows under scenarios:"},
		{name: "--save-baseline into a history that cannot be", files: ok, args: "load lt --env dev --suite {dir}/s.yaml --out {dir}/out --save-baseline --history {dir}/s.yaml/h.db", code: 2,
			stderr: "--history: history", gone: []string{"out"}},
		// 12: histories that can never be one. probe run probed on, and said
		// only at the end that its runs were lost.
		{name: "run --history a folder", files: map[string]string{"h.db": "dir"}, args: "run --suite {dir}/s.yaml --history {dir}/h.db", code: 2,
			stderr: "h.db is not a file (a folder): not a probe history; give --history a file's path", gone: []string{"h.db.lock"}},
		{name: "run --history a FIFO", files: map[string]string{"h.db": "fifo"}, args: "run --suite {dir}/s.yaml --history {dir}/h.db", code: 2,
			stderr: "h.db is not a file (a named pipe)", gone: []string{"h.db.lock"}},
		{name: "run --history a text file", files: map[string]string{"h.db": "a text that the user keeps, not a database at all"}, args: "run --suite {dir}/s.yaml --history {dir}/h.db", code: 2,
			stderr: "h.db: not a probe history: file is not a database"},
		{name: "--save-baseline into a folder", files: map[string]string{"h.db": "dir"}, args: "load lt --env dev --suite {dir}/s.yaml --out {dir}/out --save-baseline --history {dir}/h.db", code: 2,
			stderr: "h.db is not a file (a folder)", gone: []string{"out"}},
		{name: "report --out a folder", files: map[string]string{"a.json": "@summary5"}, args: "report {dir}/a.json --format html --out {dir}", code: 2, stderr: "it is a folder; give the name of a file"},
		{name: "load --out a file", files: ok, args: "load lt --env dev --suite {dir}/s.yaml --out {dir}/s.yaml", code: 2,
			stderr: "give a folder probe can write", notOut: "summary written"},
		{name: "drill --out under a file", files: ok, args: "drill lt --env dev --suite {dir}/s.yaml --out {dir}/s.yaml/d", code: 2, stderr: "give a folder probe can write", notOut: "step "},
		{name: "a load test without targets", files: map[string]string{"s.yaml": strings.Replace(batterySuite, "targets: [{name: health, path: /api/health}]", "targets: []", 1)},
			args: "load lt --env dev --suite {dir}/s.yaml", code: 2, stderr: "a load test needs at least one target"},
		{name: "gate --warmup -1s", files: ok, args: "gate lt --suite {dir}/s.yaml --baseline-url {url} --candidate-url {url} --warmup -1s", code: 2, stderr: "--warmup -1s: must not be negative"},
		// 12: suite paths that are not suite files.
		{name: "suite over the size cap", files: map[string]string{"s.yaml": batterySuite + "#" + huge + "\n"}, args: "validate {dir}/s.yaml", code: 2, stderr: "over the limit of 4.0 MiB"},
		{name: "suite a symlink loop", files: map[string]string{"s.yaml": "->s.yaml"}, args: "validate {dir}/s.yaml", code: 2, stderr: "s.yaml is a symlink loop"},
		{name: "probe.yaml a symlink loop", files: map[string]string{"probe.yaml": "->probe.yaml"}, args: "validate {dir}", code: 2, stderr: "probe.yaml is a symlink loop"},
		{name: "suite a dangling symlink", files: map[string]string{"s.yaml": "->gone.yaml"}, args: "validate {dir}/s.yaml", code: 2, stderr: "is a symlink to gone.yaml, which does not exist"},
		{name: "a folder named x.yaml", files: map[string]string{"probe.yaml": batterySuite, "scenarios/x.yaml": "dir"}, args: "validate {dir}", code: 2, stderr: "x.yaml is a folder, not a file"},
		// 13: a read-only command creates nothing.
		{name: "sla on a missing history", args: "sla --env dev --history {dir}/none/h.db", code: 2, stderr: "does not exist", gone: []string{"none"}},
		{name: "sla --window past what a duration holds", args: "sla --env dev --window 213504d --history {dir}/h.db", code: 2, // wrapped round to 25m
			stderr: `--window: "213504d" is more than a duration holds`},
		// 14: summaries no load test can have written.
		{name: "report of negative counts", files: map[string]string{"neg.json": "@negative"}, args: "report {dir}/neg.json", code: 2, stderr: "impossible counts"},
		{name: "gate on an error rate of 2500%", files: map[string]string{"a.json": "@summary100", "b.json": "@errors2500"},
			args: "gate --baseline {dir}/a.json --candidate {dir}/b.json", code: 2, stderr: "impossible counts: 100 requests, 2500 errors"},
		// 15: template arguments, at load time.
		{name: "randInt upside down", files: map[string]string{"s.yaml": withTarget("      - {name: a, path: '/a/{{randInt 20 1}}'}\n")},
			args: "validate {dir}/s.yaml", code: 2, stderr: "randInt 20 1: the second number must not be below the first"},
		{name: "randInt of a text", files: map[string]string{"s.yaml": withTarget(`      - {name: a, path: '/a/{{randInt "a" 1}}'}` + "\n")},
			args: "validate {dir}/s.yaml", code: 2, stderr: `randInt takes whole numbers, like {{randInt 1 20}}; "a" is not one`},
		{name: "randItem of nothing", files: map[string]string{"s.yaml": withTarget("      - {name: a, path: '/a/{{randItem}}'}\n")},
			args: "validate {dir}/s.yaml", code: 2, stderr: "randItem needs at least one item"},
		// 16: messages.
		{name: "a tab", files: map[string]string{"s.yaml": "environments:\n\tdev: {}\n"}, args: "validate {dir}/s.yaml", code: 2, stderr: "s.yaml:2:1: not valid YAML: a tab; YAML does not allow tabs"},
		{name: "not UTF-8", files: map[string]string{"s.yaml": batterySuite + "name: caf\xe9\n"}, args: "validate {dir}/s.yaml", code: 2, stderr: "s.yaml:9:10: not valid YAML: a byte that is not UTF-8"},
		{name: "a number too large", files: map[string]string{"s.yaml": batterySuite + "defaults: {retries: 99999999999999999999}\n"}, args: "validate {dir}/s.yaml", code: 2,
			stderr: "99999999999999999999 is too large for a whole number here"},
		{name: "a fractional rate", files: map[string]string{"s.yaml": strings.Replace(batterySuite, "rate: 20/s", "rate: 1.5/s", 1)}, args: "validate {dir}/s.yaml", code: 2,
			stderr: `"1.5/s": a rate counts whole requests; write 90/m for 1.5/s`},
		{name: "load without its argument", args: "load", code: 2, stderr: "load takes 1 argument, got 0; usage: probe load LOADTEST"},
		{name: "a run given to merge", files: map[string]string{"run.json": `{"version": 1, "scenario": "health", "status": "pass"}`},
			args: "report merge {dir}/run.json", code: 2, stderr: "this is a scenario run (probe check); want a load test's summary (probe load)"},
		{name: "report of []", files: map[string]string{"a.json": "[]"}, args: "report {dir}/a.json", code: 2, stderr: "it is a JSON array", notOut: "struct"},
		{name: "--raw into a missing folder", files: ok, args: "load lt --env dev --suite {dir}/s.yaml --out {dir}/out --raw {dir}/raw/deep/r.gob", code: 0},
		{name: "an undecided gate is no FAIL", files: map[string]string{"a.json": "@summary5", "b.json": "@summary5"},
			args: "gate --baseline {dir}/a.json --candidate {dir}/b.json", code: 4, stderr: "UNDECIDED: gate lt on dev: insufficient-data", notOut: "FAIL"},
		{name: "an SLO of errors only", files: ok, args: "drill lt --env dev --suite {dir}/s.yaml --start 20/s --step 20/s --max 20/s --step-duration 2s --slo errors=1% --out {dir}/d",
			code: 0, stdout: "held the SLO (errors ≤ 1.00%)", notOut: "p95 ≤ 0s"},
		// 2: merges that are not one whole test.
		{name: "the same shard twice", files: map[string]string{"a.json": "@shard0/2", "b.json": "@shard0/2"}, args: "report merge {dir}/a.json {dir}/b.json", code: 2, stderr: "are both shard 0/2"},
		{name: "shards of different splits", files: map[string]string{"a.json": "@shard0/2", "b.json": "@shard1/3"}, args: "report merge {dir}/a.json {dir}/b.json", code: 2, stderr: "shards of different splits"},
		{name: "a lone shard", files: map[string]string{"a.json": "@shard0/2"}, args: "report merge {dir}/a.json --suite {dir}/s.yaml", code: 2, stderr: "shard 1/2 is missing: give every shard, or --partial"},
		{name: "a lone shard, --partial", files: map[string]string{"a.json": "@shard0/2"}, args: "report merge {dir}/a.json --partial --out {dir}/m.json", code: 0, stdout: "partial merge: shard 1/2 missing"},
		{name: "no gate passes on no data", files: map[string]string{"a.json": "@summary0", "b.json": "@summary0"},
			args: "gate --baseline {dir}/a.json --candidate {dir}/b.json", code: 4, stderr: "UNDECIDED"},
		{name: "the same whole summary twice", files: map[string]string{"a.json": "@summary5", "b.json": "@summary5"}, args: "report merge {dir}/a.json {dir}/b.json", code: 2, stderr: "is a whole (unsharded) summary"},
	}
	summaries := map[string]string{
		"@summary0":   summaryJSON(t, 0, nil),
		"@summary5":   summaryJSON(t, 5, nil),
		"@summary100": summaryJSON(t, 100, nil),
		"@negative":   summaryJSON(t, 5, func(s *results.Summary) { s.Overall.Requests, s.Sent = -5, -5 }),
		"@errors2500": summaryJSON(t, 100, func(s *results.Summary) { s.Overall.Errors = 2500 }),
		"@shard0/2":   summaryJSON(t, 5, shard("0/2")),
		"@shard1/3":   summaryJSON(t, 5, shard("1/3")),
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.files == nil {
				tc.files = map[string]string{}
			}
			if _, has := tc.files["s.yaml"]; !has && strings.Contains(tc.args, "s.yaml") {
				tc.files["s.yaml"] = batterySuite
			}
			for name, content := range tc.files {
				p := filepath.Join(dir, name)
				require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o700))
				switch {
				case content == "fifo":
					require.NoError(t, syscall.Mkfifo(p, 0o600))
				case content == "dir":
					require.NoError(t, os.Mkdir(p, 0o700))
				case strings.HasPrefix(content, "->"):
					require.NoError(t, os.Symlink(strings.TrimPrefix(content, "->"), p))
				case strings.HasPrefix(content, "@"):
					require.Contains(t, summaries, content)
					require.NoError(t, os.WriteFile(p, []byte(summaries[content]), 0o600))
				default:
					require.NoError(t, os.WriteFile(p, []byte(strings.ReplaceAll(content, "{url}", url)), 0o600))
				}
			}
			args := strings.Fields(strings.NewReplacer("{dir}", dir, "{url}", url).Replace(tc.args))
			code, stdout, stderr := runProbe(t, args...)
			assert.Equal(t, tc.code, code, "stdout: %s\nstderr: %s", stdout, stderr)
			assert.Contains(t, stderr, tc.stderr)
			assert.Contains(t, stdout, tc.stdout)
			if tc.notOut != "" {
				assert.NotContains(t, stdout+stderr, tc.notOut)
			}
			assert.NotContains(t, stderr, "panic")
			for _, g := range tc.gone {
				assert.NoFileExists(t, filepath.Join(dir, g))
				assert.NoDirExists(t, filepath.Join(dir, g))
			}
		})
	}
}

// cancelOn is a writer that cancels when a line holding mark is written.
type cancelOn struct {
	mu     sync.Mutex
	mark   string
	cancel context.CancelFunc
	buf    strings.Builder
}

func (c *cancelOn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf.Write(p)
	if strings.Contains(c.buf.String(), c.mark) {
		c.cancel()
	}
	return len(p), nil
}

// TestInterruptedGateAndDrill: a gate or a drill cut short by the user (its
// context cancelled, as SIGINT does) writes what it measured, marked as
// interrupted, in a file probe report reads, and exits 3, never 0.
func TestInterruptedGateAndDrill(t *testing.T) {
	_, url := demotest.Start(t, demoapp.Faults{})
	dir := t.TempDir()
	s := filepath.Join(dir, "s.yaml")
	require.NoError(t, os.WriteFile(s, []byte(strings.ReplaceAll(batterySuite, "{url}", url)), 0o600))
	cases := []struct {
		name, mark string
		args       []string
		file       string
	}{
		{"gate", "pair 1 of", []string{"gate", "lt", "--suite", s, "--baseline-url", url, "--candidate-url", url,
			"--max-duration", "2m", "--out", filepath.Join(dir, "gate")}, filepath.Join(dir, "gate", "report.json")},
		{"drill", "step 10.0/s", []string{"drill", "lt", "--env", "dev", "--suite", s, "--start", "10/s", "--step", "10/s",
			"--step-duration", "1s", "--out", filepath.Join(dir, "drill")}, filepath.Join(dir, "drill", "lt-dev-drill.json")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			stderr := &cancelOn{mark: tc.mark, cancel: cancel}
			var stdout strings.Builder
			code := run(ctx, tc.args, &stdout, stderr)
			assert.Equal(t, exitCouldNotRun, code, "stdout: %s\nstderr: %s", stdout.String(), stderr.buf.String())
			assert.Contains(t, stderr.buf.String(), "interrupted")
			require.FileExists(t, tc.file)
			rc, out, errOut := runProbe(t, "report", tc.file, "--format", "text")
			assert.NotEqual(t, exitBadInput, rc, errOut)
			assert.Contains(t, out, "lt on dev")
		})
	}
}
