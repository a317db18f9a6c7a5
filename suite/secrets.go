package suite

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// LookupEnv reads one environment variable; os.LookupEnv in production, a map
// in tests.
type LookupEnv func(name string) (string, bool)

// expander expands ${VAR} and ${VAR:-default} from the environment and
// remembers the values of secret variables so they can be redacted later.
// $${ stands for a literal ${.
type expander struct {
	lookup  LookupEnv
	secret  map[string]bool // variable names declared secret
	values  map[string]bool // secret values seen
	missing map[string]bool
}

var (
	varName      = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	secretLooker = regexp.MustCompile(`(?i)(password|passwd|secret|token|api_?key|private_?key|credential)`)
)

func newExpander(lookup LookupEnv, secretNames []string) *expander {
	ex := &expander{lookup: lookup, secret: map[string]bool{}, values: map[string]bool{}, missing: map[string]bool{}}
	for _, n := range secretNames {
		ex.secret[n] = true
	}
	return ex
}

func (ex *expander) isSecret(name string) bool {
	return ex.secret[name] || secretLooker.MatchString(name)
}

func (ex *expander) expand(s string) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		if i > 0 && s[i-1] == '$' {
			b.WriteString(s[:i-1])
			b.WriteString("${")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", errors.New("unclosed ${: write ${NAME}, or $${ for a literal ${")
		}
		v, err := ex.variable(s[i+2 : i+end])
		if err != nil {
			return "", err
		}
		b.WriteString(v)
		s = s[i+end+1:]
	}
}

func (ex *expander) variable(expr string) (string, error) {
	name, def, hasDef := strings.Cut(expr, ":-")
	if !varName.MatchString(name) {
		return "", fmt.Errorf("${%s}: %q is not a variable name (letters, digits and _)", expr, name)
	}
	v, ok := ex.lookup(name)
	if !ok || v == "" {
		if !hasDef {
			ex.missing[name] = true
			return "", fmt.Errorf("environment variable %s is not set: set it, or write ${%s:-default}", name, name)
		}
		v = def
	}
	if ex.isSecret(name) && v != "" {
		ex.values[v] = true
	}
	return v, nil
}

// Redactor hides secret values in text meant for people: output, logs,
// reports, Sentry events.
type Redactor struct {
	values []string // longest first, so a secret inside another is not half-hidden
}

// Redacted stands in for a secret.
const Redacted = "[redacted]"

func newRedactor(values map[string]bool) *Redactor {
	r := &Redactor{}
	for v := range values {
		r.values = append(r.values, v)
	}
	slices.SortFunc(r.values, func(a, b string) int { return len(b) - len(a) })
	return r
}

// With returns a Redactor that also hides values: secrets learnt at run
// time, such as a captured token. r may be nil.
func (r *Redactor) With(values ...string) *Redactor {
	set := map[string]bool{}
	if r != nil {
		for _, v := range r.values {
			set[v] = true
		}
	}
	for _, v := range values {
		if v != "" {
			set[v] = true
		}
	}
	return newRedactor(set)
}

// urlPassword is the password of a URL's user info (scheme://user:pw@):
// a secret whether or not the suite declares it, as in a --base-url.
var urlPassword = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*):[^/\s@]+@`)

func hasURLPassword(s string) bool {
	return strings.Contains(s, "://") && strings.Contains(s, "@") && urlPassword.MatchString(s)
}

// HideURLPasswords returns s with the password of every URL in it replaced
// by [redacted], for text no Redactor sees (a library's error).
func HideURLPasswords(s string) string {
	if hasURLPassword(s) {
		s = urlPassword.ReplaceAllString(s, "${1}:"+Redacted+"@")
	}
	return s
}

// Redact returns s with every secret value, and the password of every URL
// in it, replaced by [redacted]. r may be nil.
func (r *Redactor) Redact(s string) string {
	s = HideURLPasswords(s)
	if r == nil {
		return s
	}
	for _, v := range r.values {
		s = strings.ReplaceAll(s, v, Redacted)
	}
	return s
}

// Secret reports whether s holds a secret value or a URL's password.
func (r *Redactor) Secret(s string) bool {
	if hasURLPassword(s) {
		return true
	}
	if r == nil {
		return false
	}
	for _, v := range r.values {
		if strings.Contains(s, v) {
			return true
		}
	}
	return false
}
