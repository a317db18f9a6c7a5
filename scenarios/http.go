package scenarios

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"time"

	"github.com/probe-dev/probe/results"
	"github.com/probe-dev/probe/suite"
)

// maxBody bounds what an HTTP check reads of a response.
const maxBody = 10 << 20

// httpCheck runs one attempt of an HTTP check. Each attempt opens a fresh
// connection, so DNS, connect and TLS are measured every time, as
// blackbox_exporter does.
func (r *Runner) httpCheck(ctx context.Context, sc *suite.Scenario, t Target) results.Attempt {
	req := sc.Request
	url := resolve(t.BaseURL, req.URL)
	step := results.Step{Name: req.Method + " " + req.URL}
	att := results.Attempt{Start: time.Now()}
	finish := func(status results.Status, reason string) results.Attempt {
		att.Duration = time.Since(att.Start)
		reason = r.redact(reason)
		step.Duration, step.Status, step.Reason = att.Duration, status, reason
		att.Status, att.Reason, att.Steps = status, reason, []results.Step{step}
		return att
	}

	var body io.Reader
	if req.Body != "" {
		body = strings.NewReader(req.Body)
	}
	hreq, err := http.NewRequestWithContext(ctx, req.Method, url, body)
	if err != nil {
		return finish(results.InfraError, fmt.Sprintf("build request: %v", err))
	}
	for k, v := range t.Headers {
		hreq.Header.Set(k, v)
	}
	for k, v := range req.Headers {
		hreq.Header.Set(k, v)
	}

	timing := &results.HTTPTiming{}
	var phase phases
	hreq = hreq.WithContext(httptrace.WithClientTrace(ctx, phase.trace()))
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if t.TLS != nil {
		tlsConf = t.TLS.Clone()
	}
	transport := &http.Transport{
		Proxy:             nil, // checks go straight to the target
		DisableKeepAlives: true,
		DialContext:       (&net.Dialer{}).DialContext,
		TLSClientConfig:   tlsConf,
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, CheckRedirect: func(r *http.Request, via []*http.Request) error {
		if !*req.FollowRedirects {
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
		att.HTTP = phase.fill(timing)
		return finish(status, reason)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, maxBody+1))
	cut := len(data) > maxBody
	if cut {
		data = data[:maxBody]
	}
	phase.bodyRead = time.Now()
	took := time.Since(att.Start)
	if err != nil {
		status, reason := classify(ctx, err)
		att.HTTP = phase.fill(timing)
		return finish(status, "read body: "+reason)
	}
	timing.StatusCode, timing.BodyBytes = res.StatusCode, int64(len(data))
	if res.TLS != nil && len(res.TLS.PeerCertificates) > 0 {
		days := int(time.Until(res.TLS.PeerCertificates[0].NotAfter).Hours() / 24)
		timing.TLSDaysLeft = &days
	}
	att.HTTP = phase.fill(timing)
	reasons := check(sc.Expect, response{code: res.StatusCode, header: res.Header, body: data, took: took, daysLeft: timing.TLSDaysLeft, cut: cut})
	if len(reasons) > 0 {
		return finish(results.Fail, strings.Join(reasons, "; "))
	}
	return finish(results.Pass, "")
}

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
