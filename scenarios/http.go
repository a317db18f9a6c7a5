package scenarios

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptrace"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/probe-dev/probe/results"
	"github.com/probe-dev/probe/suite"
)

// maxBody bounds what an HTTP check reads of a response.
const maxBody = 10 << 20

// httpCheck runs one attempt of an http scenario: its one request, or its
// steps in order. A step that fails ends the flow, except that steps marked
// always still run (cleanup). Each attempt has its own connections (so DNS,
// connect and TLS are measured every time, as blackbox_exporter does), its
// own cookie jar and its own captures: nothing carries to the next attempt.
func (r *Runner) httpCheck(ctx context.Context, sc *suite.Scenario, t Target) results.Attempt {
	att := results.Attempt{Start: time.Now()}
	traceID, traceparent := newTraceparent()
	att.TraceID = traceID
	hr := newHTTPRun(r, sc, t, traceparent)
	defer hr.transport.CloseIdleConnections()

	var failed []int // indexes into att.Steps of the steps that did not pass
	for _, st := range suite.HTTPSteps(sc) {
		if len(failed) > 0 && !st.Always {
			continue
		}
		step, ran := hr.step(ctx, st)
		if !ran {
			continue
		}
		att.Steps = append(att.Steps, step)
		if step.Status != results.Pass {
			failed = append(failed, len(att.Steps)-1)
		}
	}
	att.Duration = time.Since(att.Start)
	att.Status = results.Pass
	if n := len(att.Steps); n > 0 {
		att.HTTP = att.Steps[n-1].HTTP
	}
	if len(failed) > 0 {
		first := att.Steps[failed[0]]
		att.Status, att.HTTP = first.Status, first.HTTP
		att.Reason = first.Reason
		if sc.Request == nil {
			att.Reason = first.Name + ": " + first.Reason
		}
		// A failing cleanup is told after the failure that came first.
		for _, i := range failed[1:] {
			att.Reason += fmt.Sprintf("; then %s failed too: %s", att.Steps[i].Name, att.Steps[i].Reason)
		}
	}
	att.Reason = hr.redact(att.Reason)
	for i := range att.Steps {
		att.Steps[i].Name = hr.redact(att.Steps[i].Name)
		att.Steps[i].Reason = hr.redact(att.Steps[i].Reason)
	}
	return att
}

// httpRun is one attempt of an http scenario in progress.
type httpRun struct {
	runner      *Runner
	sc          *suite.Scenario
	target      Target
	traceparent string
	transport   *http.Transport
	jar         http.CookieJar // nil with cookies: false
	env         suite.TemplateEnv
	secrets     *suite.Redactor // the values of secret captures; nil until one is taken
}

func newHTTPRun(r *Runner, sc *suite.Scenario, t Target, traceparent string) *httpRun {
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if t.TLS != nil {
		tlsConf = t.TLS.Clone()
	}
	hr := &httpRun{runner: r, sc: sc, target: t, traceparent: traceparent,
		transport: &http.Transport{
			Proxy:             nil, // checks go straight to the target
			DisableKeepAlives: true,
			DialContext:       (&net.Dialer{}).DialContext,
			TLSClientConfig:   tlsConf,
		},
		env: suite.TemplateEnv{Rand: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())), Vars: t.Vars, Seq: &r.seq, Captures: map[string]string{}},
	}
	if sc.Cookies == nil || *sc.Cookies {
		hr.jar, _ = cookiejar.New(nil) // New never fails without options
	}
	return hr
}

// redact hides the suite's secrets and the values of secret captures.
func (hr *httpRun) redact(s string) string {
	return hr.secrets.Redact(hr.runner.redact(s))
}

// step sends one request and checks and captures from its response. ran is
// false for a cleanup step whose captured values no step took: there is
// nothing for it to clean up.
func (hr *httpRun) step(ctx context.Context, st *suite.Step) (step results.Step, ran bool) {
	step.Name = st.Name
	start := time.Now()
	end := func(status results.Status, reason string) (results.Step, bool) {
		step.Duration, step.Status, step.Reason = time.Since(start), status, reason
		return step, true
	}
	hreq, err := hr.request(ctx, st.Request)
	var ex *suite.Expect
	if err == nil {
		ex, err = hr.expect(st.Expect)
	}
	switch {
	case errors.Is(err, suite.ErrNoCapture) && st.Always:
		hr.runner.log.Debug("cleanup step skipped", "scenario", hr.sc.Name, "step", st.Name, "why", hr.redact(err.Error()))
		return step, false
	case err != nil:
		return end(results.InfraError, err.Error())
	}
	if st.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, st.Timeout.Std())
		defer cancel()
	}
	timing := &results.HTTPTiming{}
	step.HTTP = timing
	var phase phases
	hreq = hreq.WithContext(httptrace.WithClientTrace(ctx, phase.trace()))
	follow := st.Request.FollowRedirects == nil || *st.Request.FollowRedirects
	client := &http.Client{Transport: hr.transport, Jar: hr.jar, CheckRedirect: func(r *http.Request, via []*http.Request) error {
		if !follow {
			return http.ErrUseLastResponse
		}
		timing.Redirects = len(via)
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}}

	res, err := client.Do(hreq)
	if err != nil {
		status, reason := classify(ctx, err)
		phase.fill(timing)
		return end(status, reason)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, maxBody+1))
	cut := len(data) > maxBody
	if cut {
		data = data[:maxBody]
	}
	phase.bodyRead = time.Now()
	took := time.Since(start)
	if err != nil {
		status, reason := classify(ctx, err)
		phase.fill(timing)
		return end(status, "read body: "+reason)
	}
	timing.StatusCode, timing.BodyBytes = res.StatusCode, int64(len(data))
	if res.TLS != nil && len(res.TLS.PeerCertificates) > 0 {
		days := int(time.Until(res.TLS.PeerCertificates[0].NotAfter).Hours() / 24)
		timing.TLSDaysLeft = &days
	}
	phase.fill(timing)
	got := suite.Response{Code: res.StatusCode, Header: res.Header, Body: data, Took: took, DaysLeft: timing.TLSDaysLeft,
		Cookies: res.Cookies(), URL: res.Request.URL}
	if cut {
		got.Read = maxBody
	}
	reasons := ex.Check(got)
	// Captures are taken even from a response that broke an expectation, so
	// that cleanup can still remove what the step created; what they miss is
	// told only when nothing else went wrong.
	missed := hr.capture(st.Capture, got)
	if len(reasons) == 0 {
		reasons = missed
	}
	if len(reasons) > 0 {
		return end(results.Fail, strings.Join(reasons, "; "))
	}
	return end(results.Pass, "")
}

// render runs one templated text of a step with the values captured so far.
func (hr *httpRun) render(what, text string) (string, error) {
	if !strings.Contains(text, "{{") {
		return text, nil
	}
	tpl, err := suite.ParseTemplate(what, text)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	var b strings.Builder
	if err := tpl.Funcs(suite.Funcs(hr.env)).Execute(&b, nil); err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	return b.String(), nil
}

// expect renders the texts of a step's expectations that may name captured
// values: header values, body_contains, body_lacks and json equals.
func (hr *httpRun) expect(ex *suite.Expect) (*suite.Expect, error) {
	if ex == nil {
		return nil, nil
	}
	out := *ex
	var err error
	each := func(what string, texts []string) []string {
		rendered := make([]string, len(texts))
		for i, t := range texts {
			if err == nil {
				rendered[i], err = hr.render(what, t)
			}
		}
		return rendered
	}
	out.BodyContains = each("expect.body_contains", ex.BodyContains)
	out.BodyLacks = each("expect.body_lacks", ex.BodyLacks)
	out.Headers = suite.StringMap{}
	for k, v := range ex.Headers {
		out.Headers[k] = each("expect.headers."+k, []string{v})[0]
	}
	out.JSON = nil
	for _, j := range ex.JSON {
		c := *j
		c.Equals = each("expect.json "+j.Path, []string{j.Equals})[0]
		out.JSON = append(out.JSON, &c)
	}
	return &out, err
}

// request renders a step's request: its url, query, headers and body, with
// the values captured so far.
func (hr *httpRun) request(ctx context.Context, req *suite.Request) (*http.Request, error) {
	path, err := hr.render("url", req.URL)
	if err != nil {
		return nil, err
	}
	target := resolve(hr.target.BaseURL, path)
	if len(req.Query) > 0 {
		u, err := url.Parse(target)
		if err != nil {
			return nil, fmt.Errorf("build request: %w", err)
		}
		q := u.Query()
		for _, k := range sortedKeys(req.Query) {
			v, err := hr.render("query "+k, req.Query[k])
			if err != nil {
				return nil, err
			}
			q.Add(k, v)
		}
		u.RawQuery = q.Encode()
		target = u.String()
	}
	text := req.Body
	if req.BodyFile != "" {
		data, err := suite.ReadBodyFile(hr.sc.Dir, req.BodyFile)
		if err != nil {
			return nil, fmt.Errorf("body_file: %w", err)
		}
		text = string(data)
	}
	bodyText, err := hr.render("body", text)
	if err != nil {
		return nil, err
	}
	var body io.Reader
	if bodyText != "" {
		body = strings.NewReader(bodyText)
	}
	hreq, err := http.NewRequestWithContext(ctx, cmp.Or(req.Method, http.MethodGet), target, body)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	for k, v := range hr.target.Headers {
		hreq.Header.Set(k, v)
	}
	hreq.Header.Set("traceparent", hr.traceparent)
	for _, k := range sortedKeys(req.Headers) {
		v, err := hr.render("header "+k, req.Headers[k])
		if err != nil {
			return nil, err
		}
		hreq.Header.Set(k, v)
	}
	return hreq, nil
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }

// resolve joins a path to the base URL, keeping the base's own path prefix.
func resolve(base, path string) string {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		return path
	}
	return strings.TrimSuffix(base, "/") + path
}

// classify tells the target's failures from ours and from time running out.
func classify(ctx context.Context, err error) (results.Status, string) {
	var dnsErr *net.DNSError
	switch {
	case ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded):
		return results.Timeout, "timed out"
	case errors.As(err, &dnsErr) && !dnsErr.IsNotFound:
		// The resolver itself failed: the probe host's problem.
		return results.InfraError, fmt.Sprintf("DNS lookup of %s failed on the probe host: %v", dnsErr.Name, dnsErr.Err)
	case errors.As(err, &dnsErr):
		return results.Fail, fmt.Sprintf("DNS: no such host %s", dnsErr.Name)
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return results.Fail, fmt.Sprintf("%s: %v", opErr.Op, opErr.Err)
	}
	return results.Fail, err.Error()
}

// phases records the moments httptrace reports.
type phases struct {
	dnsStart, dnsDone, connStart, connDone, tlsStart, tlsDone, wrote, firstByte, bodyRead time.Time
}

func (p *phases) trace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		DNSStart:             func(httptrace.DNSStartInfo) { p.dnsStart = time.Now() },
		DNSDone:              func(httptrace.DNSDoneInfo) { p.dnsDone = time.Now() },
		ConnectStart:         func(string, string) { p.connStart = time.Now() },
		ConnectDone:          func(string, string, error) { p.connDone = time.Now() },
		TLSHandshakeStart:    func() { p.tlsStart = time.Now() },
		TLSHandshakeDone:     func(tls.ConnectionState, error) { p.tlsDone = time.Now() },
		WroteRequest:         func(httptrace.WroteRequestInfo) { p.wrote = time.Now() },
		GotFirstResponseByte: func() { p.firstByte = time.Now() },
	}
}

// fill writes the phases' lengths into t. With redirects, the phases are those
// of the last request's connection where the trace saw them.
func (p *phases) fill(t *results.HTTPTiming) *results.HTTPTiming {
	span := func(a, b time.Time) time.Duration {
		if a.IsZero() || b.IsZero() || b.Before(a) {
			return 0
		}
		return b.Sub(a)
	}
	t.DNS = span(p.dnsStart, p.dnsDone)
	t.Connect = span(p.connStart, p.connDone)
	t.TLS = span(p.tlsStart, p.tlsDone)
	t.Processing = span(p.wrote, p.firstByte)
	t.Transfer = span(p.firstByte, p.bodyRead)
	return t
}
