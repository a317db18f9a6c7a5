package demoapp

import (
	"encoding/json"
	"fmt"
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
	Latency     Duration `json:"latency,omitempty"`      // added to every response
	Spread      Duration `json:"spread,omitempty"`       // plus a uniform random extra up to this
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
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("want a duration like \"50ms\", got %q", s)
	}
	*d = Duration(v)
	return nil
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
		if r.ErrorRate < 0 || r.ErrorRate > maxErrorRate {
			errs = append(errs, fmt.Sprintf("route %q: error_rate %g is not between 0 and 1", name, r.ErrorRate))
		}
		if r.Capacity < 0 {
			errs = append(errs, fmt.Sprintf("route %q: capacity %d is below 0", name, r.Capacity))
		}
		if r.Latency.Std()+r.Spread.Std() > maxInjectWait || r.ServiceTime.Std() > maxInjectWait {
			errs = append(errs, fmt.Sprintf("route %q: latency, spread and service_time are at most %s", name, maxInjectWait))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("faults: %s", strings.Join(errs, "; "))
	}
	return nil
}

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
		case "service_time":
			err = parseDur(v, &r.ServiceTime)
		case "capacity":
			r.Capacity, err = strconv.Atoi(v)
		case "error_rate":
			num, pct := strings.CutSuffix(v, "%")
			r.ErrorRate, err = strconv.ParseFloat(num, 64)
			if pct {
				r.ErrorRate /= 100
			}
		default:
			err = fmt.Errorf("unknown key; keys are latency, spread, error_rate, capacity, service_time")
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

func parseDur(s string, d *Duration) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}
