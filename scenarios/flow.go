package scenarios

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/probe-dev/probe/results"
	"github.com/probe-dev/probe/suite"
)

// flow is one attempt of a browser scenario in progress.
type flow struct {
	runner  *Runner
	sc      *suite.Scenario
	target  Target
	events  *eventLog
	att     *results.Attempt
	dir     string // artifact folder of this attempt
	vitals  map[float64]*results.Navigation
	origins []float64 // navigations in the order seen
}

// vitalsJS watches the page's paints, largest contentful paint and layout
// shifts from the start of every document.
const vitalsJS = `(() => {
  if (window.__probeVitals) return;
  const v = window.__probeVitals = {fcp: 0, lcp: 0, cls: 0};
  const watch = (type, fn) => { try { new PerformanceObserver(l => l.getEntries().forEach(fn)).observe({type, buffered: true}); } catch (e) {} };
  watch('paint', e => { if (e.name === 'first-contentful-paint') v.fcp = e.startTime; });
  watch('largest-contentful-paint', e => { v.lcp = e.startTime; });
  watch('layout-shift', e => { if (!e.hadRecentInput) v.cls += e.value; });
})()`

// readVitalsJS reads them, with the time to first byte of the document.
const readVitalsJS = `(() => {
  const v = window.__probeVitals || {fcp: 0, lcp: 0, cls: 0};
  const n = performance.getEntriesByType('navigation')[0];
  // Observers report a little later than the timeline; read FCP from it too.
  const p = performance.getEntriesByName('first-contentful-paint')[0];
  return {url: location.href, origin: performance.timeOrigin, ttfb: n ? n.responseStart : 0,
    fcp: v.fcp || (p ? p.startTime : 0), lcp: v.lcp, cls: v.cls};
})()`

type pageVitals struct {
	URL    string  `json:"url"`
	Origin float64 `json:"origin"`
	TTFB   float64 `json:"ttfb"`
	FCP    float64 `json:"fcp"`
	LCP    float64 `json:"lcp"`
	CLS    float64 `json:"cls"`
}

// browserFlow runs one attempt of a browser scenario in a fresh browser
// context of the shared browser.
func (r *Runner) browserFlow(ctx context.Context, sc *suite.Scenario, t Target) results.Attempt {
	att := results.Attempt{Start: time.Now()}
	done := func(status results.Status, reason string) results.Attempt {
		att.Duration = time.Since(att.Start)
		att.Status, att.Reason = status, r.redact(reason)
		return att
	}
	if r.browser == nil {
		return done(results.InfraError, ErrNoBrowser.Error())
	}
	rctx, cancel, err := r.browser.newRun(ctx)
	if err != nil {
		return done(results.InfraError, err.Error())
	}
	defer cancel()

	f := &flow{runner: r, sc: sc, target: t, events: newEventLog(r.redact), att: &att, vitals: map[float64]*results.Navigation{}}
	f.dir = r.artifactDir(sc.Name, t.Env, att.Start)
	traceID, traceparent := newTraceparent()
	att.TraceID = traceID
	if err := f.setUp(rctx, traceparent); err != nil {
		status, reason := r.brokenBrowser(ctx, "set up the page", err)
		return done(status, reason)
	}

	status, reason := results.Pass, ""
	for _, st := range sc.Steps {
		status, reason = f.step(ctx, rctx, st)
		if status != results.Pass {
			break
		}
	}
	// When probe is stopping, the browser is fine and the run's end is no
	// failure to keep artifacts of (Run says interrupted).
	if status != results.Pass && status != results.InfraError && !errors.Is(ctx.Err(), context.Canceled) {
		if !r.browser.healthy() {
			r.browser.restart("a run failed and the browser did not answer")
			status, reason = results.InfraError, "browser crashed or hung: "+reason
		} else {
			f.saveFailure(rctx)
		}
	}
	att.Navigations = f.navigations()
	_, _, att.ConsoleErrors, att.FailedRequests = f.events.snapshot()
	return done(status, reason)
}

// setUp sends the traceparent and the target's headers with every request of
// the flow, starts recording the console and network, and installs the Web
// Vitals observers.
func (f *flow) setUp(ctx context.Context, traceparent string) error {
	if err := chromedp.Listen(ctx, f.events.handle); err != nil {
		return err
	}
	headers := network.Headers{"traceparent": traceparent}
	for k, v := range f.target.Headers {
		headers[k] = v
	}
	return chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: headers}); err != nil {
			return fmt.Errorf("set headers: %w", err)
		}
		if _, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: vitalsJS}); err != nil {
			return fmt.Errorf("install vitals observer: %w", err)
		}
		return nil
	}))
}

// step runs one step within its own time limit and records it.
func (f *flow) step(runCtx, tabCtx context.Context, st *suite.Step) (results.Status, string) {
	kind, _ := st.Action()
	do := stepKinds[kind]
	if do == nil { // Check refuses such a suite first; this is a guard
		reason := fmt.Sprintf("no runner for the browser step %q", kind)
		f.att.Steps = append(f.att.Steps, results.Step{Name: st.Name, Status: results.InfraError, Reason: reason})
		return results.InfraError, reason
	}
	sctx, cancel := context.WithTimeout(tabCtx, st.Timeout.Std())
	start := time.Now()
	err := do(sctx, f, st)
	took := time.Since(start)
	cancel()

	status, reason := results.Pass, ""
	var se *stepError
	switch {
	case err == nil:
	case errors.As(err, &se):
		status, reason = results.Fail, se.msg
	case runCtx.Err() != nil:
		status, reason = results.Timeout, fmt.Sprintf("scenario timed out after %s", f.sc.Timeout)
	case tabCtx.Err() != nil:
		status, reason = results.InfraError, fmt.Sprintf("browser went away: %v", err)
	case errors.Is(err, context.DeadlineExceeded):
		status, reason = results.Timeout, fmt.Sprintf("timed out after %s", st.Timeout)
	default:
		status, reason = results.Fail, firstLine(err.Error())
	}
	reason = f.runner.redact(reason)
	f.att.Steps = append(f.att.Steps, results.Step{Name: st.Name, Duration: took, Status: status, Reason: reason})
	if tabCtx.Err() == nil {
		f.readVitals(tabCtx)
	}
	if status == results.InfraError {
		f.runner.browser.restart(reason)
	}
	if reason != "" {
		reason = st.Name + ": " + reason
	}
	return status, reason
}

// readVitals updates the current document's Web Vitals.
func (f *flow) readVitals(ctx context.Context) {
	vctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	v, err := chromedp.Run(vctx, chromedp.Evaluate[pageVitals](readVitalsJS))
	if err != nil || v.Origin == 0 || strings.HasPrefix(v.URL, "about:") {
		return
	}
	n, ok := f.vitals[v.Origin]
	if !ok {
		n = &results.Navigation{}
		f.vitals[v.Origin] = n
		f.origins = append(f.origins, v.Origin)
	}
	ms := func(x float64) time.Duration { return time.Duration(x * float64(time.Millisecond)) }
	*n = results.Navigation{URL: f.runner.redact(v.URL), TTFB: ms(v.TTFB), FCP: ms(v.FCP), LCP: ms(v.LCP), CLS: v.CLS}
}

func (f *flow) navigations() []results.Navigation {
	out := make([]results.Navigation, 0, len(f.origins))
	for _, o := range f.origins {
		out = append(out, *f.vitals[o])
	}
	return out
}

// saveFailure keeps what shows why a flow failed: a full-page screenshot, the
// page's URL and HTML, and the last console and network lines.
func (f *flow) saveFailure(ctx context.Context) {
	actx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if png, err := chromedp.Run(actx, chromedp.FullScreenshot(100)); err == nil {
		f.logErr(f.saveArtifact(results.FailureScreenshot, png))
	}
	if url, err := chromedp.Run(actx, chromedp.Location()); err == nil {
		f.logErr(f.saveArtifact("url.txt", []byte(f.runner.redact(url)+"\n")))
	}
	if html, err := chromedp.Run(actx, chromedp.Evaluate[string]("document.documentElement.outerHTML")); err == nil {
		f.logErr(f.saveArtifact("page.html", []byte(f.runner.redact(html))))
	}
	console, net, _, _ := f.events.snapshot()
	f.logErr(f.saveArtifact("console.log", []byte(strings.Join(console, "\n")+"\n")))
	f.logErr(f.saveArtifact("network.log", []byte(strings.Join(net, "\n")+"\n")))
}

func (f *flow) logErr(err error) {
	if err != nil {
		f.runner.log.Warn("save artifact", "scenario", f.sc.Name, "err", err)
	}
}

// saveArtifact writes one file of the attempt and records its path. Without
// an artifact folder it keeps nothing.
func (f *flow) saveArtifact(name string, data []byte) error {
	if f.dir == "" {
		return nil
	}
	if err := os.MkdirAll(f.dir, 0o755); err != nil {
		return fmt.Errorf("artifact %s: %w", name, err)
	}
	path := filepath.Join(f.dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("artifact %s: %w", name, err)
	}
	f.att.Artifacts = append(f.att.Artifacts, path)
	return nil
}

// newTraceparent returns a W3C trace id and the traceparent header that
// carries it, sampled.
func newTraceparent() (traceID, header string) {
	var b [24]byte
	_, _ = crand.Read(b[:]) // crypto/rand.Read does not fail on Linux
	traceID, spanID := hex.EncodeToString(b[:16]), hex.EncodeToString(b[16:])
	return traceID, "00-" + traceID + "-" + spanID + "-01"
}
