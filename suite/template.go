package suite

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"sync/atomic"
	"text/template"
	"text/template/parse"
)

// ErrNoCapture is the error of {{capture "name"}} when no step has taken the
// value yet; a cleanup step that meets it has nothing to clean up.
var ErrNoCapture = errors.New("no value captured")

// TemplateEnv is what the template functions need at run time.
type TemplateEnv struct {
	Rand *rand.Rand        // source of random values; not safe for concurrent use
	Vars map[string]string // the environment's variables
	Seq  *atomic.Int64     // shared counter behind {{seq}}
	// Captures are the values earlier steps of an http scenario captured,
	// behind {{capture "name"}}.
	Captures map[string]string
	// Data is the row of test data a journey's user holds, behind
	// {{data "column"}}.
	Data map[string]string
}

// Funcs returns the functions load-test targets and the requests of http
// scenarios may call:
//
//	{{randInt 1 20}}        a whole number from 1 to 20
//	{{randItem "a" "b"}}    one of the given texts
//	{{uuid}}                a random UUID (version 4)
//	{{seq}}                 1, 2, 3, … across the whole test
//	{{var "name"}}          the environment's variable
//	{{capture "name"}}      a value an earlier step captured (http scenarios, journeys)
//	{{data "column"}}       the column of the journey's row of test data
func Funcs(env TemplateEnv) template.FuncMap {
	return template.FuncMap{
		"randInt": func(lo, hi int) (int, error) {
			if hi < lo {
				return 0, fmt.Errorf("randInt %d %d: the second number must not be below the first", lo, hi)
			}
			// hi-lo+1 overflows an int on the widest ranges (randInt 0
			// 9223372036854775807); as a uint64 it only wraps to 0 on the
			// whole range, where every int is a draw.
			n := uint64(hi-lo) + 1
			if n == 0 {
				return int(env.Rand.Uint64()), nil
			}
			return lo + int(env.Rand.Uint64N(n)), nil
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
		"data": func(column string) (string, error) {
			v, ok := env.Data[column]
			if !ok {
				return "", fmt.Errorf("data %q: the journey's row has no such column", column)
			}
			return v, nil
		},
		"capture": func(name string) (string, error) {
			v, ok := env.Captures[name]
			if !ok {
				return "", fmt.Errorf("capture %q: %w: the step that takes it did not run, or found nothing", name, ErrNoCapture)
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
	if err := checkCalls(t.Tree.Root); err != nil {
		return nil, fmt.Errorf("bad template: %w", err)
	}
	return t, nil
}

// checkCalls checks the arguments of every call to a suite function that
// text/template leaves to run time: their number, and their kind and order
// where they are written as literals. A mistake then fails validation, not
// the first request of a load test.
func checkCalls(n parse.Node) error {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return nil
		}
		for _, c := range n.Nodes {
			if err := checkCalls(c); err != nil {
				return err
			}
		}
	case *parse.ActionNode:
		return checkPipe(n.Pipe)
	case *parse.IfNode:
		return checkBranch(&n.BranchNode)
	case *parse.RangeNode:
		return checkBranch(&n.BranchNode)
	case *parse.WithNode:
		return checkBranch(&n.BranchNode)
	}
	return nil
}

func checkBranch(b *parse.BranchNode) error {
	if err := checkPipe(b.Pipe); err != nil {
		return err
	}
	if err := checkCalls(b.List); err != nil {
		return err
	}
	return checkCalls(b.ElseList)
}

func checkPipe(p *parse.PipeNode) error {
	if p == nil {
		return nil
	}
	for _, c := range p.Cmds {
		if err := checkCommand(c); err != nil {
			return err
		}
	}
	return nil
}

func checkCommand(c *parse.CommandNode) error {
	for _, a := range c.Args {
		if sub, ok := a.(*parse.PipeNode); ok {
			if err := checkPipe(sub); err != nil {
				return err
			}
		}
	}
	id, ok := c.Args[0].(*parse.IdentifierNode)
	if !ok {
		return nil
	}
	args := c.Args[1:]
	switch id.Ident {
	case "randInt":
		if len(args) != 2 {
			return fmt.Errorf("randInt takes two whole numbers, like {{randInt 1 20}}; got %d arguments", len(args))
		}
		lo, loOK := literalInt(args[0])
		hi, hiOK := literalInt(args[1])
		for _, a := range args {
			if isLiteral(a) {
				if _, ok := literalInt(a); !ok {
					return fmt.Errorf("randInt takes whole numbers, like {{randInt 1 20}}; %s is not one", a)
				}
			}
		}
		if loOK && hiOK && hi < lo {
			return fmt.Errorf("randInt %d %d: the second number must not be below the first", lo, hi)
		}
	case "randItem":
		if len(args) == 0 {
			return errors.New(`randItem needs at least one item, like {{randItem "a" "b"}}`)
		}
	case "uuid", "seq":
		if len(args) != 0 {
			return fmt.Errorf("%s takes no arguments", id.Ident)
		}
	case "var", "capture", "data":
		example := map[string]string{"var": "user", "capture": "token", "data": "email"}[id.Ident]
		if len(args) != 1 {
			return fmt.Errorf(`%s takes one name, like {{%s %q}}; got %d arguments`, id.Ident, id.Ident, example, len(args))
		}
		_, quoted := args[0].(*parse.StringNode)
		// A capture's name must be written out, so validation can check it
		// against the steps before it; a data column's, against the file.
		if !quoted && (id.Ident != "var" || isLiteral(args[0])) {
			return fmt.Errorf(`%s takes a quoted name, like {{%s %q}}; %s is not one`, id.Ident, id.Ident, example, args[0])
		}
	}
	return nil
}

func isLiteral(n parse.Node) bool {
	switch n.(type) {
	case *parse.NumberNode, *parse.StringNode, *parse.BoolNode, *parse.NilNode:
		return true
	}
	return false
}

func literalInt(n parse.Node) (int64, bool) {
	num, ok := n.(*parse.NumberNode)
	if !ok || !num.IsInt {
		return 0, false
	}
	return num.Int64, true
}

// templateNames lists the names passed to {{var "…"}}, {{capture "…"}} or
// {{data "…"}} (fn) in text, so validation can check them against each
// environment, the captures of earlier steps and the journey's data.
func templateNames(fn, text string) []string {
	var names []string
	for _, m := range nameCall.FindAllStringSubmatch(text, -1) {
		if m[1] == fn {
			names = append(names, m[2])
		}
	}
	return names
}

var nameCall = regexp.MustCompile(`\b(var|capture|data)\s+"([^"]*)"`)
