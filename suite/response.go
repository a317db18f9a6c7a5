package suite

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// excerptLen bounds how much of a response a reason quotes.
const excerptLen = 200

// Response is what a step's expectations and captures look at: an http
// check's answer, or a journey step's under load.
type Response struct {
	Code     int
	Header   http.Header
	Body     []byte
	Took     time.Duration
	DaysLeft *int
	Read     int64 // nonzero: the body was longer and only its first Read bytes are in Body
	Cookies  []*http.Cookie
	URL      *url.URL // of the last request, after redirects
}

// Check returns why the response breaks ex, one reason per broken
// expectation, or nil when all hold.
func (ex *Expect) Check(res Response) []string {
	if ex == nil {
		ex = &Expect{}
	}
	var reasons []string
	fail := func(format string, args ...any) { reasons = append(reasons, fmt.Sprintf(format, args...)) }

	switch {
	case len(ex.Status) == 0 && (res.Code < 200 || res.Code > 299):
		fail("status %d, want 2xx", res.Code)
	case len(ex.Status) > 0 && !slices.Contains(ex.Status, res.Code):
		fail("status %d, want %s", res.Code, joinInts(ex.Status))
	}
	for _, name := range sortedKeys(ex.Headers) {
		want := ex.Headers[name]
		got, ok := res.Header[http.CanonicalHeaderKey(name)]
		switch {
		case !ok:
			fail("header %s missing, want it to contain %q", name, want)
		case !strings.Contains(strings.Join(got, ", "), want):
			fail("header %s is %q, want it to contain %q", name, strings.Join(got, ", "), want)
		}
	}
	body := string(res.Body)
	read := ""
	if res.Read > 0 {
		read = fmt.Sprintf(" (only its first %s were read)", byteSize(res.Read))
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
		reasons = append(reasons, checkJSON(ex.JSON, res.Body)...)
	}
	if ex.MaxLatency > 0 && res.Took > ex.MaxLatency.Std() {
		fail("took %s, want at most %s", res.Took.Round(time.Millisecond), ex.MaxLatency)
	}
	if ex.TLSDaysLeft != nil {
		switch {
		case res.DaysLeft == nil:
			fail("no TLS certificate, want one valid %d more days", *ex.TLSDaysLeft)
		case *res.DaysLeft < *ex.TLSDaysLeft:
			fail("TLS certificate expires in %d days, want at least %d", *res.DaysLeft, *ex.TLSDaysLeft)
		}
	}
	return reasons
}

func checkJSON(checks []*JSONCheck, body []byte) []string {
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		return []string{fmt.Sprintf("body is not JSON: %v", err)}
	}
	var reasons []string
	for _, c := range checks {
		path, err := ParseJSONPath(c.Path)
		if err != nil { // validation parsed it already; this is a guard
			reasons = append(reasons, err.Error())
			continue
		}
		v, found := path.Lookup(doc)
		text := JSONText(v)
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

// JSONText writes a JSON value as the suite compares it: strings bare, the rest
// as JSON.
func JSONText(v any) string {
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

// Value takes the capture's value from res; jar, if set, holds the
// cookies of the run so far.
func (c *Capture) Value(res Response, jar http.CookieJar) (string, error) {
	switch {
	case c.JSON != "":
		path, err := ParseJSONPath(c.JSON)
		if err != nil { // validation parsed it already; this is a guard
			return "", err
		}
		var doc any
		if err := json.Unmarshal(res.Body, &doc); err != nil {
			return "", fmt.Errorf("%s: the body is not JSON (%v); it begins %s", c.JSON, err, Excerpt(res.Body))
		}
		v, ok := path.Lookup(doc)
		if !ok {
			return "", fmt.Errorf("%s found nothing in the body %s", c.JSON, Excerpt(res.Body))
		}
		return JSONText(v), nil
	case c.Regex != "":
		m := regexp.MustCompile(c.Regex).FindSubmatch(res.Body) // validation compiled it
		if m == nil {
			return "", fmt.Errorf("/%s/ matches nothing in the body %s", c.Regex, Excerpt(res.Body))
		}
		if len(m) > 1 {
			return string(m[1]), nil
		}
		return string(m[0]), nil
	case c.Header != "":
		v, ok := res.Header[http.CanonicalHeaderKey(c.Header)]
		if !ok || len(v) == 0 {
			return "", fmt.Errorf("no header %s in the response; it has %s", c.Header, orNone(slices.Sorted(maps.Keys(res.Header))))
		}
		return v[0], nil
	case c.Cookie != "":
		var names []string
		for _, ck := range res.Cookies {
			if ck.Name == c.Cookie {
				return ck.Value, nil
			}
			names = append(names, ck.Name)
		}
		if jar != nil && res.URL != nil {
			for _, ck := range jar.Cookies(res.URL) {
				if ck.Name == c.Cookie {
					return ck.Value, nil
				}
			}
		}
		return "", fmt.Errorf("no cookie %s: the response sets %s, and the run holds no such cookie", c.Cookie, orNone(names))
	case c.Status:
		return strconv.Itoa(res.Code), nil
	}
	return "", fmt.Errorf("names nothing to capture") // validation refuses this
}

// Excerpt quotes the start of a body for a reason, on one line.
func Excerpt(body []byte) string {
	if len(body) == 0 {
		return "(empty)"
	}
	cut := len(body) > excerptLen
	if cut {
		// Cut at the start of a character, not inside one; strconv.Quote
		// writes any invalid byte as an escape.
		n := excerptLen
		for n > 0 && !utf8.RuneStart(body[n]) {
			n--
		}
		body = body[:n]
	}
	s := strconv.Quote(string(body))
	if cut {
		s += "…"
	}
	return s
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// byteSize writes a byte count for a person.
func byteSize(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}
