package suite

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Suite is a loaded, validated suite with defaults applied.
type Suite struct {
	Path         string // the folder or file it was loaded from
	Files        []string
	Name         string
	Defaults     Defaults
	Environments map[string]*Environment
	SLOs         SLOs
	Scenarios    []*Scenario
	LoadTests    []*LoadTest
	Redactor     *Redactor
}

// EnvNames returns the environments' names, sorted.
func (s *Suite) EnvNames() []string {
	names := make([]string, 0, len(s.Environments))
	for n := range s.Environments {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Scenario returns the scenario called name, or nil.
func (s *Suite) Scenario(name string) *Scenario {
	for _, sc := range s.Scenarios {
		if sc.Name == name {
			return sc
		}
	}
	return nil
}

// GateEndpoints returns the endpoints a gate of the load test or scenario
// called name judges, as its gate: section and the gate's flags name them:
// a load test's targets (a journey's steps as "journey: step"), a
// scenario's steps. It is nil when the suite has no such load test or
// scenario.
func (s *Suite) GateEndpoints(name string) []string {
	var out []string
	if lt := s.LoadTest(name); lt != nil {
		for _, t := range lt.Targets {
			if !t.IsJourney() {
				out = append(out, t.Name)
			}
			for _, st := range t.Steps {
				out = append(out, StepEndpoint(t.Name, st.Name))
			}
		}
		return out
	}
	if sc := s.Scenario(name); sc != nil {
		for _, st := range HTTPSteps(sc) {
			out = append(out, st.Name)
		}
	}
	return out
}

// LoadTest returns the load test called name, or nil.
func (s *Suite) LoadTest(name string) *LoadTest {
	for _, lt := range s.LoadTests {
		if lt.Name == name {
			return lt
		}
	}
	return nil
}

// ErrNoSuite is returned when the path holds no suite.
var ErrNoSuite = errors.New("no suite found")

// Option changes how Load reads a suite.
type Option func(*loadOptions)

type loadOptions struct {
	lookup LookupEnv
}

// WithLookupEnv reads ${VAR} values through lookup instead of the process
// environment.
func WithLookupEnv(lookup LookupEnv) Option {
	return func(o *loadOptions) { o.lookup = lookup }
}

// Load reads the suite at path: a folder with probe.yaml and optional
// scenarios/*.yaml and loadtests/*.yaml, or one YAML file. Mistakes in the
// files come back as Errors (every one, sorted); a path that cannot be read
// comes back as a plain error.
func Load(path string, opts ...Option) (*Suite, error) {
	o := loadOptions{lookup: os.LookupEnv}
	for _, opt := range opts {
		opt(&o)
	}
	files, err := suiteFiles(path)
	if err != nil {
		return nil, err
	}
	sources := make([]source, 0, len(files))
	for _, f := range files {
		data, err := readFile(f)
		if err != nil {
			return nil, err
		}
		sources = append(sources, source{name: f, data: data})
	}
	s, err := loadSources(sources, o)
	if err != nil {
		return nil, err
	}
	s.Path = path
	return s, nil
}

// LoadBytes reads one suite file held in memory; name is used in errors.
func LoadBytes(name string, data []byte, opts ...Option) (*Suite, error) {
	o := loadOptions{lookup: os.LookupEnv}
	for _, opt := range opts {
		opt(&o)
	}
	s, err := loadSources([]source{{name: name, data: data}}, o)
	if err != nil {
		return nil, err
	}
	s.Path = name
	return s, nil
}

type source struct {
	name string
	data []byte
}

func readFile(name string) ([]byte, error) {
	data, err := ReadRegular(name, maxFileSize)
	if err != nil {
		return nil, fmt.Errorf("read suite: %w", err)
	}
	return data, nil
}

// suiteFiles lists the files of the suite at path, probe.yaml first.
func suiteFiles(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		if _, lerr := os.Lstat(path); errors.Is(err, fs.ErrNotExist) && lerr != nil {
			return nil, fmt.Errorf("%w at %s: give a folder with probe.yaml or a .yaml file", ErrNoSuite, path)
		}
		return nil, fmt.Errorf("read suite: %w", describeStatError(path, err))
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	var main string
	for _, n := range []string{"probe.yaml", "probe.yml"} {
		// Lstat: a probe.yaml that is a broken symlink is named as such by
		// readFile, not reported as missing.
		if _, err := os.Lstat(filepath.Join(path, n)); err == nil {
			main = filepath.Join(path, n)
			break
		}
	}
	if main == "" {
		return nil, fmt.Errorf("%w in %s: it has no probe.yaml (run 'probe validate examples/shop' to see a suite)", ErrNoSuite, path)
	}
	files := []string{main}
	for _, sub := range []string{"scenarios", "loadtests"} {
		var found []string
		for _, pat := range []string{"*.yaml", "*.yml"} {
			m, err := filepath.Glob(filepath.Join(path, sub, pat))
			if err != nil {
				return nil, fmt.Errorf("read suite: %w", err)
			}
			found = append(found, m...)
		}
		slices.Sort(found)
		files = append(files, found...)
	}
	return files, nil
}

// parsed is one file's decoded content and the decoder that knows its positions.
type parsed struct {
	file File
	dec  *decoder
}

func loadSources(sources []source, o loadOptions) (*Suite, error) {
	var errs Errors
	roots := make([]*yaml.Node, len(sources))
	var secretNames []string
	for i, src := range sources {
		root, err := parseYAML(src.name, src.data)
		if err != nil {
			errs = append(errs, *err)
			continue
		}
		roots[i] = root
		secretNames = append(secretNames, declaredSecrets(root)...)
	}
	ex := newExpander(o.lookup, secretNames)
	var files []parsed
	for i, root := range roots {
		if root == nil {
			continue
		}
		d := newDecoder(sources[i].name, ex)
		var f File
		d.decode(root, reflect.ValueOf(&f).Elem(), "", fieldInfo{})
		errs = append(errs, d.errs...)
		if d.budget < 0 {
			continue // half decoded: its gaps would be reported as mistakes
		}
		files = append(files, parsed{file: f, dec: d})
	}
	m := merge(files)
	m.errs = append(m.errs, errs...)
	errs = m.errs
	if len(files) == len(sources) {
		// With a file unparsed, references into it would be reported falsely.
		errs = append(errs, m.validate()...)
	}
	redactor := newRedactor(ex.values)
	if len(errs) > 0 {
		// Messages quote values, and a value may hold a secret.
		for i := range errs {
			errs[i].Msg = redactor.Redact(errs[i].Msg)
		}
		errs.sort()
		return nil, errs
	}
	s := m.build()
	s.Redactor = redactor
	for _, src := range sources {
		s.Files = append(s.Files, src.name)
	}
	return s, nil
}

// invalidUTF8 finds the first byte that is not UTF-8, as line and column.
func invalidUTF8(data []byte) (line, col int, found bool) {
	if utf8.Valid(data) {
		return 0, 0, false
	}
	line, col = 1, 1
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size <= 1 {
			return line, col, true
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		data = data[size:]
	}
	return line, col, true
}

// tabColumn returns the column of a tab in the leading white space of line
// (1-based), or 0.
func tabColumn(data []byte, line int) int {
	lines := bytes.Split(data, []byte("\n"))
	if line < 1 || line > len(lines) {
		return 0
	}
	l := lines[line-1]
	indent := len(l) - len(bytes.TrimLeft(l, " \t"))
	if i := bytes.IndexByte(l[:indent], '\t'); i >= 0 {
		return i + 1
	}
	return 0
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseYAML parses one file into its root node; an empty file is an empty
// mapping.
func parseYAML(name string, data []byte) (*yaml.Node, *Error) {
	if line, col, ok := invalidUTF8(data); ok {
		return nil, &Error{File: name, Line: line, Column: col, Msg: "not valid YAML: a byte that is not UTF-8; save the file as UTF-8"}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	err := dec.Decode(&doc)
	if errors.Is(err, io.EOF) {
		return &yaml.Node{Kind: yaml.MappingNode, Line: 1, Column: 1}, nil
	}
	if err != nil {
		e := &Error{File: name, Msg: "not valid YAML: " + err.Error()}
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			e.Line, _ = strconv.Atoi(m[1])
			e.Column = 1
			e.Msg = "not valid YAML: " + m[2]
			if col := tabColumn(data, e.Line); col > 0 {
				e.Column = col
				e.Msg = "not valid YAML: a tab; YAML does not allow tabs for indentation, indent with spaces"
			}
		}
		return nil, e
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		e := &Error{File: name, Line: 1, Column: 1, Msg: "holds more than one YAML document (---); put each in its own file"}
		if err == nil {
			e.Line, e.Column = extra.Line, extra.Column
		}
		return nil, e
	}
	if len(doc.Content) == 0 {
		return &yaml.Node{Kind: yaml.MappingNode, Line: 1, Column: 1}, nil
	}
	return doc.Content[0], nil
}

// declaredSecrets reads the secrets list of a root mapping before decoding, so
// that every file's ${VAR} knows which variables are secret.
func declaredSecrets(root *yaml.Node) []string {
	if root.Kind != yaml.MappingNode {
		return nil
	}
	var names []string
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "secrets" && root.Content[i+1].Kind == yaml.SequenceNode {
			for _, n := range root.Content[i+1].Content {
				names = append(names, n.Value)
			}
		}
	}
	return names
}
