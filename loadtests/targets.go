package loadtests

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
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

// endpoint is one target of a load test, ready to render requests.
type endpoint struct {
	name, method, path string
	url                *template.Template
	body               *template.Template
	headers            map[string]*template.Template
	weight             int
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

	mu  sync.Mutex
	rng *rand.Rand
	env suite.TemplateEnv
	buf bytes.Buffer
}

func newTargeter(lt *suite.LoadTest, baseURL string, headers, vars map[string]string, seed uint64) (*targeter, error) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	t := &targeter{base: strings.TrimSuffix(baseURL, "/"), headers: http.Header{}, rng: rng,
		env: suite.TemplateEnv{Rand: rng, Vars: vars, Seq: new(atomic.Int64)}}
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
	for _, tg := range lt.Targets {
		ep := endpoint{name: tg.Name, method: tg.Method, path: tg.Path, weight: *tg.Weight, headers: map[string]*template.Template{}}
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
// templates rendered.
func (t *targeter) next(tgt *vegeta.Target) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	pick := t.rng.IntN(t.total)
	idx := 0
	for i, ep := range t.eps {
		if pick < ep.weight {
			idx = i
			break
		}
		pick -= ep.weight
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
		return -1
	}
	return n
}
