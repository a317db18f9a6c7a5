package scenarios

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/probe-dev/probe/suite"
)

// response is what expectations look at.
type response struct {
	code     int
	header   http.Header
	body     []byte
	took     time.Duration
	daysLeft *int
	cut      bool // the body was longer than maxBody; body holds its start
	cookies  []*http.Cookie
	url      *url.URL // of the last request, after redirects
}

// check returns why the response breaks ex, one reason per broken
// expectation, or nil when all hold.
func check(ex *suite.Expect, res response) []string {
	if ex == nil {
		ex = &suite.Expect{}
	}
	var reasons []string
	fail := func(format string, args ...any) { reasons = append(reasons, fmt.Sprintf(format, args...)) }

	switch {
	case len(ex.Status) == 0 && (res.code < 200 || res.code > 299):
		fail("status %d, want 2xx", res.code)
	case len(ex.Status) > 0 && !slices.Contains(ex.Status, res.code):
		fail("status %d, want %s", res.code, joinInts(ex.Status))
	}
	for _, name := range sortedKeys(ex.Headers) {
		want := ex.Headers[name]
		got, ok := res.header[http.CanonicalHeaderKey(name)]
		switch {
		case !ok:
			fail("header %s missing, want it to contain %q", name, want)
		case !strings.Contains(strings.Join(got, ", "), want):
			fail("header %s is %q, want it to contain %q", name, strings.Join(got, ", "), want)
		}
	}
	body := string(res.body)
	read := ""
	if res.cut {
		read = fmt.Sprintf(" (only its first %d MiB were read)", maxBody>>20)
	}
	for _, s := range ex.BodyContains {
		if !strings.Contains(body, s) {
			fail("body lacks %q%s", s, read)
		}
	}
	for _, s := range ex.BodyLacks {
		if strings.Contains(body, s) {
			fail("body contains %q, which it must not", s)
		}
	}
	for _, re := range ex.BodyRegex {
		// Validation compiled it already; MustCompile cannot fail here.
		if !regexp.MustCompile(re).MatchString(body) {
			fail("body does not match /%s/%s", re, read)
		}
	}
	if len(ex.JSON) > 0 {
		reasons = append(reasons, checkJSON(ex.JSON, res.body)...)
	}
	if ex.MaxLatency > 0 && res.took > ex.MaxLatency.Std() {
		fail("took %s, want at most %s", res.took.Round(time.Millisecond), ex.MaxLatency)
	}
	if ex.TLSDaysLeft != nil {
		switch {
		case res.daysLeft == nil:
			fail("no TLS certificate, want one valid %d more days", *ex.TLSDaysLeft)
		case *res.daysLeft < *ex.TLSDaysLeft:
			fail("TLS certificate expires in %d days, want at least %d", *res.daysLeft, *ex.TLSDaysLeft)
		}
	}
	return reasons
}

func checkJSON(checks []*suite.JSONCheck, body []byte) []string {
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		return []string{fmt.Sprintf("body is not JSON: %v", err)}
	}
	var reasons []string
	for _, c := range checks {
		path, err := suite.ParseJSONPath(c.Path)
		if err != nil { // validation parsed it already; this is a guard
			reasons = append(reasons, err.Error())
			continue
		}
		v, found := path.Lookup(doc)
		text := jsonText(v)
		switch {
		case c.Exists != nil && *c.Exists != found:
			if found {
				reasons = append(reasons, fmt.Sprintf("json %s exists, want it absent", c.Path))
			} else {
				reasons = append(reasons, fmt.Sprintf("json %s missing", c.Path))
			}
		case c.Exists != nil:
		case !found:
			reasons = append(reasons, fmt.Sprintf("json %s missing", c.Path))
		case c.Equals != "" && text != c.Equals:
			reasons = append(reasons, fmt.Sprintf("json %s is %s, want %s", c.Path, text, c.Equals))
		case c.Regex != "" && !regexp.MustCompile(c.Regex).MatchString(text):
			reasons = append(reasons, fmt.Sprintf("json %s is %s, want a match of /%s/", c.Path, text, c.Regex))
		}
	}
	return reasons
}

// jsonText writes a JSON value as the suite compares it: strings bare, the rest
// as JSON.
func jsonText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, " or ")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
