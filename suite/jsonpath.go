package suite

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/theory/jsonpath"
)

// JSONPath finds a value in a decoded JSON document. A path that starts with
// $ is RFC 9535 JSONPath, run by github.com/theory/jsonpath; any other is the
// dotted form of earlier suites (items.0.name: object keys, and list indexes
// where the value is a list), which stays valid.
type JSONPath struct {
	text   string
	rfc    *jsonpath.Path
	dotted []string
}

// ParseJSONPath parses a path of either form.
func ParseJSONPath(s string) (JSONPath, error) {
	if strings.TrimSpace(s) == "" {
		return JSONPath{}, fmt.Errorf("empty JSON path: write one like $.items[0].id")
	}
	if !utf8.ValidString(s) {
		return JSONPath{}, fmt.Errorf("JSON path %q is not valid UTF-8", s)
	}
	if strings.HasPrefix(s, "$") {
		p, err := jsonpath.Parse(s)
		if err != nil {
			return JSONPath{}, fmt.Errorf("bad JSONPath %q: %s (RFC 9535, like $.items[0].id)", s, strings.TrimPrefix(err.Error(), "jsonpath: "))
		}
		return JSONPath{text: s, rfc: p}, nil
	}
	parts := strings.Split(s, ".")
	for i, p := range parts {
		if p == "" {
			return JSONPath{}, fmt.Errorf("bad dotted path %q: part %d is empty; write keys and indexes between dots, like items.0.id, or a JSONPath like $.items[0].id", s, i+1)
		}
	}
	return JSONPath{text: s, dotted: parts}, nil
}

func (p JSONPath) String() string { return p.text }

// Lookup returns the first value the path selects in doc, and whether there
// is one.
func (p JSONPath) Lookup(doc any) (any, bool) {
	if p.rfc != nil {
		nodes := p.rfc.Select(doc)
		if len(nodes) == 0 {
			return nil, false
		}
		return nodes[0], true
	}
	cur := doc
	for _, part := range p.dotted {
		switch v := cur.(type) {
		case map[string]any:
			next, ok := v[part]
			if !ok {
				return nil, false
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(v) {
				return nil, false
			}
			cur = v[i]
		default:
			return nil, false
		}
	}
	return cur, p.dotted != nil
}
