package loadtests

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/template"

	"github.com/probe-dev/probe/suite"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// endpointMark tags each request's URL with its endpoint's index, in the
// fragment: a client never sends the fragment, and vegeta hands the URL back
// in the result, so each result finds its endpoint.
const endpointMark = "#probe-endpoint="

var (
	// quotedURL is a URL as net/http quotes it in a transport error.
	quotedURL = regexp.MustCompile(`"https?://[^"]*"`)
	// markText is endpointMark and what follows it in a URL.
	markText = regexp.MustCompile(regexp.QuoteMeta(endpointMark) + `[0-9/]*`)
)

// rawError is a result's error as the raw file keeps it: without probe's
// endpoint mark, and with each URL it quotes replaced by written when that
// is given (the URL sent may hold a secret capture).
func rawError(msg, written string) string {
	if msg == "" {
		return ""
	}
	if written != "" {
		msg = quotedURL.ReplaceAllLiteralString(msg, strconv.Quote(written))
	}
	return markText.ReplaceAllLiteralString(msg, "")
}

// endpoint is one target of a load test, ready to render requests, or one
// step of a journey target (rendered by its jstep).
type endpoint struct {
	name, method, path string
	url                *template.Template
	body               *template.Template
	headers            map[string]*template.Template
	weight             int // of arrivals; a journey's is on its first step
	journey, step      int // -1 for a single request
}

// targeter renders requests for the weighted endpoints. vegeta calls it from
// many workers at once; the random source is shared under a lock.
type targeter struct {
	eps     []endpoint
	total   int
	base    string
	headers http.Header

	// static holds templates without actions: their text, rendered once.
	static map[*template.Template]string

	// journeys are the journey targets; users, set when there are any,
	// decides what each send is (journey.go).
	journeys []*journey
	users    *journeys
	needBody bool // a journey step expects or captures from the body

	mu  sync.Mutex
	rng *rand.Rand
	env suite.TemplateEnv
	buf bytes.Buffer
}

func newTargeter(lt *suite.LoadTest, baseURL string, headers, vars map[string]string, shard, shards int, seed uint64) (*targeter, error) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	t := &targeter{base: strings.TrimSuffix(baseURL, "/"), headers: http.Header{}, rng: rng,
		env: suite.TemplateEnv{Rand: rng, Vars: vars, Seq: new(atomic.Int64), Captures: map[string]string{}, Data: map[string]string{}}}
	for k, v := range headers {
		t.headers.Set(k, v)
	}
	funcs := suite.Funcs(t.env)
	t.static = map[*template.Template]string{}
	parse := func(name, text string) (*template.Template, error) {
		tpl, err := template.New(name).Option("missingkey=error").Funcs(funcs).Parse(text)
		if err != nil {
			return nil, fmt.Errorf("loadtest %q: %w", lt.Name, err)
		}
		if !strings.Contains(text, "{{") {
			t.static[tpl] = text
		}
		return tpl, nil
	}
	if len(lt.Targets) == 0 { // the suite's check refuses it; a guard against a panic in pick
		return nil, fmt.Errorf("loadtest %q: no targets to send", lt.Name)
	}
	for _, tg := range lt.Targets {
		if tg.IsJourney() {
			first := len(t.eps)
			if err := t.addJourney(lt, tg, shard, shards, seed, parse); err != nil {
				return nil, err
			}
			t.eps[first].weight = *tg.Weight
			t.total += *tg.Weight
			continue
		}
		ep := endpoint{name: tg.Name, method: tg.Method, path: tg.Path, weight: *tg.Weight, headers: map[string]*template.Template{}, journey: -1}
		var err error
		if ep.url, err = parse(tg.Name+".path", tg.Path); err != nil {
			return nil, err
		}
		body := tg.Body
		if tg.BodyFile != "" {
			data, err := suite.ReadBodyFile(lt.Dir, tg.BodyFile)
			if err != nil {
				return nil, fmt.Errorf("loadtest %q: endpoint %q: %w", lt.Name, tg.Name, err)
			}
			body = string(data)
		}
		if ep.body, err = parse(tg.Name+".body", body); err != nil {
			return nil, err
		}
		for k, v := range tg.Headers {
			if ep.headers[k], err = parse(tg.Name+".headers."+k, v); err != nil {
				return nil, err
			}
		}
		t.eps = append(t.eps, ep)
		t.total += ep.weight
	}
	return t, nil
}

// next fills tgt with the next request: an endpoint chosen by weight, its
// templates rendered; with journeys, what their Pace handed out.
func (t *targeter) next(tgt *vegeta.Target) error {
	var rd ready
	if t.users != nil {
		var ok bool
		if rd, ok = t.users.popReady(); !ok {
			return fmt.Errorf("no send was due: the journeys' pacer and the targeter disagree")
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if rd.u != nil {
		return t.renderStep(tgt, rd)
	}
	idx := rd.ep
	if t.users == nil {
		idx = t.pick(t.rng)
	}
	ep := &t.eps[idx]
	path, err := t.render(ep.url)
	if err != nil {
		return fmt.Errorf("endpoint %q: path: %w", ep.name, err)
	}
	body, err := t.render(ep.body)
	if err != nil {
		return fmt.Errorf("endpoint %q: body: %w", ep.name, err)
	}
	tgt.Method = ep.method
	tgt.URL = t.base + path + endpointMark + strconv.Itoa(idx)
	if t.users != nil {
		tgt.URL = t.base + path + mark(idx, rd.due.Sub(t.users.p.start()), 0)
	}
	tgt.Body = []byte(body)
	tgt.Header = t.headers.Clone()
	for k, tpl := range ep.headers {
		v, err := t.render(tpl)
		if err != nil {
			return fmt.Errorf("endpoint %q: header %s: %w", ep.name, k, err)
		}
		tgt.Header.Set(k, v)
	}
	return nil
}

// pick draws an endpoint by the weights of arrivals, from rng (which the
// caller owns or locks).
func (t *targeter) pick(rng *rand.Rand) int {
	n := rng.IntN(t.total)
	for i, ep := range t.eps {
		if n < ep.weight {
			return i
		}
		n -= ep.weight
	}
	return 0
}

func (t *targeter) render(tpl *template.Template) (string, error) {
	if text, ok := t.static[tpl]; ok {
		return text, nil
	}
	t.buf.Reset()
	if err := tpl.Execute(&t.buf, nil); err != nil {
		return "", err
	}
	return t.buf.String(), nil
}

// endpointOf returns the endpoint index a result's URL carries, or -1.
func endpointOf(url string) int {
	i := strings.LastIndex(url, endpointMark)
	if i < 0 {
		return -1
	}
	n, err := strconv.Atoi(url[i+len(endpointMark):])
	if err != nil {
		if ep, _, _, ok := parseMark(url); ok {
			return ep
		}
		return -1
	}
	return n
}
