package loadtests

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/probe-dev/probe/results"
	"github.com/probe-dev/probe/suite"
	"github.com/prometheus/client_golang/prometheus"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Options say how to run a load test.
type Options struct {
	Env       string
	BaseURL   string
	Headers   map[string]string // sent with every request, before the target's own
	Vars      map[string]string // the environment's variables, for {{var}}
	RateScale float64           // multiply every rate (default 1)
	Duration  time.Duration     // fit the profile into this long (default: as written)
	RateCap   float64           // highest rate per second, for protected environments
	Shard     int               // this process runs slice Shard of Shards
	Shards    int
	// Workers and Connections bound the generator; defaults 64 and 10000.
	Workers     uint64
	MaxWorkers  uint64
	Connections int
	// Grace is how long requests in flight may finish after a stop (default 5s).
	Grace time.Duration
	// AbortAfter is when thresholds start to be watched for a loss beyond
	// recovery (default: a tenth of the test, at least 5s). Negative: never.
	AbortAfter time.Duration
	Raw        vegeta.Encoder // raw results in vegeta's encoding, if set
	// Redact hides the suite's secrets in what the test writes: endpoint
	// paths in the summary, URLs and errors in the raw results.
	Redact   func(string) string
	Metrics  *Metrics       // live metrics, if set
	Progress func(Progress) // called about once a second
	Log      *slog.Logger
	Seed     uint64
}

// Progress is the state of a running load test.
type Progress struct {
	Elapsed time.Duration
	Rate    float64 // sent in the last second
	P95     time.Duration
	Errors  int64
	Sent    int64
	Planned int64 // requests, or arrivals when there are journeys
	// Journeys: how many arrivals were made so far, and how many users
	// are in flight; both stay zero without journey targets.
	Arrived, InFlight int64
	Journeys          bool
}

// ErrTemplate marks a request that could not be rendered: bad input.
var ErrTemplate = errors.New("request template failed")

// Run runs lt once and returns its summary, with thresholds judged. It stops
// at the end of the profile, at the hard limits, when a threshold is lost
// beyond recovery, or when ctx ends; then the summary is marked partial.
func Run(ctx context.Context, lt *suite.LoadTest, o Options) (*results.Summary, error) {
	o = withDefaults(o)
	sched := NewSchedule(lt.Profile, ScheduleOptions{RateScale: o.RateScale, Fit: o.Duration, Cap: o.RateCap, Limit: lt.Limits.MaxDuration.Std()})
	p := newPacer(sched, o.Shard, o.Shards, int64(lt.Limits.MaxRequests), lt.Limits.MaxDuration.Std())
	tg, err := newTargeter(lt, o.BaseURL, o.Headers, o.Vars, o.Shard, o.Shards, o.Seed+uint64(o.Shard))
	if err != nil {
		return nil, err
	}
	var pace vegeta.Pacer = p
	var jr *journeys // journeys in flight, when there are journey targets
	maxBody := int64(0)
	if len(tg.journeys) > 0 {
		jr = newJourneys(p, tg, lt, o.Seed+uint64(o.Shard))
		pace = jr
		if tg.needBody {
			maxBody = journeyMaxBody
		}
	}
	for i := range tg.eps {
		tg.eps[i].path = o.Redact(tg.eps[i].path) // the path the summary shows
	}
	// In-flight requests are cut when the grace period after a stop ends.
	inflight, cutInflight := context.WithCancel(context.WithoutCancel(ctx))
	defer cutInflight()
	atk := vegeta.NewAttacker(
		vegeta.Client(newClient(inflight, lt.Timeout.Std(), o.Connections, &p.atTarget)),
		vegeta.Workers(o.Workers), vegeta.MaxWorkers(o.MaxWorkers), vegeta.MaxBody(maxBody), // bodies counted, kept only for journeys that look in them: body.go
	)
	log := o.Log.With("loadtest", lt.Name, "env", o.Env)
	log.Info("load test starting", "planned", p.shardPlanned(), "duration", sched.Duration().Round(time.Millisecond), "shard", fmt.Sprintf("%d/%d", o.Shard, o.Shards))

	if o.Metrics != nil {
		o.Metrics.requested.WithLabelValues(lt.Name, o.Env).Set(sched.Rate(0) / float64(o.Shards))
	}
	// Requests per second at the peak, at most: journeys send their steps.
	peak := sched.Peak() / float64(o.Shards)
	if jr != nil {
		peak *= float64(max(jr.longest, 1))
	}
	generatorProcs.acquire(peak <= oneProcRate)
	defer generatorProcs.release()
	log.Debug("generator processors", "procs", runtime.GOMAXPROCS(0), "peak_rate", peak)
	p.cpu = watchSaturation(ctx, &generatorProcs, func() {
		log.Info("generator widened to every processor: goroutines waited for the one it started on", "procs", runtime.GOMAXPROCS(0))
	})
	p.workers = int64(o.Workers)
	defer p.cpu.close()
	c := newCollector(p, tg.eps, lt.Timeout.Std())
	obs := newObserver(o.Metrics, lt.Name, o.Env, tg.eps)
	if o.Metrics != nil {
		dropped := o.Metrics.dropped.WithLabelValues(lt.Name, o.Env)
		p.onDrop = func(n int64) { dropped.Add(float64(n)) }
	}
	if jr != nil {
		c.dueOf = jr.due
		if o.Metrics != nil {
			jv := o.Metrics.journeys
			jr.onEvent = func(j int, outcome string) { jv.WithLabelValues(lt.Name, o.Env, tg.journeys[j].name, outcome).Inc() }
		}
	}
	ths := thresholdsOf(lt)
	res := atk.Attack(tg.next, pace, 0, lt.Name)
	stop, renderErr := results.StopCompleted, error(nil)
	stopping := false
	var graceC <-chan time.Time
	var graceTimer *time.Timer
	defer func() {
		if graceTimer != nil {
			graceTimer.Stop()
		}
	}()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var lastSent int64
	halt := func(reason string) {
		if stopping {
			return
		}
		stopping, stop = true, reason
		atk.Stop()
		if jr != nil {
			jr.halt()
		}
		graceTimer = time.NewTimer(o.Grace)
		graceC = graceTimer.C
		log.Info("load test stopping", "reason", reason, "grace", o.Grace)
	}
	ctxDone := ctx.Done()
loop:
	for {
		select {
		case r, ok := <-res:
			if !ok {
				break loop
			}
			if r.URL == "" && r.Error != "" {
				renderErr = fmt.Errorf("%w: loadtest %q: %s", ErrTemplate, lt.Name, o.Redact(r.Error))
				halt(results.StopTemplate)
				continue
			}
			p.answered.Add(1)
			lateBefore := c.late
			var step bool
			var reason string
			if jr != nil {
				step, reason = jr.answer(r)
			}
			idx, kind := c.add(r, step, reason != "")
			r.Body = nil
			if o.Raw != nil {
				written := ""
				if step && tg.journeys[tg.eps[idx].journey].steps[tg.eps[idx].step].secret {
					// its URL may hold a secret capture: write the step's as
					// written, in the error too, which quotes the URL sent
					written = tg.base + tg.eps[idx].path
					r.URL = written
				}
				r.URL, r.Error = o.Redact(r.URL), o.Redact(rawError(r.Error, written))
				if err := o.Raw.Encode(r); err != nil {
					log.Error("raw results", "err", err)
					o.Raw = nil
				}
			}
			obs.observe(idx, kind, r, c.late > lateBefore)
		case <-tick.C:
			s := c.summary0()
			elapsed := time.Since(p.start())
			if o.Metrics != nil {
				o.Metrics.requested.WithLabelValues(lt.Name, o.Env).Set(p.Rate(elapsed))
			}
			if o.Progress != nil {
				pr := Progress{Elapsed: elapsed, Rate: float64(c.sent - lastSent), P95: c.overall.Latency.Quantile(0.95),
					Errors: c.overall.Errors, Sent: c.sent, Planned: p.shardPlanned()}
				if jr != nil {
					pr.Journeys = true
					pr.Arrived, pr.InFlight = jr.counts()
				}
				o.Progress(pr)
			}
			lastSent = c.sent
			if o.AbortAfter >= 0 && elapsed >= o.AbortAfter && !stopping {
				remaining := p.shardPlanned() - c.sent
				if jr != nil {
					remaining = jr.remaining() // planned counts arrivals, sent counts steps
				}
				if name := lostThreshold(ths, s, remaining, sched.Duration()); name != "" {
					halt("aborted: threshold " + name + " can no longer pass")
				}
			}
		case <-ctxDone:
			ctxDone = nil
			halt(results.StopInterrupted)
		case <-graceC:
			cutInflight()
			graceC = nil
		}
	}
	if renderErr != nil {
		return nil, renderErr
	}
	s := c.summary()
	s.LoadTest, s.Env, s.Planned, s.Workers = lt.Name, o.Env, p.shardPlanned(), p.workers
	if o.Shards > 1 {
		s.Shard = fmt.Sprintf("%d/%d", o.Shard, o.Shards)
	}
	if jr != nil {
		var all bool
		s.Journeys, all = jr.summary()
		if err := jr.stopErr(); err != nil {
			stop = err.Error()
		} else if stop == results.StopCompleted && !all {
			stop = results.StopMaxDuration
		}
	} else if stop == results.StopCompleted && s.Sent+s.Dropped < s.Planned {
		stop = results.StopMaxDuration
	}
	s.Stop, s.Partial = stop, stop != results.StopCompleted
	s.JudgeGenerator()
	s.Thresholds = Judge(lt, s)
	if g := s.Generator; g != nil {
		log.Warn("the generator was the limit", "from", g.From, "late", g.Late, "dropped", g.Dropped)
	}
	log.Info("load test done", "sent", s.Sent, "planned", s.Planned, "dropped", s.Dropped, "stop", s.Stop, "errors", s.Overall.Errors)
	return s, nil
}

// summary0 is a view of the counts so far, for the abort check.
func (c *collector) summary0() *results.Summary {
	return &results.Summary{Overall: c.overall, Endpoints: c.eps}
}

// observer feeds live metrics, with each endpoint's series looked up once.
type observer struct {
	m        *Metrics
	name     string
	env      string
	eps      []endpoint
	requests map[[2]int]prometheus.Counter // [endpoint, code class index]
	latency  []prometheus.Observer
	late     prometheus.Counter
}

var codeClasses = []string{"error", "1xx", "2xx", "3xx", "4xx", "5xx"}

func newObserver(m *Metrics, name, env string, eps []endpoint) *observer {
	if m == nil {
		return nil
	}
	o := &observer{m: m, name: name, env: env, eps: eps, requests: map[[2]int]prometheus.Counter{}, late: m.late.WithLabelValues(name, env)}
	for i, ep := range eps {
		o.latency = append(o.latency, m.latency.WithLabelValues(name, env, ep.name))
		for c, class := range codeClasses {
			o.requests[[2]int{i, c}] = m.requests.WithLabelValues(name, env, ep.name, class)
		}
	}
	return o
}

func (o *observer) observe(idx int, kind string, r *vegeta.Result, late bool) {
	if o == nil || idx < 0 || idx >= len(o.eps) {
		return
	}
	if late {
		o.late.Inc()
	}
	class := 0
	if r.Code > 0 {
		class = min(int(r.Code)/100, 5)
	}
	o.requests[[2]int{idx, class}].Inc()
	o.latency[idx].Observe(r.Latency.Seconds())
	if kind != "" {
		o.m.errors.WithLabelValues(o.name, o.env, o.eps[idx].name, kind).Inc()
	}
}

func withDefaults(o Options) Options {
	if o.Shards < 1 {
		o.Shards, o.Shard = 1, 0
	}
	o.Workers = cmp.Or(o.Workers, 64)
	o.MaxWorkers = cmp.Or(o.MaxWorkers, 10_000)
	o.Connections = cmp.Or(o.Connections, 10_000)
	o.Grace = cmp.Or(o.Grace, 5*time.Second)
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Redact == nil {
		o.Redact = func(s string) string { return s }
	}
	return o
}

// newClient is vegeta's HTTP client: HTTP/1.1 with keep-alive, a bounded
// number of connections per host and the request timeout. Its connections
// are all closed when ctx ends, which cuts requests still in flight.
func newClient(ctx context.Context, timeout time.Duration, conns int, atTarget *atomic.Int64) *http.Client {
	cut := &connSet{conns: map[net.Conn]struct{}{}}
	context.AfterFunc(ctx, cut.closeAll)
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	dial := func(dctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dialer.DialContext(dctx, network, addr)
		if err != nil {
			return nil, err
		}
		return cut.add(c), nil
	}
	tr := &http.Transport{
		Proxy:                  nil,
		DialContext:            dial,
		MaxIdleConnsPerHost:    conns,
		MaxConnsPerHost:        conns,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: maxResponseHead,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2:      false,
	}
	return &http.Client{
		Transport:     countingTransport{newWireTransport(dial, tr, conns), atTarget, timeout}, // which holds the timeout: body.go
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// connSet tracks open connections so they can all be closed at once.
type connSet struct {
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

func (s *connSet) add(c net.Conn) net.Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		c.Close()
		return c
	}
	tc := &trackedConn{Conn: c, set: s}
	s.conns[tc] = struct{}{}
	return tc
}

func (s *connSet) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for c := range s.conns {
		c.(*trackedConn).Conn.Close()
	}
	clear(s.conns)
}

type trackedConn struct {
	net.Conn
	set  *connSet
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.set.mu.Lock()
		delete(c.set.conns, c)
		c.set.mu.Unlock()
	})
	return c.Conn.Close()
}

// String is the progress line: elapsed, rate, p95 so far, errors.
func (p Progress) String() string {
	if p.Journeys {
		return fmt.Sprintf("%6.1fs  arrivals %d/%d  users %d  sent %d  %.0f req/s  p95 %s  errors %d",
			p.Elapsed.Seconds(), p.Arrived, p.Planned, p.InFlight, p.Sent, p.Rate, p.P95.Round(10*time.Microsecond), p.Errors)
	}
	return fmt.Sprintf("%6.1fs  sent %d/%d  %.0f req/s  p95 %s  errors %d",
		p.Elapsed.Seconds(), p.Sent, p.Planned, p.Rate, p.P95.Round(10*time.Microsecond), p.Errors)
}

// Preflight checks that the target accepts connections before any load is
// sent, so an unreachable target is told apart from a failing one.
func Preflight(ctx context.Context, baseURL string) error {
	u, err := url.Parse(baseURL)
	if err != nil || u.Host == "" {
		return fmt.Errorf("base URL %q: not an absolute URL", baseURL)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), map[string]string{"https": "443"}[u.Scheme]+map[string]string{"http": "80"}[u.Scheme])
	}
	d := net.Dialer{Timeout: 5 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return fmt.Errorf("target %s is unreachable: %w", host, err)
	}
	return conn.Close()
}
