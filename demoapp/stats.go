package demoapp

import (
	"maps"
	"slices"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// RouteStats is the ground truth of one route: what the shop itself saw, to
// check a probe's measurements against.
type RouteStats struct {
	Requests     int64         `json:"requests"`
	Status       map[int]int64 `json:"status"`
	Injected     int64         `json:"injected_errors"`
	InService    int64         `json:"in_service"`
	MaxInService int64         `json:"max_in_service"`
	Queued       int64         `json:"queued"`
	MaxQueued    int64         `json:"max_queued"`
}

// stats holds every route's counters, and mirrors them as Prometheus metrics.
type stats struct {
	mu     sync.Mutex
	routes map[string]*RouteStats

	requests  *prometheus.CounterVec
	inService *prometheus.GaugeVec
	queued    *prometheus.GaugeVec
}

func newStats() *stats {
	return &stats{
		routes: map[string]*RouteStats{},
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "demo_shop_requests_total", Help: "Requests answered by the demo shop, by route and status code.",
		}, []string{"route", "code"}),
		inService: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "demo_shop_in_service", Help: "Requests being served now, by route.",
		}, []string{"route"}),
		queued: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "demo_shop_queued", Help: "Requests waiting for a capacity slot, by route.",
		}, []string{"route"}),
	}
}

// Register adds the shop's metrics to reg.
func (s *stats) Register(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{s.requests, s.inService, s.queued} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

func (s *stats) route(name string) *RouteStats {
	r := s.routes[name]
	if r == nil {
		r = &RouteStats{Status: map[int]int64{}}
		s.routes[name] = r
	}
	return r
}

func (s *stats) done(route string, code int, injected bool) {
	s.mu.Lock()
	r := s.route(route)
	r.Requests++
	r.Status[code]++
	if injected {
		r.Injected++
	}
	s.mu.Unlock()
	s.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
}

func (s *stats) queue(route string, delta int64) {
	s.adjust(route, delta, s.queued, func(r *RouteStats) (*int64, *int64) { return &r.Queued, &r.MaxQueued })
}

func (s *stats) serve(route string, delta int64) {
	s.adjust(route, delta, s.inService, func(r *RouteStats) (*int64, *int64) { return &r.InService, &r.MaxInService })
}

// adjust moves a live count of route by delta, keeps its high-water mark and
// mirrors it in gauge.
func (s *stats) adjust(route string, delta int64, gauge *prometheus.GaugeVec, fields func(*RouteStats) (cur, peak *int64)) {
	s.mu.Lock()
	cur, peak := fields(s.route(route))
	*cur += delta
	*peak = max(*peak, *cur)
	s.mu.Unlock()
	gauge.WithLabelValues(route).Add(float64(delta))
}

// snapshot copies every route's counters.
func (s *stats) snapshot() map[string]RouteStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]RouteStats, len(s.routes))
	for name, r := range s.routes {
		c := *r
		c.Status = maps.Clone(r.Status)
		out[name] = c
	}
	return out
}

// reset zeroes the counters (not the metrics, which are cumulative by nature)
// but keeps the numbers of requests in service and queued, which are live.
func (s *stats) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, r := range s.routes {
		s.routes[name] = &RouteStats{Status: map[int]int64{}, InService: r.InService, Queued: r.Queued,
			MaxInService: r.InService, MaxQueued: r.Queued}
	}
}

func sortedRoutes[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
