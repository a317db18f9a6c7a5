package monitor

import (
	"github.com/probe-dev/probe/results"
	"github.com/prometheus/client_golang/prometheus"
)

// Windows of the SLA gauges.
var Windows = []struct {
	Name string
	Secs int64
}{{"1h", 3600}, {"24h", 86400}, {"7d", 7 * 86400}, {"30d", 30 * 86400}}

// Metrics are the monitor's Prometheus metrics. Names follow
// blackbox_exporter where it has one; labels come from the suite (scenario,
// env, step) and fixed sets (status, phase, window), so series stay bounded.
type Metrics struct {
	success    *prometheus.GaugeVec
	duration   *prometheus.GaugeVec
	httpPhase  *prometheus.GaugeVec
	httpStatus *prometheus.GaugeVec
	runs       *prometheus.CounterVec
	step       *prometheus.HistogramVec
	vitals     map[string]*prometheus.GaugeVec
	sla        *prometheus.GaugeVec
	budget     *prometheus.GaugeVec
	info       *prometheus.GaugeVec
}

// NewMetrics returns unregistered metrics.
func NewMetrics() *Metrics {
	se := []string{"scenario", "env"}
	g := func(name, help string, labels ...string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, append(append([]string{}, se...), labels...))
	}
	m := &Metrics{
		success:    g("probe_success", "Whether the last run of the scenario passed (1) or not (0)."),
		duration:   g("probe_duration_seconds", "How long the last run took, all attempts."),
		httpPhase:  g("probe_http_duration_seconds", "Phases of the last HTTP check's request.", "phase"),
		httpStatus: g("probe_http_status_code", "Status code of the last HTTP check's response."),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "probe_runs_total",
			Help: "Runs by status: pass, fail, timeout, infra_error (probe's own trouble, never held against the target)."},
			[]string{"scenario", "env", "status"}),
		step: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "probe_step_duration_seconds",
			Help: "Duration of each step of a run.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 14)},
			[]string{"scenario", "env", "step"}),
		vitals: map[string]*prometheus.GaugeVec{
			"lcp":  g("probe_browser_web_vital_lcp_seconds", "Largest contentful paint of the last page of the last run, in seconds."),
			"fcp":  g("probe_browser_web_vital_fcp_seconds", "First contentful paint of the last page of the last run, in seconds."),
			"ttfb": g("probe_browser_web_vital_ttfb_seconds", "Time to first byte of the last page of the last run, in seconds."),
			"cls":  g("probe_browser_web_vital_cls", "Cumulative layout shift of the last page of the last run."),
		},
		sla:    g("probe_sla_availability_ratio", "passed / (passed + failed + timeout) over the window, from the history.", "window"),
		budget: g("probe_slo_error_budget_remaining_ratio", "Share of the SLO's error budget left over its window (negative when overspent)."),
		info:   g("probe_check_info", "One series per check, for joins: its kind.", "kind"),
	}
	return m
}

// Register adds the metrics to reg.
func (m *Metrics) Register(reg prometheus.Registerer) error {
	cs := []prometheus.Collector{m.success, m.duration, m.httpPhase, m.httpStatus, m.runs, m.step, m.sla, m.budget, m.info}
	for _, v := range m.vitals {
		cs = append(cs, v)
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// observe records one finished run.
func (m *Metrics) observe(run results.Run) {
	sc, env := run.Scenario, run.Env
	ok := 0.0
	if run.Status == results.Pass {
		ok = 1
	}
	m.success.WithLabelValues(sc, env).Set(ok)
	m.duration.WithLabelValues(sc, env).Set(run.Duration.Seconds())
	m.runs.WithLabelValues(sc, env, string(run.Status)).Inc()
	last := run.Last()
	for _, st := range last.Steps {
		m.step.WithLabelValues(sc, env, st.Name).Observe(st.Duration.Seconds())
	}
	if h := last.HTTP; h != nil {
		for phase, d := range map[string]float64{"resolve": h.DNS.Seconds(), "connect": h.Connect.Seconds(), "tls": h.TLS.Seconds(),
			"processing": h.Processing.Seconds(), "transfer": h.Transfer.Seconds()} {
			m.httpPhase.WithLabelValues(sc, env, phase).Set(d)
		}
		m.httpStatus.WithLabelValues(sc, env).Set(float64(h.StatusCode))
	}
	if n := len(last.Navigations); n > 0 {
		nav := last.Navigations[n-1]
		m.vitals["lcp"].WithLabelValues(sc, env).Set(nav.LCP.Seconds())
		m.vitals["fcp"].WithLabelValues(sc, env).Set(nav.FCP.Seconds())
		m.vitals["ttfb"].WithLabelValues(sc, env).Set(nav.TTFB.Seconds())
		m.vitals["cls"].WithLabelValues(sc, env).Set(nav.CLS)
	}
}

// initCheck creates the series of a check before its first run, so that
// dashboards and joins see it at once and every status counter starts at 0.
func (m *Metrics) initCheck(scenario, env, kind string) {
	m.info.WithLabelValues(scenario, env, kind).Set(1)
	for _, st := range []results.Status{results.Pass, results.Fail, results.Timeout, results.InfraError} {
		m.runs.WithLabelValues(scenario, env, string(st))
	}
}
