package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/probe-dev/probe/demoapp"
	"github.com/probe-dev/probe/demoapp/demotest"
	"github.com/probe-dev/probe/loadtests"
	"github.com/probe-dev/probe/monitor"
	"github.com/probe-dev/probe/results"
	"github.com/probe-dev/probe/suite"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// manifests holds every object under deploy/kubernetes, decoded strictly
// into the Kubernetes API types: an unknown or misspelt field is an error.
type manifests struct {
	configMaps map[string]*corev1.ConfigMap
	secrets    map[string]*corev1.Secret
	pvcs       map[string]*corev1.PersistentVolumeClaim
	services   map[string]*corev1.Service
	deploys    map[string]*appsv1.Deployment
	jobs       map[string]*batchv1.Job
	cronJobs   map[string]*batchv1.CronJob
	monitors   map[string]*monitoringv1.ServiceMonitor
}

func decodeManifests(t *testing.T, root string) *manifests {
	t.Helper()
	m := &manifests{map[string]*corev1.ConfigMap{}, map[string]*corev1.Secret{}, map[string]*corev1.PersistentVolumeClaim{},
		map[string]*corev1.Service{}, map[string]*appsv1.Deployment{}, map[string]*batchv1.Job{}, map[string]*batchv1.CronJob{},
		map[string]*monitoringv1.ServiceMonitor{}}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".yaml" {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, doc := range regexp.MustCompile(`(?m)^---$`).Split(string(data), -1) {
			if strings.TrimSpace(doc) == "" {
				continue
			}
			var tm metav1.TypeMeta
			if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
				return fmt.Errorf("%s, document %d: %w", path, i+1, err)
			}
			d := []byte(doc)
			switch tm.APIVersion + " " + tm.Kind {
			case "v1 ConfigMap":
				err = file(m.configMaps, d)
			case "v1 Secret":
				err = file(m.secrets, d)
			case "v1 PersistentVolumeClaim":
				err = file(m.pvcs, d)
			case "v1 Service":
				err = file(m.services, d)
			case "apps/v1 Deployment":
				err = file(m.deploys, d)
			case "batch/v1 Job":
				err = file(m.jobs, d)
			case "batch/v1 CronJob":
				err = file(m.cronJobs, d)
			case "monitoring.coreos.com/v1 ServiceMonitor":
				err = file(m.monitors, d)
			default:
				err = fmt.Errorf("%s %s: no test decodes this kind", tm.APIVersion, tm.Kind)
			}
			if err != nil {
				return fmt.Errorf("%s, document %d: %w", path, i+1, err)
			}
		}
		return nil
	})
	require.NoError(t, err)
	return m
}

// file decodes one document strictly into a T and files it by name.
func file[T any, P interface {
	*T
	GetName() string
}](set map[string]P, doc []byte) error {
	obj := P(new(T))
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return err
	}
	set[obj.GetName()] = obj
	return nil
}

func TestKubernetesManifests(t *testing.T) {
	m := decodeManifests(t, "../../deploy/kubernetes")

	// Every object the issue asks for.
	require.Contains(t, m.deploys, "probe")
	require.Contains(t, m.services, "probe")
	require.Contains(t, m.configMaps, "probe-suite")
	require.Contains(t, m.secrets, "probe-secrets")
	require.Contains(t, m.monitors, "probe")
	require.Contains(t, m.cronJobs, "probe-check")
	require.Contains(t, m.jobs, "probe-load")
	require.Contains(t, m.jobs, "probe-load-merge")
	assert.Contains(t, m.secrets["probe-secrets"].StringData, "SENTRY_DSN")

	// The suite in the ConfigMap loads with probe's own loader.
	dir := t.TempDir()
	for name, text := range m.configMaps["probe-suite"].Data {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600))
	}
	t.Setenv("SHOP_PASSWORD", "x")
	s, err := suite.Load(dir)
	require.NoError(t, err)

	// Every pod: its probe command lines parse with probe's own flags and
	// name what the suite has; volumes, ConfigMaps, Secrets and claims exist.
	pods := map[string]corev1.PodSpec{"deployment probe": m.deploys["probe"].Spec.Template.Spec}
	for name, j := range m.jobs {
		pods["job "+name] = j.Spec.Template.Spec
	}
	for name, c := range m.cronJobs {
		pods["cronjob "+name] = c.Spec.JobTemplate.Spec.Template.Spec
	}
	dockerfile, err := os.ReadFile("../../Dockerfile")
	require.NoError(t, err)
	uid := regexp.MustCompile(`useradd .*--uid (\d+)`).FindSubmatch(dockerfile)
	require.NotNil(t, uid)
	for where, pod := range pods {
		t.Run(where, func(t *testing.T) {
			require.NotNil(t, pod.SecurityContext.RunAsUser)
			assert.Equal(t, string(uid[1]), fmt.Sprint(*pod.SecurityContext.RunAsUser), "the image's user")
			assert.True(t, *pod.SecurityContext.RunAsNonRoot)
			vols := map[string]corev1.Volume{}
			for _, v := range pod.Volumes {
				vols[v.Name] = v
				switch {
				case v.ConfigMap != nil:
					assert.Contains(t, m.configMaps, v.ConfigMap.Name)
				case v.PersistentVolumeClaim != nil:
					assert.Contains(t, m.pvcs, v.PersistentVolumeClaim.ClaimName)
				}
			}
			for _, c := range pod.Containers {
				for _, vm := range c.VolumeMounts {
					assert.Contains(t, vols, vm.Name, "mount %s", vm.MountPath)
				}
				for _, ef := range c.EnvFrom {
					assert.Contains(t, m.secrets, ef.SecretRef.Name)
				}
				assert.NotNil(t, c.Resources.Requests.Memory(), "memory request")
				lines := probeCommandLines(t, c)
				require.NotEmpty(t, lines)
				for _, args := range lines {
					checkProbeArgs(t, s, args)
				}
			}
		})
	}

	// The daemon: one replica, reachable on the port it listens on, scraped.
	d := m.deploys["probe"]
	assert.Equal(t, int32(1), *d.Spec.Replicas, "one schedule, one process")
	c := d.Spec.Template.Spec.Containers[0]
	assert.Contains(t, c.Args, "--listen=0.0.0.0:"+fmt.Sprint(c.Ports[0].ContainerPort))
	assert.Equal(t, "/healthz", c.LivenessProbe.HTTPGet.Path)
	assert.Equal(t, "/readyz", c.ReadinessProbe.HTTPGet.Path)
	svc := m.services["probe"]
	for k, v := range svc.Spec.Selector {
		assert.Equal(t, v, d.Spec.Template.Labels[k], "the Service selects the daemon's pods")
	}
	sm := m.monitors["probe"]
	for k, v := range sm.Spec.Selector.MatchLabels {
		assert.Equal(t, v, svc.Labels[k], "the ServiceMonitor selects the Service")
	}
	assert.Equal(t, svc.Spec.Ports[0].Name, sm.Spec.Endpoints[0].Port)

	// The distributed load: N pods, each --shard I/N with the same N.
	j := m.jobs["probe-load"].Spec
	require.NotNil(t, j.CompletionMode)
	assert.Equal(t, batchv1.IndexedCompletion, *j.CompletionMode)
	assert.Equal(t, *j.Completions, *j.Parallelism)
	var shard string
	for _, a := range j.Template.Spec.Containers[0].Args {
		if v, ok := strings.CutPrefix(a, "--shard="); ok {
			shard = v
		}
	}
	assert.Equal(t, fmt.Sprintf("$(JOB_COMPLETION_INDEX)/%d", *j.Completions), shard)
	envOf := func(c corev1.Container) map[string]string {
		out := map[string]string{}
		for _, e := range c.Env {
			if e.ValueFrom == nil {
				out[e.Name] = e.Value
			}
		}
		return out
	}
	assert.Equal(t, envOf(j.Template.Spec.Containers[0]), envOf(m.jobs["probe-load-merge"].Spec.Template.Spec.Containers[0]),
		"the merge job names the load test, environment and scale the shards ran")
	merge := strings.Join(m.jobs["probe-load-merge"].Spec.Template.Spec.Containers[0].Args, "\n")
	assert.Contains(t, merge, fmt.Sprintf("shard*of%d.json", *j.Completions), "the merge takes every shard's file")
}

// probeCommandLines returns the probe command lines a container runs: its
// args when probe is the entrypoint, or each line of a shell script that
// starts with probe; the container's variables filled in as Kubernetes
// ($(NAME)) or the shell ($NAME) would, the completion index as 3.
func probeCommandLines(t *testing.T, c corev1.Container) [][]string {
	vars := map[string]string{"JOB_COMPLETION_INDEX": "3"}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			vars[e.Name] = e.Value
		}
	}
	kube := regexp.MustCompile(`\$\((\w+)\)`)
	if len(c.Command) == 0 {
		args := slices.Clone(c.Args)
		for i, a := range args {
			args[i] = kube.ReplaceAllStringFunc(a, func(m string) string {
				v, ok := vars[m[2:len(m)-1]]
				assert.True(t, ok, "%s: no such variable in the container", m)
				return v
			})
		}
		return [][]string{args}
	}
	require.Equal(t, []string{"/bin/sh", "-ec"}, c.Command, "a script stops at its first failing command")
	var out [][]string
	for _, line := range strings.Split(strings.Join(c.Args, "\n"), "\n") {
		line = os.Expand(line, func(name string) string {
			if name == "out" { // set by the script itself
				return "/results/out"
			}
			v, ok := vars[name]
			assert.True(t, ok, "$%s: no such variable in the container", name)
			return v
		})
		if f := strings.Fields(strings.ReplaceAll(line, `"`, "")); len(f) > 0 && f[0] == "probe" {
			out = append(out, f[1:])
		}
	}
	return out
}

// checkProbeArgs parses one command line with probe's own commands and
// flags, and checks the suite has the environment and load test it names.
func checkProbeArgs(t *testing.T, s *suite.Suite, args []string) {
	t.Helper()
	root := newRoot(io.Discard, io.Discard, logSettings{})
	cmd, rest, err := root.Find(args)
	require.NoError(t, err, "%v", args)
	require.NotEqual(t, root, cmd, "%v: no such command", args)
	require.NoError(t, cmd.ParseFlags(rest), "%v", args)
	if cmd.Args != nil {
		require.NoError(t, cmd.Args(cmd, cmd.Flags().Args()), "%v", args)
	}
	if f := cmd.Flags().Lookup("env"); f != nil && f.Value.String() != "" && f.Value.String() != "[]" {
		env := strings.Trim(f.Value.String(), "[]")
		assert.Contains(t, s.EnvNames(), env, "%v", args)
	}
	if cmd.Name() == "load" {
		assert.NotNil(t, s.LoadTest(cmd.Flags().Arg(0)), "%v: no such load test", args)
		if f := cmd.Flags().Lookup("shard"); f.Value.String() != "" {
			_, _, err := results.ParseShard(f.Value.String())
			assert.NoError(t, err)
		}
	}
}

// namesRecorder is a Registerer that notes the name of every metric
// registered through it; histograms add their _bucket, _sum and _count.
type namesRecorder struct {
	prometheus.Registerer
	names map[string]bool
}

func (r namesRecorder) Register(c prometheus.Collector) error {
	ch := make(chan *prometheus.Desc, 16)
	go func() { c.Describe(ch); close(ch) }()
	for d := range ch {
		m := regexp.MustCompile(`fqName: "([^"]+)"`).FindStringSubmatch(d.String())
		if m == nil {
			return fmt.Errorf("no name in %s", d)
		}
		r.names[m[1]] = true
		if _, ok := c.(*prometheus.HistogramVec); ok {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				r.names[m[1]+suffix] = true
			}
		}
	}
	return r.Registerer.Register(c)
}

// registeredNames are the metric names the code registers (the daemon's and
// the load tests') and the recording rules probe generates.
func registeredNames(t *testing.T) map[string]bool {
	rec := namesRecorder{prometheus.NewRegistry(), map[string]bool{}}
	require.NoError(t, monitor.NewMetrics().Register(rec))
	require.NoError(t, loadtests.NewMetrics().Register(rec))
	require.True(t, rec.names["probe_success"] && rec.names["probe_load_request_duration_seconds_bucket"], "%v", rec.names)
	require.False(t, rec.names["probe_success_bucket"], "only histograms have buckets")
	rules, err := os.ReadFile("../../deploy/prometheus/rules.yml") // what monitor.Rules generates (TestRules)
	require.NoError(t, err)
	for _, m := range regexp.MustCompile(`(?m)^\s*- record: (\S+)$`).FindAllSubmatch(rules, -1) {
		rec.names[string(m[1])] = true
	}
	return rec.names
}

// dashboardQueries returns every PromQL query of a Grafana dashboard: the
// panels' targets (rows included) and the selectors of its label_values
// variables, with Grafana's own $__ intervals filled in.
func dashboardQueries(t *testing.T, path string) map[string]string {
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	type panel struct {
		Title   string `json:"title"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
		Panels []json.RawMessage `json:"panels"`
	}
	var dash struct {
		Panels     []json.RawMessage `json:"panels"`
		Templating struct {
			List []struct {
				Name  string `json:"name"`
				Type  string `json:"type"`
				Query any    `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	require.NoError(t, json.Unmarshal(data, &dash))
	interval := regexp.MustCompile(`\$__\w+`)
	out := map[string]string{}
	var walk func([]json.RawMessage)
	walk = func(raw []json.RawMessage) {
		for _, r := range raw {
			var p panel
			require.NoError(t, json.Unmarshal(r, &p))
			for i, tg := range p.Targets {
				out[fmt.Sprintf("panel %q, target %d", p.Title, i+1)] = interval.ReplaceAllString(tg.Expr, "5m")
			}
			walk(p.Panels)
		}
	}
	walk(dash.Panels)
	labelValues := regexp.MustCompile(`^label_values\((.+), *\w+\)$`)
	for _, v := range dash.Templating.List {
		if v.Type != "query" {
			continue
		}
		q, _ := v.Query.(map[string]any)["query"].(string)
		m := labelValues.FindStringSubmatch(q)
		require.NotNil(t, m, "variable %s: %q is not label_values(selector, label)", v.Name, q)
		out["variable "+v.Name] = m[1]
	}
	return out
}

// TestGrafanaDashboard: every query parses with Prometheus' own PromQL
// parser and names only metrics the code registers, and the dashboard
// covers what it is for.
func TestGrafanaDashboard(t *testing.T) {
	known := registeredNames(t)
	queries := dashboardQueries(t, "../../deploy/grafana/probe-dashboard.json")
	require.Greater(t, len(queries), 15)
	used := map[string]bool{}
	for where, q := range queries {
		expr, err := parser.ParseExpr(q)
		if !assert.NoError(t, err, "%s: %s", where, q) {
			continue
		}
		names := 0
		parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
			if vs, ok := n.(*parser.VectorSelector); ok {
				names++
				assert.True(t, known[vs.Name], "%s: %q is not a metric probe registers", where, vs.Name)
				used[vs.Name] = true
			}
			return nil
		})
		assert.NotZero(t, names, "%s: no metric", where)
	}
	for _, m := range []string{"probe_runs_total", "probe_sla_availability_ratio", "probe_slo_error_budget_remaining_ratio",
		"probe_step_duration_seconds_bucket", "probe_browser_web_vital_lcp_seconds", "probe_load_requested_rate",
		"probe_load_requests_total", "probe_load_request_duration_seconds_bucket"} {
		assert.True(t, used[m], "the dashboard shows %s", m)
	}
}

// TestCIExamples: every probe command line in the CI examples parses with
// probe's own flags against the example suite, and the gate publishes
// Markdown and JUnit.
func TestCIExamples(t *testing.T) {
	s, err := suite.Load("../../examples/shop", suite.WithLookupEnv(func(string) (string, bool) { return "", false }))
	require.NoError(t, err)
	for _, name := range []string{"github-actions.yml", "gitlab-ci.yml"} {
		t.Run(name, func(t *testing.T) {
			var gates int
			for _, f := range ciProbeCommands(t, name, "http://127.0.0.1:1", "http://127.0.0.1:2") {
				checkProbeArgs(t, s, f)
				if f[0] == "gate" {
					gates++
					assert.Regexp(t, `--report \S*md\S*`, strings.Join(f, " "))
					assert.Regexp(t, `--report \S*junit\S*`, strings.Join(f, " "))
				}
			}
			assert.Equal(t, 1, gates, "one gate")
		})
	}
}

// TestCIExampleGate runs the GitHub Actions example's gate as written
// against real demo shops: identical shops pass (exit 0), and a shop whose
// product route is 20% slower fails, naming the route. The identical shops'
// routes answer in well under a millisecond, far below the +2ms minimum
// effect, so a false failure needs a machine stall of more than that in
// most pairs; the slowed route's +20% is eight standard errors by the third
// look, so a miss is as unlikely.
func TestCIExampleGate(t *testing.T) {
	product := func(d time.Duration) demoapp.Faults {
		return demoapp.Faults{Routes: map[string]demoapp.RouteFaults{"api.product": {Latency: demoapp.Duration(d), Sigma: 0.3}}}
	}
	tests := []struct {
		name       string
		base, cand demoapp.Faults
		code       int
		failing    []string // the steps that read the slowed route; the first must be named
	}{
		{"identical shops pass", demoapp.Faults{}, demoapp.Faults{}, 0, nil},
		{"a route 20% slower fails and is named", product(20 * time.Millisecond), product(24 * time.Millisecond), 1, []string{"browse: product", "cart: product"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, base := demotest.Start(t, tt.base)
			_, cand := demotest.Start(t, tt.cand)
			var gate []string
			for _, f := range ciProbeCommands(t, "github-actions.yml", base, cand) {
				if f[0] == "gate" {
					gate = f
				}
			}
			require.NotNil(t, gate)
			out := t.TempDir()
			for i := range gate {
				gate[i] = strings.NewReplacer("examples/shop", "../../examples/shop", "gate-report", out).Replace(gate[i])
			}
			code, stdout, stderr := runProbe(t, gate...)
			require.Equal(t, tt.code, code, "%s\n%s", stdout, stderr)
			for _, line := range strings.Split(stdout, "\n") {
				if strings.Contains(line, " fail ") {
					assert.True(t, slices.ContainsFunc(tt.failing, func(f string) bool { return strings.HasPrefix(line, f+" ") }),
						"only the steps %q fail: %s", tt.failing, line)
				}
			}
			if len(tt.failing) > 0 {
				assert.Regexp(t, `(?m)^`+tt.failing[0]+` +latency \S+ .* fail `, stdout)
			}
			assert.FileExists(t, filepath.Join(out, "report.md"))
			assert.FileExists(t, filepath.Join(out, "report.xml"))
		})
	}
}

// ciProbeCommands returns the arguments of every ./probe command in a CI
// example, with the baseline and candidate URLs filled in.
func ciProbeCommands(t *testing.T, name, base, cand string) [][]string {
	data, err := os.ReadFile(filepath.Join("../../examples/ci", name))
	require.NoError(t, err)
	var doc any
	require.NoError(t, yaml.Unmarshal(data, &doc))
	var out [][]string
	for _, script := range stringsIn(doc) {
		script = strings.ReplaceAll(script, "\\\n", " ")
		for _, line := range strings.Split(script, "\n") {
			f := strings.Fields(strings.TrimSuffix(strings.TrimSpace(line), "&"))
			if len(f) == 0 || f[0] != "./probe" {
				continue
			}
			for i := range f {
				f[i] = strings.NewReplacer(`"$BASELINE_URL"`, base, `"$CANDIDATE_URL"`, cand).Replace(f[i])
			}
			out = append(out, f[1:])
		}
	}
	return out
}

// stringsIn returns every string value in a decoded YAML document.
func stringsIn(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, stringsIn(e)...)
		}
		return out
	case map[string]any:
		var out []string
		for _, e := range v {
			out = append(out, stringsIn(e)...)
		}
		return out
	}
	return nil
}
