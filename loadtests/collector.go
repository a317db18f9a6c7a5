package loadtests

import (
	"strconv"
	"strings"
	"time"

	"github.com/probe-dev/probe/results"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Error kinds: a fixed set, so metrics and summaries stay bounded whatever
// the errors say.
const (
	KindTimeout     = "timeout"
	KindRefused     = "connection_refused"
	KindReset       = "connection_reset"
	KindDNS         = "dns"
	KindTLS         = "tls"
	KindLocal       = "local_resource" // our side: out of sockets or files
	KindHTTP4xx     = "http_4xx"
	KindHTTP5xx     = "http_5xx"
	KindOther       = "other"
	KindExpect      = "expectation" // a journey step's expect or capture failed
	timelineBacklog = 2             // seconds kept open beyond the request timeout
)

// errorKind sorts a result's error into the fixed set, or "" when it passed.
func errorKind(r *vegeta.Result) string {
	switch {
	case r.Code >= 500:
		return KindHTTP5xx
	case r.Code >= 400:
		return KindHTTP4xx
	case r.Code >= 200 && r.Error == "":
		return ""
	}
	e := strings.ToLower(r.Error)
	switch {
	case strings.Contains(e, "timeout") || strings.Contains(e, "deadline exceeded"):
		return KindTimeout
	case strings.Contains(e, "connection refused"):
		return KindRefused
	case strings.Contains(e, "connection reset") || strings.Contains(e, "broken pipe") || strings.Contains(e, "eof"):
		return KindReset
	case strings.Contains(e, "no such host") || strings.Contains(e, "lookup "):
		return KindDNS
	case strings.Contains(e, "tls") || strings.Contains(e, "x509"):
		return KindTLS
	case strings.Contains(e, "too many open files") || strings.Contains(e, "cannot assign requested address"):
		return KindLocal
	}
	return KindOther
}

// collector streams results into the summary: per-endpoint and overall
// counts and histograms, and a one-second timeline whose percentiles come
// from a few histograms kept only while their second can still get results.
type collector struct {
	pacer    *pacer
	dueOf    func(*vegeta.Result) time.Time // when the send was due
	timeout  time.Duration
	eps      []results.Endpoint
	overall  results.Endpoint
	timeline []results.Second
	open     map[int]*results.Histogram // timeline seconds still taking results
	spare    []*results.Histogram
	sent     int64
	late     int64
	first    time.Time // first send
	lastSend time.Time
	last     time.Time // last answer
}

func newCollector(p *pacer, eps []endpoint, timeout time.Duration) *collector {
	c := &collector{pacer: p, timeout: timeout, overall: results.NewEndpoint("overall", "", ""), open: map[int]*results.Histogram{},
		dueOf: func(r *vegeta.Result) time.Time { return p.due(r.Seq) }}
	for _, ep := range eps {
		c.eps = append(c.eps, results.NewEndpoint(ep.name, ep.method, ep.path))
	}
	return c
}

// add counts one result. It reports the endpoint's index and error kind.
// A journey step's result comes judged: it failed its expectations or
// passed them, whatever its status code.
func (c *collector) add(r *vegeta.Result, judged, failed bool) (int, string) {
	idx := endpointOf(r.URL)
	kind := errorKind(r)
	switch {
	case judged && !failed:
		kind = ""
	case judged && kind == "":
		kind = KindExpect
	}
	due := c.dueOf(r)
	dueLatency := r.End().Sub(due)
	c.sent++
	late := r.Timestamp.Sub(due) > results.LateAfter
	if late {
		c.late++
	}
	if c.first.IsZero() || r.Timestamp.Before(c.first) {
		c.first = r.Timestamp
	}
	if r.Timestamp.After(c.lastSend) {
		c.lastSend = r.Timestamp
	}
	if end := r.End(); end.After(c.last) {
		c.last = end
	}
	in := bytesIn(r)
	record := func(e *results.Endpoint) {
		e.Requests++
		e.Codes[codeText(r.Code)]++
		if kind != "" {
			e.Errors++
			e.ErrorKinds[kind]++
		}
		e.BytesIn += in
		e.BytesOut += int64(r.BytesOut)
		e.Latency.Record(r.Latency)
		e.DueLatency.Record(dueLatency)
	}
	record(&c.overall)
	if idx >= 0 && idx < len(c.eps) {
		record(&c.eps[idx])
	}
	c.second(r, kind != "", late)
	return idx, kind
}

// second adds the result to the timeline, by the second it was sent in.
func (c *collector) second(r *vegeta.Result, failed, late bool) {
	sec := int(r.Timestamp.Sub(c.pacer.start()) / time.Second)
	sec = max(sec, 0)
	for len(c.timeline) <= sec {
		t := len(c.timeline)
		c.timeline = append(c.timeline, results.Second{T: t, Requested: c.pacer.Rate(time.Duration(t)*time.Second + time.Second/2)})
	}
	s := &c.timeline[sec]
	s.Sent++
	if failed {
		s.Errors++
	}
	if late {
		s.Late++
	}
	h := c.open[sec]
	if h == nil {
		if n := len(c.spare); n > 0 {
			h, c.spare = c.spare[n-1], c.spare[:n-1]
		} else {
			h = results.NewCoarseHistogram()
		}
		c.open[sec] = h
	}
	h.Record(r.Latency)
	// A request sent more than the timeout ago has answered: its second is done.
	c.closeBefore(sec - int(c.timeout/time.Second) - timelineBacklog)
}

// closeBefore writes the percentiles of every open second before sec.
func (c *collector) closeBefore(sec int) {
	for t, h := range c.open {
		if t >= sec {
			continue
		}
		s := &c.timeline[t]
		s.P50, s.P95, s.P99 = h.Quantile(0.50), h.Quantile(0.95), h.Quantile(0.99)
		h.Reset()
		c.spare = append(c.spare, h)
		delete(c.open, t)
	}
}

// summary finishes the counts into a Summary.
func (c *collector) summary() *results.Summary {
	c.closeBefore(len(c.timeline) + 1)
	dropped, bySec := c.pacer.drops()
	for sec, n := range bySec {
		for len(c.timeline) <= sec {
			t := len(c.timeline)
			c.timeline = append(c.timeline, results.Second{T: t, Requested: c.pacer.Rate(time.Duration(t)*time.Second + time.Second/2)})
		}
		c.timeline[sec].Dropped += n
	}
	s := &results.Summary{
		Dropped:   dropped,
		Schema:    results.SummarySchema,
		Sent:      c.sent,
		Late:      c.late,
		Overall:   c.overall,
		Endpoints: c.eps,
		Timeline:  c.timeline,
		Start:     c.pacer.start(),
	}
	if !c.first.IsZero() {
		s.Duration = c.last.Sub(c.first)
		s.SendSpan = c.lastSend.Sub(c.first)
	}
	return s
}

// codeTexts are the status codes as map keys, made once.
var codeTexts = func() [600]string {
	var t [600]string
	for i := range t {
		t[i] = strconv.Itoa(i)
	}
	return t
}()

func codeText(code uint16) string {
	if int(code) < len(codeTexts) {
		return codeTexts[code]
	}
	return strconv.Itoa(int(code))
}
