package scenarios

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/probe-dev/probe/suite"
)

// excerptLen bounds how much of a response a reason quotes.
const excerptLen = 200

// capture takes the values cs name from res into the run's captures, and
// returns why each one it could not take failed, naming the expression and
// what the response held instead.
func (hr *httpRun) capture(cs []*suite.Capture, res response) []string {
	var reasons []string
	for _, c := range cs {
		v, err := captureValue(c, res, hr.jar)
		if err != nil {
			reasons = append(reasons, fmt.Sprintf("capture %s: %v", c.Name, err))
			continue
		}
		hr.env.Captures[c.Name] = v
		if c.Secret {
			hr.secrets = hr.secrets.With(v)
		}
	}
	return reasons
}

func captureValue(c *suite.Capture, res response, jar http.CookieJar) (string, error) {
	switch {
	case c.JSON != "":
		path, err := suite.ParseJSONPath(c.JSON)
		if err != nil { // validation parsed it already; this is a guard
			return "", err
		}
		var doc any
		if err := json.Unmarshal(res.body, &doc); err != nil {
			return "", fmt.Errorf("%s: the body is not JSON (%v); it begins %s", c.JSON, err, excerpt(res.body))
		}
		v, ok := path.Lookup(doc)
		if !ok {
			return "", fmt.Errorf("%s found nothing in the body %s", c.JSON, excerpt(res.body))
		}
		return jsonText(v), nil
	case c.Regex != "":
		m := regexp.MustCompile(c.Regex).FindSubmatch(res.body) // validation compiled it
		if m == nil {
			return "", fmt.Errorf("/%s/ matches nothing in the body %s", c.Regex, excerpt(res.body))
		}
		if len(m) > 1 {
			return string(m[1]), nil
		}
		return string(m[0]), nil
	case c.Header != "":
		v, ok := res.header[http.CanonicalHeaderKey(c.Header)]
		if !ok || len(v) == 0 {
			return "", fmt.Errorf("no header %s in the response; it has %s", c.Header, orNone(slices.Sorted(maps.Keys(res.header))))
		}
		return v[0], nil
	case c.Cookie != "":
		var names []string
		for _, ck := range res.cookies {
			if ck.Name == c.Cookie {
				return ck.Value, nil
			}
			names = append(names, ck.Name)
		}
		if jar != nil && res.url != nil {
			for _, ck := range jar.Cookies(res.url) {
				if ck.Name == c.Cookie {
					return ck.Value, nil
				}
			}
		}
		return "", fmt.Errorf("no cookie %s: the response sets %s, and the run holds no such cookie", c.Cookie, orNone(names))
	case c.Status:
		return strconv.Itoa(res.code), nil
	}
	return "", fmt.Errorf("names nothing to capture") // validation refuses this
}

// excerpt quotes the start of a body for a reason, on one line.
func excerpt(body []byte) string {
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
