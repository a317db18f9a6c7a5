package demoapp

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Outage modes.
const (
	OutageNone    = ""
	OutageRefuse  = "refuse" // the listener is closed: connections are refused
	Outage503     = "503"    // every shop route answers 503
	AllRoutes     = "*"      // route key whose faults apply to routes without their own
	maxErrorRate  = 1.0
	maxInjectWait = 10 * time.Minute
)

// Faults is what the shop is told to do wrong. The zero value is a healthy shop.
type Faults struct {
	Outage    string                 `json:"outage,omitempty"`
	OutageFor Duration               `json:"outage_for,omitempty"` // lift the outage by itself after this
	Stall     Duration               `json:"stall,omitempty"`      // every response pauses this long first
	Routes    map[string]RouteFaults `json:"routes,omitempty"`     // by route name, or "*"
}

// RouteFaults are the faults of one route.
type RouteFaults struct {
	Latency Duration `json:"latency,omitempty"` // added to every response
	Spread  Duration `json:"spread,omitempty"`  // plus a uniform random extra up to this
	// Sigma makes Latency the median of a lognormal with this log-sd
	// instead of a fixed delay: real services' latency has such a spread.
	Sigma float64 `json:"sigma,omitempty"`
	// HitRate, when set, is the share of requests served from a cache in
	// Latency; the rest miss and take MissLatency (with the same Sigma).
	HitRate     float64  `json:"hit_rate,omitempty"`
	MissLatency Duration `json:"miss_latency,omitempty"`
	// Tail multiplies the delay of the slowest 5% of draws (those above the
	// distribution's own p95): p99 grows while p95 stays.
	Tail        float64  `json:"tail,omitempty"`
	ErrorRate   float64  `json:"error_rate,omitempty"`   // share of requests answered 500, 0..1
	Capacity    int      `json:"capacity,omitempty"`     // at most this many requests in service; the rest queue
	ServiceTime Duration `json:"service_time,omitempty"` // each request holds its slot this long
}

// Duration is a time.Duration written as text in JSON, like "50ms".
type Duration time.Duration

// MarshalJSON writes the duration as text.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads text like "50ms".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration like \"50ms\", got %s", b)
	}
	return parseDur(s, d)
}

// Std returns the time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// Validate reports every mistake in f.
func (f Faults) Validate() error {
	var errs []string
	switch f.Outage {
	case OutageNone, OutageRefuse, Outage503:
	default:
		errs = append(errs, fmt.Sprintf("outage %q: want %q, %q or empty", f.Outage, OutageRefuse, Outage503))
	}
	if f.Stall.Std() > maxInjectWait || f.OutageFor.Std() > maxInjectWait {
		errs = append(errs, fmt.Sprintf("stall and outage_for are at most %s", maxInjectWait))
	}
	for _, name := range sortedRoutes(f.Routes) {
		r := f.Routes[name]
		if name != AllRoutes && !knownRoute(name) {
			errs = append(errs, fmt.Sprintf("route %q: unknown; routes are %s", name, strings.Join(RouteNames(), ", ")))
		}
		// Written as "not inside" so that NaN (which --fault parses) is out.
		if !within(r.ErrorRate, 0, maxErrorRate) {
			errs = append(errs, fmt.Sprintf("route %q: error_rate %g is not between 0 and 1", name, r.ErrorRate))
		}
		if !within(r.Sigma, 0, 3) || !within(r.HitRate, 0, 1) || !within(r.Tail, 0, 100) {
			errs = append(errs, fmt.Sprintf("route %q: sigma is 0..3, hit_rate 0..1, tail 0..100", name))
		}
		if r.Capacity < 0 {
			errs = append(errs, fmt.Sprintf("route %q: capacity %d is below 0", name, r.Capacity))
		}
		if r.Latency.Std()+r.Spread.Std() > maxInjectWait || r.MissLatency.Std() > maxInjectWait || r.ServiceTime.Std() > maxInjectWait {
			errs = append(errs, fmt.Sprintf("route %q: latency, spread and service_time are at most %s", name, maxInjectWait))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("faults: %s", strings.Join(errs, "; "))
	}
	return nil
}

// within reports whether lo ≤ x ≤ hi; NaN is not.
func within(x, lo, hi float64) bool { return x >= lo && x <= hi }

// forRoute returns the faults that apply to route.
func (f Faults) forRoute(route string) RouteFaults {
	if r, ok := f.Routes[route]; ok {
		return r
	}
	return f.Routes[AllRoutes]
}

// ParseRouteFault reads one --fault flag: ROUTE:key=value,… with keys
// latency, spread, error_rate (like 5%), capacity and service_time, e.g.
// "api.products:latency=50ms,spread=10ms,error_rate=5%".
func ParseRouteFault(s string) (string, RouteFaults, error) {
	var r RouteFaults
	route, spec, ok := strings.Cut(s, ":")
	if !ok || route == "" || spec == "" {
		return "", r, fmt.Errorf("fault %q: want ROUTE:key=value,… like api.products:latency=50ms,error_rate=5%%", s)
	}
	for _, kv := range strings.Split(spec, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return "", r, fmt.Errorf("fault %q: %q is not key=value", s, kv)
		}
		var err error
		switch k {
		case "latency":
			err = parseDur(v, &r.Latency)
		case "spread":
			err = parseDur(v, &r.Spread)
		case "miss_latency":
			err = parseDur(v, &r.MissLatency)
		case "sigma":
			r.Sigma, err = strconv.ParseFloat(v, 64)
		case "tail":
			r.Tail, err = strconv.ParseFloat(v, 64)
		case "hit_rate":
			r.HitRate, err = parseShare(v)
		case "service_time":
			err = parseDur(v, &r.ServiceTime)
		case "capacity":
			r.Capacity, err = strconv.Atoi(v)
		case "error_rate":
			r.ErrorRate, err = parseShare(v)
		default:
			err = fmt.Errorf("unknown key; keys are latency, spread, sigma, hit_rate, miss_latency, tail, error_rate, capacity, service_time")
		}
		if err != nil {
			return "", r, fmt.Errorf("fault %q: %s: %w", s, k, err)
		}
	}
	f := Faults{Routes: map[string]RouteFaults{route: r}}
	if err := f.Validate(); err != nil {
		return "", r, err
	}
	return route, r, nil
}

// parseShare reads 5% or 0.05.
func parseShare(v string) (float64, error) {
	num, pct := strings.CutSuffix(v, "%")
	f, err := strconv.ParseFloat(num, 64)
	if pct {
		f /= 100
	}
	return f, err
}

// p95z is the standard normal's 95th percentile: draws above it are the
// slowest 5%.
const p95z = 1.6448536269514722

// Delay draws one response's injected delay from r's distribution.
func (r RouteFaults) Delay(rng *rand.Rand) time.Duration {
	median := r.Latency.Std()
	if r.HitRate > 0 && rng.Float64() >= r.HitRate {
		median = r.MissLatency.Std()
	}
	d := float64(median)
	if r.Sigma > 0 {
		z := rng.NormFloat64()
		d *= math.Exp(r.Sigma * z)
		if r.Tail > 0 && z > p95z {
			d *= r.Tail
		}
	}
	if r.Spread > 0 {
		d += float64(rng.Int64N(int64(r.Spread)))
	}
	return time.Duration(min(d, float64(maxInjectWait)))
}

// parseDur reads a delay, for the admin API and --fault alike: a negative
// one would be taken as none, a fault that silently does nothing.
func parseDur(s string, d *Duration) error {
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("want a duration like \"50ms\", got %q", s)
	}
	*d = Duration(v)
	return nil
}
