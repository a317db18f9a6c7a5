package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/probe-dev/probe/demoapp"
)

// route is one of the evaluation's eight routes: its share of the traffic
// and its latency in the baseline.
type route struct {
	name, target, path string
	weight             int
	faults             demoapp.RouteFaults
}

func ms(n float64) demoapp.Duration {
	return demoapp.Duration(time.Duration(n * float64(time.Millisecond)))
}

// routes carry a 9:1 traffic spread (27% to 3%). Latencies look like a real
// service's: lognormal with σ 0.6 around a 20ms median (p95 ≈ 54ms), a
// cache hit/miss mixture, and faster and slower pages.
var routes = []route{
	{"api.products", "products", "/api/products", 27, demoapp.RouteFaults{Latency: ms(20), Sigma: 0.6}},
	{"home", "home", "/", 18, demoapp.RouteFaults{Latency: ms(20), Sigma: 0.6}},
	{"api.product", "product", "/api/products/{{randInt 1 20}}", 14, demoapp.RouteFaults{Latency: ms(4), MissLatency: ms(60), HitRate: 0.95, Sigma: 0.4}},
	{"products", "products-page", "/products", 12, demoapp.RouteFaults{Latency: ms(30), Sigma: 0.5}},
	{"product", "product-page", "/products/{{randInt 1 20}}", 10, demoapp.RouteFaults{Latency: ms(25), Sigma: 0.7}},
	{"api.cart", "cart", "/api/cart", 8, demoapp.RouteFaults{Latency: ms(15), Sigma: 0.6}},
	{"cart", "cart-page", "/cart", 8, demoapp.RouteFaults{Latency: ms(18), Sigma: 0.6}},
	{"api.health", "health", "/api/health", 3, demoapp.RouteFaults{Latency: ms(10), Sigma: 0.6}},
}

// rate is the evaluation's offered load, requests per second.
const rate = 300

// evalCase is one scenario of the evaluation: what the builds do, and the
// verdict and route wanted.
type evalCase struct {
	name    string
	errors  float64                               // background error rate of every route, both builds
	cand    map[string]func(*demoapp.RouteFaults) // the candidate's change, by route
	named   string                                // the target a failure must name; "" for A/A
	truth   map[string]float64                    // true latency ratio of the named target's shift, p95 and p99 (A/A: 1)
	hog     bool                                  // a CPU hog shares the machine
	want    string                                // pass or fail
	goal    float64                               // share of gates that must end with want
	maxFail float64                               // for A/A: the most that may fail
	inexact bool                                  // the true ratios are not known in closed form
}

func scale(f float64) func(*demoapp.RouteFaults) {
	return func(r *demoapp.RouteFaults) {
		r.Latency = demoapp.Duration(float64(r.Latency) * f)
		r.MissLatency = demoapp.Duration(float64(r.MissLatency) * f)
	}
}

var cases = []evalCase{
	{name: "A/A: identical builds", want: "pass", goal: 0.97, maxFail: 0.01},
	{name: "A/A, 0.1% errors on both", errors: 0.001, want: "pass", goal: 0.97, maxFail: 0.01},
	{name: "A/A, 3% errors on both", errors: 0.03, want: "pass", goal: 0.97, maxFail: 0.01}, // throughput counted them and failed
	{name: "A/A, a CPU hog on the machine", hog: true, want: "pass", goal: 0.97, maxFail: 0.01},
	{name: "+10% on home (18% of traffic)", cand: map[string]func(*demoapp.RouteFaults){"home": scale(1.10)}, named: "home", truth: map[string]float64{"*": 1.10}, want: "fail", goal: 0.90},
	{name: "+5% on the busiest (27%)", cand: map[string]func(*demoapp.RouteFaults){"api.products": scale(1.05)}, named: "products", truth: map[string]float64{"*": 1.05}, want: "fail", goal: 0.80},
	{name: "+30% on the rarest (3%)", cand: map[string]func(*demoapp.RouteFaults){"api.health": scale(1.30)}, named: "health", truth: map[string]float64{"*": 1.30}, want: "fail", goal: 0.80},
	{name: "tail only: slowest 5% of the busiest ×1.5", cand: map[string]func(*demoapp.RouteFaults){"api.products": func(r *demoapp.RouteFaults) { r.Tail = 1.5 }}, named: "products", want: "fail", goal: 0.80, inexact: true},
	{name: "errors 0.1% → 0.6% on home", errors: 0.001, cand: map[string]func(*demoapp.RouteFaults){"home": func(r *demoapp.RouteFaults) { r.ErrorRate = 0.006 }}, named: "home", want: "fail", goal: 0.90},
	{name: "cache hit rate 95% → 85% on api.product", cand: map[string]func(*demoapp.RouteFaults){"api.product": func(r *demoapp.RouteFaults) { r.HitRate = 0.85 }}, named: "product", want: "fail", goal: 0.80, inexact: true},
}

// faultsOf is every route's faults for one build of c.
func faultsOf(c evalCase, candidate bool) map[string]demoapp.RouteFaults {
	out := map[string]demoapp.RouteFaults{}
	for _, r := range routes {
		f := r.faults
		f.ErrorRate = c.errors
		if fn := c.cand[r.name]; candidate && fn != nil {
			fn(&f)
		}
		out[r.name] = f
	}
	return out
}

// faultFlags writes faults as demo-target --fault flags.
func faultFlags(fs map[string]demoapp.RouteFaults) []string {
	var names []string
	for n := range fs {
		names = append(names, n)
	}
	slices.Sort(names)
	var out []string
	for _, n := range names {
		f := fs[n]
		kv := []string{"latency=" + f.Latency.Std().String(), fmt.Sprintf("sigma=%g", f.Sigma)}
		if f.HitRate > 0 {
			kv = append(kv, fmt.Sprintf("hit_rate=%g", f.HitRate), "miss_latency="+f.MissLatency.Std().String())
		}
		if f.Tail > 0 {
			kv = append(kv, fmt.Sprintf("tail=%g", f.Tail))
		}
		if f.ErrorRate > 0 {
			kv = append(kv, fmt.Sprintf("error_rate=%g", f.ErrorRate))
		}
		out = append(out, "--fault", n+":"+strings.Join(kv, ","))
	}
	return out
}

// suiteYAML is the load test both the live gates and the demo shops use.
func suiteYAML() string {
	var b strings.Builder
	b.WriteString("environments:\n  eval: {base_url: \"http://127.0.0.1:1\"}\nloadtests:\n  - name: eight\n    targets:\n")
	for _, r := range routes {
		fmt.Fprintf(&b, "      - {name: %s, path: %q, weight: %d}\n", r.target, r.path, r.weight)
	}
	fmt.Fprintf(&b, "    profile: [{constant: {rate: %d/s, duration: 1s}}]\n    limits: {max_duration: 1m, max_requests: 100000}\n", rate)
	return b.String()
}
