package suite

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestJSONPath(t *testing.T) {
	const doc = `{"items": [{"id": 7, "name": "Mug", "tags": ["a", "b"]}, {"id": 9}], "count": 2, "0": "zero", "a.b": 1}`
	var d any
	require.NoError(t, json.Unmarshal([]byte(doc), &d))
	tests := []struct {
		path  string
		want  any
		found bool
	}{
		{"$.count", 2.0, true},
		{"$.items[0].name", "Mug", true},
		{"$.items[-1].id", 9.0, true},
		{"$.items[*].id", 7.0, true}, // several: the first counts
		{"$..tags[1]", "b", true},
		{"$.items[?@.id > 8].id", 9.0, true},
		{"$['a.b']", 1.0, true},
		{"$.nope", nil, false},
		{"$.items[5]", nil, false},
		{"items.0.name", "Mug", true}, // the dotted form of earlier suites
		{"items.1.id", 9.0, true},
		{"0", "zero", true}, // a digit is a key in an object
		{"items.x", nil, false},
		{"count.deeper", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			p, err := ParseJSONPath(tt.path)
			require.NoError(t, err)
			got, found := p.Lookup(d)
			assert.Equal(t, tt.found, found)
			assert.Equal(t, tt.want, got)
		})
	}
}

// FuzzJSONPath: any text either parses or says why with the path in the
// message, and a parsed path looks anything up without panicking.
func FuzzJSONPath(f *testing.F) {
	for _, s := range []string{"$.a", "$.items[0].id", "$..x", "$[?@.a==1]", "$[", "items.0.id", "a..b", "", "$.a b", "$[?length(@.x) > 2]"} {
		f.Add(s, []byte(`{"a": {"x": [1, "two", null]}, "items": [{"id": 1}]}`))
	}
	f.Fuzz(func(t *testing.T, path string, doc []byte) {
		p, err := ParseJSONPath(path)
		if err != nil {
			if !strings.Contains(strings.ToLower(err.Error()), "path") {
				t.Fatalf("error %q does not say it is about a path", err)
			}
			return
		}
		var d any
		_ = json.Unmarshal(doc, &d) // invalid JSON leaves nil, which must be fine too
		p.Lookup(d)
		if p.String() != path {
			t.Fatalf("String() = %q, want %q", p.String(), path)
		}
	})
}
