package monitor

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/probe-dev/probe/results"
	"github.com/probe-dev/probe/store"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Handler serves /metrics, the status page at /, and /healthz and /readyz.
func (m *Monitor) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		m.mu.Lock()
		ready, histErr, held := m.ready, m.histErr, len(m.pending)
		m.mu.Unlock()
		switch {
		case !ready:
			http.Error(w, "not probing yet", http.StatusServiceUnavailable)
			return
		case histErr != nil:
			http.Error(w, fmt.Sprintf("not ready: the history cannot be written (%v); %d runs held in memory", histErr, held), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.HandleFunc("GET /{$}", m.statusPage)
	if m.cfg.ArtifactDir != "" {
		mux.Handle("GET /artifacts/", http.StripPrefix("/artifacts/", http.FileServer(http.Dir(m.cfg.ArtifactDir))))
	}
	return mux
}

// bar is one slot of an uptime bar.
type bar struct {
	Title string
	Class string // up, down, none
}

type statusRow struct {
	Scenario, Env, Kind, Target string
	State                       string
	Reason                      string
	Last                        string
	Day, Month                  []bar
	DayRatio, MonthRatio        string
	Failures                    []failure
}

// failure is one recent failure on the status page.
type failure struct {
	store.Record
	Screenshot string // URL under /artifacts/, or ""
}

func (m *Monitor) statusPage(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	keys := make([]checkKey, 0, len(m.state))
	states := map[checkKey]checkState{}
	for k, v := range m.state {
		keys = append(keys, k)
		states[k] = v
	}
	m.mu.Unlock()
	slices.SortFunc(keys, func(a, b checkKey) int { return strings.Compare(a.env+"\x00"+a.scenario, b.env+"\x00"+b.scenario) })
	now := time.Now()
	var rows []statusRow
	for _, k := range keys {
		st := states[k]
		row := statusRow{Scenario: k.scenario, Env: k.env, Kind: st.kind, Target: st.target, State: "pending"}
		if st.ran {
			row.State, row.Reason = string(st.last.Status), st.last.Reason
			row.Last = st.last.Start.Format(time.RFC3339)
		}
		row.Day, row.DayRatio = m.bars(r.Context(), k, now, 24, time.Hour)
		row.Month, row.MonthRatio = m.bars(r.Context(), k, now, 30, 24*time.Hour)
		fails, err := m.history.Runs(r.Context(), store.Query{Scenario: k.scenario, Env: k.env, Since: now.Add(-30 * 24 * time.Hour), Limit: 200})
		if err == nil {
			for _, f := range fails {
				if f.Status == results.Fail || f.Status == results.Timeout {
					row.Failures = append(row.Failures, failure{Record: f, Screenshot: m.artifactURL(f.Artifacts)})
					if len(row.Failures) == 5 {
						break
					}
				}
			}
		}
		rows = append(rows, row)
	}
	var buf bytes.Buffer
	if err := statusTmpl.Execute(&buf, struct {
		Name string
		Now  string
		Rows []statusRow
	}{m.current().Name, now.UTC().Format(time.RFC3339), rows}); err != nil {
		http.Error(w, "status page failed", http.StatusInternalServerError)
		m.log.Error("status page", "err", err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = buf.WriteTo(w) // the client may have gone
}

// bars returns n slots of length each, oldest first, and the availability
// over all of them.
func (m *Monitor) bars(ctx context.Context, k checkKey, now time.Time, n int, each time.Duration) ([]bar, string) {
	var out []bar
	var all store.Counts
	end := now.Truncate(each).Add(each)
	for i := n - 1; i >= 0; i-- {
		from, to := end.Add(-time.Duration(i+1)*each), end.Add(-time.Duration(i)*each)
		c, err := m.history.Count(ctx, store.Query{Scenario: k.scenario, Env: k.env, Since: from, Until: to})
		if err != nil {
			return nil, "?"
		}
		all.Pass, all.Fail, all.Timeout = all.Pass+c.Pass, all.Fail+c.Fail, all.Timeout+c.Timeout
		b := bar{Class: "none", Title: from.Format("Jan 2 15:04") + ": no runs"}
		if n := c.Pass + c.Fail + c.Timeout; n > 0 {
			b.Class = "up"
			if c.Pass < n {
				b.Class = "down"
			}
			b.Title = fmt.Sprintf("%s: %.2f%% of %d runs", from.Format("Jan 2 15:04"), 100*c.Availability(), n)
		}
		out = append(out, b)
	}
	return out, fmt.Sprintf("%.2f%%", 100*all.Availability())
}

var statusTmpl = template.Must(template.New("status").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="30">
<title>{{if .Name}}{{.Name}} {{end}}status</title>
<style>
body{font:14px/1.4 system-ui,"Liberation Sans",sans-serif;margin:0;background:#f6f7f9;color:#1b1f24}
header{background:#1b2a3a;color:#fff;padding:14px 24px}h1{margin:0;font-size:19px}
main{padding:12px 24px;max-width:1100px}
.check{background:#fff;border:1px solid #dde1e6;border-radius:6px;padding:10px 14px;margin:10px 0}
.state{font-weight:600}.s-pass{color:#2e7d32}.s-fail,.s-timeout{color:#c62828}.s-infra_error{color:#b26a00}.s-pending{color:#666}
.bars{display:flex;gap:2px;margin:4px 0}.bars span{flex:1;height:22px;border-radius:2px}
.up{background:#43a047}.down{background:#e53935}.none{background:#d5d9de}
.muted{color:#666;font-size:12px}
</style></head>
<body><header><h1>{{if .Name}}{{.Name}}: {{end}}status</h1><div class="muted" style="color:#c8d0da">{{.Now}}</div></header>
<main>
{{range .Rows}}<div class="check">
<div><strong>{{.Scenario}}</strong> on <strong>{{.Env}}</strong> <span class="muted">({{.Kind}}, {{.Target}})</span> — <span class="state s-{{.State}}">{{.State}}</span>{{if .Reason}}: {{.Reason}}{{end}}</div>
<div class="muted">last 24 hours: {{.DayRatio}}</div>
<div class="bars">{{range .Day}}<span class="{{.Class}}" title="{{.Title}}"></span>{{end}}</div>
<div class="muted">last 30 days: {{.MonthRatio}}</div>
<div class="bars">{{range .Month}}<span class="{{.Class}}" title="{{.Title}}"></span>{{end}}</div>
{{if .Failures}}<div class="muted">last failures:</div><ul>{{range .Failures}}<li>{{.Start.Format "2006-01-02 15:04:05"}} {{if .FailingStep}}at <code>{{.FailingStep}}</code>{{end}}: {{.Reason}}{{if .Screenshot}} <a href="{{.Screenshot}}">screenshot</a>{{end}}</li>{{end}}</ul>{{end}}
</div>{{else}}<p>No checks yet.</p>{{end}}
</main></body></html>
`))

// artifactURL is the status page's link to a run's failure screenshot, when
// it lies inside the artifact folder.
func (m *Monitor) artifactURL(paths []string) string {
	if m.cfg.ArtifactDir == "" {
		return ""
	}
	p := results.Screenshot(paths)
	if p == "" {
		return ""
	}
	rel, err := filepath.Rel(m.cfg.ArtifactDir, p)
	if err != nil || strings.HasPrefix(rel, "..") {
		return ""
	}
	return "/artifacts/" + filepath.ToSlash(rel)
}
