package suite

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"sync/atomic"
	"text/template"
)

// TemplateEnv is what the template functions need at run time.
type TemplateEnv struct {
	Rand *rand.Rand        // source of random values; not safe for concurrent use
	Vars map[string]string // the environment's variables
	Seq  *atomic.Int64     // shared counter behind {{seq}}
}

// Funcs returns the functions load-test paths, bodies and headers may call:
//
//	{{randInt 1 20}}        a whole number from 1 to 20
//	{{randItem "a" "b"}}    one of the given texts
//	{{uuid}}                a random UUID (version 4)
//	{{seq}}                 1, 2, 3, … across the whole test
//	{{var "name"}}          the environment's variable
func Funcs(env TemplateEnv) template.FuncMap {
	return template.FuncMap{
		"randInt": func(lo, hi int) (int, error) {
			if hi < lo {
				return 0, fmt.Errorf("randInt %d %d: the second number must not be below the first", lo, hi)
			}
			return lo + env.Rand.IntN(hi-lo+1), nil
		},
		"randItem": func(items ...string) (string, error) {
			if len(items) == 0 {
				return "", fmt.Errorf("randItem needs at least one item")
			}
			return items[env.Rand.IntN(len(items))], nil
		},
		"uuid": func() string {
			var b [16]byte
			for i := range b {
				b[i] = byte(env.Rand.Uint32())
			}
			b[6] = b[6]&0x0f | 0x40
			b[8] = b[8]&0x3f | 0x80
			return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
		},
		"seq": func() int64 { return env.Seq.Add(1) },
		"var": func(name string) (string, error) {
			v, ok := env.Vars[name]
			if !ok {
				return "", fmt.Errorf("variable %q is not defined for this environment", name)
			}
			return v, nil
		},
	}
}

// ParseTemplate parses one templated text with the suite's functions.
func ParseTemplate(name, text string) (*template.Template, error) {
	t, err := template.New(name).Option("missingkey=error").Funcs(Funcs(TemplateEnv{})).Parse(text)
	if err != nil {
		// text/template prefixes "template: NAME:"; the suite error already says where.
		msg := err.Error()
		if _, rest, ok := strings.Cut(msg, name+":"); ok {
			msg = strings.TrimSpace(rest)
		}
		return nil, fmt.Errorf("bad template: %s", msg)
	}
	return t, nil
}

// templateVars lists the names passed to {{var "…"}} in text, so validation can
// check them against each environment.
func templateVars(text string) []string {
	var names []string
	for _, m := range varCall.FindAllStringSubmatch(text, -1) {
		names = append(names, m[1])
	}
	return names
}

var varCall = regexp.MustCompile(`\bvar\s+"([^"]*)"`)
