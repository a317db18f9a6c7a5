package suite

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCaptureValue(t *testing.T) {
	u, _ := url.Parse("http://127.0.0.1/a")
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	jar.SetCookies(u, []*http.Cookie{{Name: "kept", Value: "from-the-jar"}})
	res := Response{Code: 201, Body: []byte(`{"order": {"id": 42, "ok": true}, "list": [1, 2]}`),
		Header:  http.Header{"Location": {"/orders/42"}, "X-Two": {"first", "second"}},
		Cookies: []*http.Cookie{{Name: "session", Value: "s1"}}, URL: u}
	tests := []struct {
		name string
		c    Capture
		want string
		err  string
	}{
		{"json number", Capture{JSON: "$.order.id"}, "42", ""},
		{"json object as JSON", Capture{JSON: "$.order"}, `{"id":42,"ok":true}`, ""},
		{"dotted", Capture{JSON: "list.1"}, "2", ""},
		{"json missing", Capture{JSON: "$.order.nope"}, "", `$.order.nope found nothing in the body "{\"order\": {\"id\": 42, \"ok\": true}, \"list\": [1, 2]}"`},
		{"regex group", Capture{Regex: `"id": (\d+)`}, "42", ""},
		{"regex whole match", Capture{Regex: `\[[0-9, ]+\]`}, "[1, 2]", ""},
		{"regex no match", Capture{Regex: `token=(\w+)`}, "", `/token=(\w+)/ matches nothing in the body`},
		{"header", Capture{Header: "location"}, "/orders/42", ""},
		{"header's first value", Capture{Header: "X-Two"}, "first", ""},
		{"header missing", Capture{Header: "X-Token"}, "", "no header X-Token in the response; it has Location, X-Two"},
		{"cookie the response sets", Capture{Cookie: "session"}, "s1", ""},
		{"cookie of the run", Capture{Cookie: "kept"}, "from-the-jar", ""},
		{"cookie missing", Capture{Cookie: "auth"}, "", "no cookie auth: the response sets session, and the run holds no such cookie"},
		{"status", Capture{Status: true}, "201", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.c.Value(res, jar)
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	_, err = (&Capture{JSON: "$.a"}).Value(Response{Body: []byte("<html>")}, nil)
	assert.ErrorContains(t, err, `$.a: the body is not JSON (invalid character '<' looking for beginning of value); it begins "<html>"`)
}

// FuzzCaptureValue: whatever the body and the path, a JSON capture returns a
// value or a one-line reason that names the path and quotes a bounded,
// valid piece of the body.
func FuzzCaptureValue(f *testing.F) {
	f.Add([]byte(`{"token": "abc", "items": [{"id": 1}]}`), "$.items[0].id")
	f.Add([]byte(`not json`), "$.token")
	f.Add([]byte("{\"a\": \"\xff\xfe\"}"), "a")
	f.Add([]byte(strings.Repeat("é", 300)), "$.x")
	f.Fuzz(func(t *testing.T, body []byte, path string) {
		if _, err := ParseJSONPath(path); err != nil {
			return // validation refuses it before a run
		}
		_, err := (&Capture{Name: "x", JSON: path}).Value(Response{Body: body}, nil)
		if err == nil {
			return
		}
		msg := err.Error()
		rest, ok := strings.CutPrefix(msg, path)
		if !ok || strings.Contains(rest, "\n") || !utf8.ValidString(msg) {
			t.Fatalf("reason %q: want valid text, the path, then the body quoted on one line", msg)
		}
		if len(msg) > len(path)+6*excerptLen+200 {
			t.Fatalf("reason of %d bytes quotes too much of the body", len(msg))
		}
	})
}

// TestExcerpt: a reason quotes at most excerptLen bytes of a body, cut at a
// character's start, with invalid bytes escaped rather than lost.
func TestExcerpt(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"empty", "", "(empty)"},
		{"short", "ok", `"ok"`},
		{"cut inside a character", strings.Repeat("a", excerptLen-1) + "é" + "rest", `"` + strings.Repeat("a", excerptLen-1) + `"…`},
		{"binary first, then text", "\xff" + strings.Repeat("b", 300), `"\xff` + strings.Repeat("b", excerptLen-1) + `"…`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Excerpt([]byte(tt.body))
			assert.Equal(t, tt.want, got)
			assert.True(t, utf8.ValidString(got))
		})
	}
}
