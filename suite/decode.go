package suite

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// position is where a value stands in its file.
type position struct{ line, col int }

// decoder turns one file's YAML nodes into the model, strictly: every unknown
// key, wrong type, missing field or bad value becomes an Error, and decoding
// goes on so that all mistakes are reported at once.
type decoder struct {
	file   string
	errs   Errors
	pos    map[string]position // field path → position of its value
	expand *expander
	budget int // nodes left to visit; stops alias bombs
}

const nodeBudget = 200_000

func newDecoder(file string, ex *expander) *decoder {
	return &decoder{file: file, pos: map[string]position{}, expand: ex, budget: nodeBudget}
}

func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	e := Error{File: d.file, Path: path, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	d.errs = append(d.errs, e)
}

// at returns an Error placed at the value of path, or at the nearest parent
// that was seen; validation uses it after decoding.
func (d *decoder) at(path, format string, args ...any) Error {
	e := Error{File: d.file, Path: path, Msg: fmt.Sprintf(format, args...)}
	for p := path; ; p = parentPath(p) {
		if ps, ok := d.pos[p]; ok {
			e.Line, e.Column = ps.line, ps.col
			return e
		}
		if p == "" {
			return e
		}
	}
}

// has reports whether the file gives the key at path, even as an empty value.
func (d *decoder) has(path string) bool {
	_, ok := d.pos[path]
	return ok
}

func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

func joinPath(parent, key string) string {
	if !plainKey.MatchString(key) {
		key = strconv.Quote(key)
		return parent + "[" + key + "]"
	}
	if parent == "" {
		return key
	}
	return parent + "." + key
}

var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		v := n.Value
		if len(v) > 40 {
			v = v[:40] + "…"
		}
		return strconv.Quote(v)
	}
	return "nothing"
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

// fieldInfo is what the struct tags say about one field.
type fieldInfo struct {
	index    int
	key      string
	doc      string
	enum     []string
	required bool
	nonempty bool
	oneof    bool
	listable bool
	max      int // the largest whole number allowed; 0: no bound
}

func fieldsOf(t reflect.Type) []fieldInfo {
	var fs []fieldInfo
	for i := range t.NumField() {
		sf := t.Field(i)
		key := sf.Tag.Get("yaml")
		if key == "" || key == "-" {
			continue
		}
		f := fieldInfo{index: i, key: key, doc: sf.Tag.Get("doc")}
		if e := sf.Tag.Get("enum"); e != "" {
			f.enum = strings.Split(e, ",")
		}
		if m := sf.Tag.Get("max"); m != "" {
			var err error
			if f.max, err = strconv.Atoi(m); err != nil || f.max < 1 {
				panic(fmt.Sprintf("suite: field %s: max:%q is not a whole number above 0", sf.Name, m)) // a typo in the model
			}
		}
		for _, opt := range strings.Split(sf.Tag.Get("probe"), ",") {
			switch opt {
			case "required":
				f.required = true
			case "nonempty":
				f.nonempty = true
			case "oneof":
				f.oneof = true
			case "listable":
				f.listable = true
			}
		}
		fs = append(fs, f)
	}
	return fs
}

var scalarType = reflect.TypeFor[scalar]()

// decode fills v from n. f describes the field v belongs to (enum, listable).
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string, f fieldInfo) {
	if d.budget--; d.budget < 0 {
		if d.budget == -1 {
			d.errorf(n, path, "file has more than %d values, counting each use of an alias; a suite file is small, so look for an alias that repeats itself", nodeBudget)
		}
		return
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	d.pos[path] = position{n.Line, n.Column}
	if isNull(n) {
		return
	}
	if v.Kind() == reflect.Pointer {
		nv := reflect.New(v.Type().Elem())
		d.decode(n, nv.Elem(), path, f)
		v.Set(nv)
		return
	}
	if v.CanAddr() && v.Addr().Type().Implements(scalarType) {
		d.decodeScalar(n, v.Addr().Interface().(scalar), path)
		return
	}
	switch v.Kind() {
	case reflect.String:
		if s, ok := d.text(n, path); ok {
			if len(f.enum) > 0 && !slices.Contains(f.enum, s) {
				d.errorf(n, path, "%q is not one of %s%s", s, strings.Join(f.enum, ", "), suggest(s, f.enum))
				return
			}
			if f.nonempty && s == "" {
				d.errorf(n, path, "want a value, got an empty text")
				return
			}
			v.SetString(s)
		}
	case reflect.Bool:
		if n.Kind == yaml.ScalarNode && n.Tag != "!!bool" {
			d.errorf(n, path, "want true or false, got %s", describe(n))
			return
		}
		if s, ok := d.text(n, path); ok {
			switch s {
			case "true":
				v.SetBool(true)
			case "false":
				v.SetBool(false)
			default:
				d.errorf(n, path, "want true or false, got %s", describe(n))
			}
		}
	case reflect.Int:
		if n.Kind == yaml.ScalarNode && n.Tag != "!!int" && (n.Tag != "!!float" || !allDigits(n.Value)) {
			d.errorf(n, path, "want a whole number of at least 0, got %s", describe(n))
			return
		}
		if s, ok := d.text(n, path); ok {
			i, err := strconv.Atoi(s)
			if errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(s, "-") {
				d.errorf(n, path, "%s is too large for a whole number here", s)
				return
			}
			if err != nil || i < 0 {
				d.errorf(n, path, "want a whole number of at least 0, got %s", describe(n))
				return
			}
			if f.max > 0 && i > f.max {
				d.errorf(n, path, "want a whole number from 0 to %d, got %d", f.max, i)
				return
			}
			v.SetInt(int64(i))
		}
	case reflect.Slice:
		d.decodeList(n, v, path, f)
	case reflect.Map:
		d.decodeMap(n, v, path)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	default:
		panic(fmt.Sprintf("suite: no decoder for %s", v.Type()))
	}
}

// text returns a scalar's value with ${VAR} expanded.
func (d *decoder) text(n *yaml.Node, path string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, path, "want a single value, got %s", describe(n))
		return "", false
	}
	s, err := d.expand.expand(n.Value)
	if err != nil {
		d.errorf(n, path, "%v", err)
		return "", false
	}
	return s, true
}

func (d *decoder) decodeScalar(n *yaml.Node, s scalar, path string) {
	text, ok := d.text(n, path)
	if !ok {
		return
	}
	if err := s.parse(text); err != nil {
		d.errorf(n, path, "%v", err)
	}
}

func (d *decoder) decodeList(n *yaml.Node, v reflect.Value, path string, f fieldInfo) {
	items := n.Content
	switch {
	case n.Kind == yaml.SequenceNode:
	case n.Kind == yaml.ScalarNode && f.listable:
		items = []*yaml.Node{n}
	default:
		d.errorf(n, path, "want a list, got %s", describe(n))
		return
	}
	out := reflect.MakeSlice(v.Type(), len(items), len(items))
	for i, item := range items {
		if isNull(item) {
			d.errorf(item, fmt.Sprintf("%s[%d]", path, i), "empty list item: remove the lone '-' or give it a value")
			continue
		}
		d.decode(item, out.Index(i), fmt.Sprintf("%s[%d]", path, i), fieldInfo{})
	}
	v.Set(out)
}

func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "want a mapping of names to values, got %s", describe(n))
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Value == "" {
			d.errorf(k, path, "want a name as key, got %s", describe(k))
			continue
		}
		kp := joinPath(path, k.Value)
		if seen[k.Value] {
			d.errorf(k, kp, "%q is given twice", k.Value)
			continue
		}
		seen[k.Value] = true
		if isNull(val) {
			d.errorf(k, kp, "%q has no value", k.Value)
			continue
		}
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(val, elem, kp, fieldInfo{})
		m.SetMapIndex(reflect.ValueOf(k.Value), elem)
	}
	v.Set(m)
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	fields := fieldsOf(v.Type())
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "want a mapping with keys %s, got %s", keyList(fields), describe(n))
		return
	}
	byKey := map[string]fieldInfo{}
	var keys []string
	for _, f := range fields {
		byKey[f.key] = f
		keys = append(keys, f.key)
	}
	present := map[string]bool{}
	var oneofs []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		f, ok := byKey[k.Value]
		kp := joinPath(path, k.Value)
		switch {
		case k.Kind != yaml.ScalarNode:
			d.errorf(k, path, "want a key name, got %s", describe(k))
		case !ok:
			d.errorf(k, kp, "unknown field %q%s", k.Value, suggest(k.Value, keys))
		case present[k.Value]:
			d.errorf(k, kp, "%q is given twice", k.Value)
		default:
			present[k.Value] = true
			if isNull(val) {
				// An empty value counts as absent, so required fields still report.
				present[k.Value] = false
			}
			if f.oneof && !isNull(val) {
				oneofs = append(oneofs, k.Value)
			}
			d.decode(val, v.Field(f.index), kp, f)
		}
	}
	var choices []string
	for _, f := range fields {
		if f.required && !present[f.key] {
			d.errorf(n, path, "missing required field %q", f.key)
		}
		if f.oneof {
			choices = append(choices, f.key)
		}
	}
	switch {
	case len(choices) == 0:
	case len(oneofs) == 0:
		d.errorf(n, path, "needs exactly one of %s", strings.Join(choices, ", "))
	case len(oneofs) > 1:
		d.errorf(n, path, "has %s; give exactly one of %s", strings.Join(oneofs, " and "), strings.Join(choices, ", "))
	}
}

func keyList(fields []fieldInfo) string {
	keys := make([]string, 0, len(fields))
	for _, f := range fields {
		keys = append(keys, f.key)
	}
	if len(keys) > 4 {
		keys = append(keys[:4], "…")
	}
	return strings.Join(keys, ", ")
}

// allDigits reports whether s is a run of decimal digits: YAML tags one too
// large for an int as a float, and it deserves "too large", not "not a number".
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
