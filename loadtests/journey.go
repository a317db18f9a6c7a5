package loadtests

import (
	"cmp"
	"container/heap"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/probe-dev/probe/results"
	"github.com/probe-dev/probe/suite"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// A journey is one virtual user running a journey target's steps in order,
// in an open model: the profile's rate is of arrivals, and each arrival
// that picks a journey starts one user (or, at max_users, is dropped and
// counted). Each next step is due when the previous one answered plus the
// think time, and its latency from due is measured from then, so think time
// is never latency, and a stalled target shows in the steps that wait on it.
//
// vegeta stays the engine: journeys is its Pacer (what is due next, of the
// schedule's arrivals and the users' next steps), the targeter renders what
// Pace handed out, with the user's captures, data row and cookies, and the
// results, which carry the user and the due time in the URL's fragment,
// feed the captures and cookies back (answer, on the result loop).
type journeys struct {
	p        *pacer // the arrivals' schedule, the start, the worker rule
	tg       *targeter
	maxUsers int
	maxSends int64 // limits.max_requests; 0: none
	longest  int64 // steps of the longest journey
	rng      *rand.Rand
	onEvent  func(journey int, outcome string) // live metric, if set

	mu       sync.Mutex
	arrivals int64    // this shard's arrival slots taken, sent or dropped
	waiting  userHeap // users whose next step is due, earliest first
	ready    []ready  // handed out by Pace, for the targeter, in order
	users    map[uint64]*user
	nextID   uint64
	recs     []results.Journey // by journey, in the order of the targets
	err      error             // why the test must stop (test data used up)
	halted   bool
	wake     chan struct{} // a user's next step became due, or one ended
	stop     chan struct{}
}

// ready is one send Pace decided on: a single request (u nil) or a step.
type ready struct {
	ep  int
	u   *user
	due time.Time
}

// user is one journey in flight. The result loop owns it while its step is
// out, the pacer and the targeter while it waits and is rendered; the
// handovers go through journeys.mu.
type user struct {
	id    uint64
	j     int // journey index
	step  int
	caps  map[string]string
	row   map[string]string
	jar   http.CookieJar
	began time.Time // when its first step was due
	due   time.Time // when its current step was due
	index int       // in the heap
	// failed: a step failed, and the user runs only the steps marked
	// always (the flow's cleanup) before it leaves.
	failed bool
}

// journey is a journey target ready to run.
type journey struct {
	name  string
	steps []jstep
	think think
	feed  *feeder // nil without data
}

// jstep is one step of a journey: its request's templates parsed, its
// expectations and captures as the suite wrote them.
type jstep struct {
	ep      int // its endpoint in the summary
	st      *suite.Step
	method  string
	url     *template.Template
	query   []string // keys, sorted
	queries map[string]*template.Template
	body    *template.Template
	headers map[string]*template.Template
	secret  bool // the journey captures a secret: its URL is not written raw
}

// journeyMaxBody bounds what a journey step's response keeps for its
// expectations and captures; the rest is read and counted.
const journeyMaxBody = 1 << 20

func (t *targeter) addJourney(lt *suite.LoadTest, tg *suite.Target, shard, shards int, seed uint64,
	parse func(name, text string) (*template.Template, error)) error {
	jn := &journey{name: tg.Name}
	if th := tg.Think; th != nil {
		var err error
		switch {
		case th.Uniform != nil:
			jn.think, err = newThink(ThinkUniform, th.Uniform.Min.Std(), th.Uniform.Max.Std())
		case th.Exponential > 0:
			jn.think, err = newThink(ThinkExponential, th.Exponential.Std(), 0)
		default:
			jn.think, err = newThink(ThinkFixed, th.Fixed.Std(), 0)
		}
		if err != nil {
			return fmt.Errorf("loadtest %q: journey %q: %w", lt.Name, tg.Name, err)
		}
	}
	if tg.Dataset != nil {
		f, err := newFeeder(tg.Dataset, tg.Data.Mode, shard, shards, seed)
		if err != nil {
			return fmt.Errorf("loadtest %q: journey %q: data %w", lt.Name, tg.Name, err)
		}
		jn.feed = f
	}
	for _, st := range tg.Steps {
		name := suite.StepEndpoint(tg.Name, st.Name)
		r := st.Request
		js := jstep{ep: len(t.eps), st: st, method: r.Method, queries: map[string]*template.Template{}, headers: map[string]*template.Template{}}
		var err error
		if js.url, err = parse(name+".url", r.URL); err != nil {
			return err
		}
		js.query = slices.Sorted(maps.Keys(r.Query))
		for _, k := range js.query {
			if js.queries[k], err = parse(name+".query."+k, r.Query[k]); err != nil {
				return err
			}
		}
		body := r.Body
		if r.BodyFile != "" {
			data, err := suite.ReadBodyFile(tg.StepsDir, r.BodyFile)
			if err != nil {
				return fmt.Errorf("loadtest %q: step %q: %w", lt.Name, name, err)
			}
			body = string(data)
		}
		if js.body, err = parse(name+".body", body); err != nil {
			return err
		}
		for k, v := range r.Headers {
			if js.headers[k], err = parse(name+".headers."+k, v); err != nil {
				return err
			}
		}
		for _, c := range st.Capture {
			t.needBody = t.needBody || c.JSON != "" || c.Regex != ""
		}
		if ex := st.Expect; ex != nil {
			t.needBody = t.needBody || len(ex.BodyContains)+len(ex.BodyLacks)+len(ex.BodyRegex)+len(ex.JSON) > 0
		}
		t.eps = append(t.eps, endpoint{name: name, method: r.Method, path: r.URL, journey: len(t.journeys), step: len(jn.steps)})
		jn.steps = append(jn.steps, js)
	}
	// A secret capture may go into any later step's URL: none of the
	// journey's is written raw as sent.
	secret := slices.ContainsFunc(tg.Steps, func(st *suite.Step) bool {
		return slices.ContainsFunc(st.Capture, func(c *suite.Capture) bool { return c.Secret })
	})
	for i := range jn.steps {
		jn.steps[i].secret = secret
	}
	t.journeys = append(t.journeys, jn)
	return nil
}

func newJourneys(p *pacer, tg *targeter, lt *suite.LoadTest, seed uint64) *journeys {
	j := &journeys{p: p, tg: tg, maxUsers: max(lt.MaxUsers, 1), maxSends: int64(lt.Limits.MaxRequests),
		rng: rand.New(rand.NewPCG(seed, seed^0x2545f4914f6cdd1d)), users: map[uint64]*user{}, nextID: 1,
		wake: make(chan struct{}, 1), stop: make(chan struct{})}
	for _, jn := range tg.journeys {
		j.longest = max(j.longest, int64(len(jn.steps)))
		names := make([]string, len(jn.steps))
		for i, s := range jn.steps {
			names[i] = tg.eps[s.ep].name
		}
		j.recs = append(j.recs, results.NewJourney(jn.name, names))
	}
	tg.users = j
	return j
}

var _ vegeta.Pacer = (*journeys)(nil)

// Rate is this shard's rate of arrivals per second at elapsed.
func (j *journeys) Rate(elapsed time.Duration) float64 { return j.p.Rate(elapsed) }

// Pace is vegeta's question: how long until the next send, and is the test
// over. It waits itself while users think and nothing else is due (vegeta
// sends once for every answer it gets), and decides there what the send
// is, for the targeter to render.
func (j *journeys) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	p := j.p
	if p.began.Load() == 0 {
		p.began.CompareAndSwap(0, time.Now().Add(-elapsed).UnixNano())
	}
	start := p.start()
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		now := time.Since(start)
		if (p.limit > 0 && now >= p.limit) || (j.maxSends > 0 && int64(hits) >= j.maxSends) {
			return 0, true
		}
		j.mu.Lock()
		if j.halted || j.err != nil {
			j.mu.Unlock()
			return 0, true
		}
		arrival, more := j.nextArrival()
		next := arrival
		if len(j.waiting) > 0 {
			if d := j.waiting[0].due.Sub(start); !more || d < next {
				next, more = d, true
			}
		}
		if !more && len(j.users) == 0 {
			j.mu.Unlock()
			return 0, true // every arrival made and every journey ended
		}
		if more && next <= now && j.mayStart(hits, now) {
			sent := j.take(start, arrival, next)
			j.mu.Unlock()
			if sent {
				return 0, false
			}
			continue
		}
		j.mu.Unlock()
		wait := time.Hour // until a user's step is due, or the test is stopped
		if more {
			wait = max(next-now, growWait)
		}
		if timer == nil {
			timer = time.NewTimer(wait)
		} else {
			timer.Reset(wait)
		}
		select {
		case <-j.wake:
		case <-timer.C:
		case <-j.stop:
			return 0, true
		}
	}
}

// nextArrival is when this shard's next arrival is due, and whether there
// is one. Under mu.
func (j *journeys) nextArrival() (time.Duration, bool) {
	p := j.p
	g := p.global(j.arrivals)
	if g >= p.planned {
		return 0, false
	}
	d := p.sched.Due(g)
	return d, d < p.sched.Duration()
}

// mayStart applies the worker rule of pacer.Pace: a send that finds every
// worker busy may start one only while the target holds them. Under mu.
func (j *journeys) mayStart(hits uint64, now time.Duration) bool {
	p := j.p
	inUse := int64(hits) - p.answered.Load()
	if inUse < p.workers {
		return true
	}
	if !p.cpu.mayGrow() || p.waitOnProbe() || !p.mayStart(now) {
		return false // sent late, when a worker frees
	}
	p.workers = inUse + 1
	return true
}

// take hands out what is due at next: a waiting user's step, or the
// arrival (a single request, or a new user unless max_users are in flight).
// It reports whether there is a send. Under mu.
func (j *journeys) take(start time.Time, arrival, next time.Duration) bool {
	if len(j.waiting) > 0 && j.waiting[0].due.Sub(start) == next {
		u := heap.Pop(&j.waiting).(*user)
		j.ready = append(j.ready, ready{ep: j.tg.journeys[u.j].steps[u.step].ep, u: u, due: u.due})
		return true
	}
	j.arrivals++
	due := start.Add(arrival)
	ep := j.tg.pick(j.rng)
	e := j.tg.eps[ep]
	if e.journey < 0 {
		j.ready = append(j.ready, ready{ep: ep, due: due})
		return true
	}
	rec := &j.recs[e.journey]
	if len(j.users) >= j.maxUsers {
		rec.Dropped++
		j.event(e.journey, "dropped")
		return false
	}
	jn := j.tg.journeys[e.journey]
	u := &user{id: j.nextID, j: e.journey, caps: map[string]string{}, began: due, due: due}
	j.nextID++
	if jn.feed != nil {
		i, err := jn.feed.row()
		if err != nil {
			j.err = fmt.Errorf("journey %q: %w", jn.name, err)
			return false
		}
		u.row = jn.feed.ds.Row(i)
	}
	u.jar, _ = cookiejar.New(nil) // New never fails without options
	j.users[u.id] = u
	rec.Started++
	j.event(e.journey, "started")
	j.ready = append(j.ready, ready{ep: ep, u: u, due: due})
	return true
}

func (j *journeys) event(journey int, outcome string) {
	if j.onEvent != nil {
		j.onEvent(journey, outcome)
	}
}

// halt ends Pace's waiting: the test is stopping.
func (j *journeys) halt() {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.halted {
		j.halted = true
		close(j.stop)
	}
}

// popReady returns the oldest send Pace handed out.
func (j *journeys) popReady() (ready, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(j.ready) == 0 {
		return ready{}, false
	}
	r := j.ready[0]
	j.ready = j.ready[1:]
	if len(j.ready) == 0 {
		j.ready = j.ready[:0:0] // let the array go once drained, so it does not grow for ever
	}
	return r, true
}

// due is when the send a result answers was due, from its URL's fragment.
func (j *journeys) due(r *vegeta.Result) time.Time {
	_, due, _, ok := parseMark(r.URL)
	if !ok {
		return r.Timestamp
	}
	return j.p.start().Add(due)
}

// answer takes a journey step's result: it checks the step's expectations,
// takes its captures and cookies, and sends the user on (due after the
// think time) or ends the journey. It reports whether the result was a
// step, and why the step failed ("" when it passed). Run's result loop
// calls it, one result at a time.
func (j *journeys) answer(r *vegeta.Result) (step bool, reason string) {
	ep, _, id, ok := parseMark(r.URL)
	if !ok || ep < 0 || ep >= len(j.tg.eps) || j.tg.eps[ep].journey < 0 {
		return false, ""
	}
	j.mu.Lock()
	u := j.users[id]
	j.mu.Unlock()
	if u == nil {
		return false, ""
	}
	jn := j.tg.journeys[u.j]
	js := &jn.steps[u.step]
	reason = j.judge(u, js, r)
	cleanup := -1
	if reason != "" || u.failed {
		cleanup = j.tg.cleanupStep(u, u.step+1)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	rec := &j.recs[u.j]
	switch {
	case reason != "" || u.failed:
		if !u.failed {
			rec.FailedAt[u.step]++
			j.event(u.j, "failed")
			u.failed = true
		}
		// As the uptime probe does, a failed journey still runs its
		// cleanup steps (always: true), so it leaves nothing behind.
		if cleanup < 0 {
			j.end(u)
			break
		}
		u.step = cleanup
		j.wait(u, r.End().Add(jn.think.draw(j.rng)))
	case u.step == len(jn.steps)-1:
		rec.Completed++
		rec.Duration.Record(r.End().Sub(u.began))
		j.event(u.j, "completed")
		j.end(u)
	default:
		u.step++
		j.wait(u, r.End().Add(jn.think.draw(j.rng)))
	}
	return true, reason
}

// wait queues u's next step, due at due. Under mu.
func (j *journeys) wait(u *user, due time.Time) {
	u.due = due
	heap.Push(&j.waiting, u)
	j.signal()
}

// judge checks a step's response and takes its captures and cookies into
// the user; it returns why the step failed, or "".
func (j *journeys) judge(u *user, js *jstep, r *vegeta.Result) string {
	if r.Code == 0 {
		return cmp.Or(r.Error, "no response")
	}
	target, _, _ := strings.Cut(r.URL, endpointMark)
	reqURL, _ := url.Parse(target)
	res := suite.Response{Code: int(r.Code), Header: r.Headers, Body: r.Body, Took: r.Latency, URL: reqURL,
		Cookies: (&http.Response{Header: r.Headers}).Cookies()}
	if v := r.Headers[bodyBytesHeader]; len(v) > 0 && len(r.Body) > 0 && v[0] != strconv.Itoa(len(r.Body)) {
		res.Read = int64(len(r.Body)) // the body was longer: only its start was kept
	}
	if reqURL != nil && len(res.Cookies) > 0 {
		u.jar.SetCookies(reqURL, res.Cookies)
	}
	ex, err := j.tg.expect(js.st.Expect, u)
	if err != nil {
		return err.Error()
	}
	reasons := ex.Check(res)
	for _, c := range js.st.Capture {
		v, err := c.Value(res, u.jar)
		if err != nil {
			reasons = append(reasons, fmt.Sprintf("capture %s: %v", c.Name, err))
			continue
		}
		u.caps[c.Name] = v
	}
	return strings.Join(reasons, "; ")
}

// end takes a finished user out. Under mu.
func (j *journeys) end(u *user) {
	delete(j.users, u.id)
	j.signal()
}

func (j *journeys) signal() {
	select {
	case j.wake <- struct{}{}:
	default:
	}
}

// summary returns the journeys' records, and whether every arrival was made.
func (j *journeys) summary() ([]results.Journey, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	_, more := j.nextArrival()
	return j.recs, !more
}

// remaining bounds the sends still to come: every arrival not yet made
// may start the longest journey, and every user in flight may send the rest
// of its steps. The threshold abort check needs a bound no run exceeds.
func (j *journeys) remaining() int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	n := max(j.p.shardPlanned()-j.arrivals, 0) * max(j.longest, 1)
	for _, u := range j.users {
		n += int64(len(j.tg.journeys[u.j].steps) - u.step)
	}
	return n + int64(len(j.ready))
}

// counts are the arrivals made so far and the users in flight, for the
// progress line.
func (j *journeys) counts() (arrived, inFlight int64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.arrivals, int64(len(j.users))
}

// stopErr is why the journeys stopped the test early, if they did.
func (j *journeys) stopErr() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.err
}

// cleanupStep is the first cleanup step (always: true) from step from on
// that u can send, or -1. As in the uptime probe, one that needs a value no
// step captured has nothing to clean up, and is skipped. The result loop
// owns u while it asks.
func (t *targeter) cleanupStep(u *user, from int) int {
	steps := t.journeys[u.j].steps
	at := u.step
	defer func() { u.step = at }()
	t.mu.Lock()
	defer t.mu.Unlock()
	for k := from; k < len(steps); k++ {
		if !steps[k].st.Always {
			continue
		}
		u.step = k
		if err := t.renderStep(&vegeta.Target{}, ready{ep: steps[k].ep, u: u}); !errors.Is(err, suite.ErrNoCapture) {
			return k
		}
	}
	return -1
}

// renderStep fills tgt with a user's step. Under t.mu.
func (t *targeter) renderStep(tgt *vegeta.Target, rd ready) error {
	u := rd.u
	js := &t.journeys[u.j].steps[u.step]
	clear(t.env.Captures)
	maps.Copy(t.env.Captures, u.caps)
	clear(t.env.Data)
	maps.Copy(t.env.Data, u.row)
	name := t.eps[js.ep].name
	path, err := t.render(js.url)
	if err != nil {
		return fmt.Errorf("step %q: url: %w", name, err)
	}
	target := path
	if !strings.HasPrefix(path, "http://") && !strings.HasPrefix(path, "https://") {
		target = t.base + path
	}
	if len(js.query) > 0 {
		q := url.Values{}
		for _, k := range js.query {
			v, err := t.render(js.queries[k])
			if err != nil {
				return fmt.Errorf("step %q: query %s: %w", name, k, err)
			}
			q.Add(k, v)
		}
		sep := "?"
		if strings.Contains(target, "?") {
			sep = "&"
		}
		target += sep + q.Encode()
	}
	body, err := t.render(js.body)
	if err != nil {
		return fmt.Errorf("step %q: body: %w", name, err)
	}
	tgt.Method = js.method
	tgt.Body = []byte(body)
	tgt.Header = t.headers.Clone()
	for k, tpl := range js.headers {
		v, err := t.render(tpl)
		if err != nil {
			return fmt.Errorf("step %q: header %s: %w", name, k, err)
		}
		tgt.Header.Set(k, v)
	}
	if ru, err := url.Parse(target); err == nil {
		for _, c := range u.jar.Cookies(ru) {
			tgt.Header.Add("Cookie", c.Name+"="+c.Value)
		}
	}
	tgt.URL = target + mark(js.ep, rd.due.Sub(t.users.p.start()), u.id)
	return nil
}

// expect renders the texts of a step's expectations that may name the
// user's captures or data.
func (t *targeter) expect(ex *suite.Expect, u *user) (*suite.Expect, error) {
	if ex == nil {
		return nil, nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	clear(t.env.Captures)
	maps.Copy(t.env.Captures, u.caps)
	clear(t.env.Data)
	maps.Copy(t.env.Data, u.row)
	out := *ex
	var err error
	text := func(what, s string) string {
		if err != nil || !strings.Contains(s, "{{") {
			return s
		}
		var tpl *template.Template
		if tpl, err = suite.ParseTemplate(what, s); err != nil {
			return s
		}
		t.buf.Reset()
		if err = tpl.Funcs(suite.Funcs(t.env)).Execute(&t.buf, nil); err != nil {
			return s
		}
		return t.buf.String()
	}
	each := func(what string, texts []string) []string {
		out := make([]string, len(texts))
		for i, s := range texts {
			out[i] = text(what, s)
		}
		return out
	}
	out.BodyContains = each("expect.body_contains", ex.BodyContains)
	out.BodyLacks = each("expect.body_lacks", ex.BodyLacks)
	out.Headers = suite.StringMap{}
	for k, v := range ex.Headers {
		out.Headers[k] = text("expect.headers."+k, v)
	}
	out.JSON = nil
	for _, jc := range ex.JSON {
		c := *jc
		c.Equals = text("expect.json "+jc.Path, jc.Equals)
		out.JSON = append(out.JSON, &c)
	}
	return &out, err
}

// mark is the fragment a journey-mode request carries: its endpoint, when
// it was due (since the start) and its user (0 for a single request, whose
// users are numbered from 1).
func mark(ep int, due time.Duration, user uint64) string {
	return endpointMark + strconv.Itoa(ep) + "/" + strconv.FormatInt(int64(due), 10) + "/" + strconv.FormatUint(user, 10)
}

// parseMark reads a fragment mark wrote.
func parseMark(u string) (ep int, due time.Duration, user uint64, ok bool) {
	i := strings.LastIndex(u, endpointMark)
	if i < 0 {
		return -1, 0, 0, false
	}
	parts := strings.Split(u[i+len(endpointMark):], "/")
	if len(parts) != 3 {
		return -1, 0, 0, false
	}
	ep, err1 := strconv.Atoi(parts[0])
	d, err2 := strconv.ParseInt(parts[1], 10, 64)
	user, err3 := strconv.ParseUint(parts[2], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return -1, 0, 0, false
	}
	return ep, time.Duration(d), user, true
}

// userHeap orders waiting users by when their next step is due.
type userHeap []*user

func (h userHeap) Len() int           { return len(h) }
func (h userHeap) Less(a, b int) bool { return h[a].due.Before(h[b].due) }
func (h userHeap) Swap(a, b int) {
	h[a], h[b] = h[b], h[a]
	h[a].index, h[b].index = a, b
}
func (h *userHeap) Push(x any) {
	u := x.(*user)
	u.index = len(*h)
	*h = append(*h, u)
}
func (h *userHeap) Pop() any {
	old := *h
	n := len(old)
	u := old[n-1]
	old[n-1] = nil
	*h = old[:n-1]
	return u
}
