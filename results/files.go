package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxFileSize bounds what is read of one result file (a run, a summary, a
// drill, a report bundle): a day-long load test's summary is about 15 MB.
// /dev/zero given as a result file took 24 GB before it was killed.
const MaxFileSize = 256 << 20

// Schemas of the files that are not a run (runs carry a version number).
const (
	ReportSchema = "probe.report/v1" // a bundle of results (--report json)
	DrillSchema  = "probe.drill/v1"  // one capacity drill
)

// FileKind is what one JSON file probe wrote holds.
type FileKind string

// The kinds of result file.
const (
	FileRun     FileKind = "run"
	FileSummary FileKind = "summary"
	FileReport  FileKind = "report"
	FileDrill   FileKind = "drill"
)

// Describe names the kind and the command that writes it, for messages.
func (k FileKind) Describe() string {
	switch k {
	case FileRun:
		return "a scenario run (probe check)"
	case FileSummary:
		return "a load test's summary (probe load)"
	case FileReport:
		return "a report bundle (--report json)"
	case FileDrill:
		return "a capacity drill (probe drill)"
	}
	return string(k)
}

// ErrUnknownFile is a file that is no result probe wrote.
var ErrUnknownFile = errors.New("not a probe result")

const wantAny = "want a run (probe check), a summary (probe load), a drill (probe drill) or a report (--report json)"

// Sniff says which kind of result data holds, from its schema (or, for a
// run, its scenario), without reading it whole. Every reader of result files
// goes through it, so a file of the wrong kind is named as such.
func Sniff(data []byte) (FileKind, error) {
	trimmed := bytes.TrimSpace(data)
	switch {
	case len(trimmed) == 0:
		return "", fmt.Errorf("%w: the file is empty; %s", ErrUnknownFile, wantAny)
	case trimmed[0] != '{':
		what := "not JSON"
		if json.Valid(trimmed) {
			what = "JSON, but not an object"
			if trimmed[0] == '[' {
				what = "a JSON array"
			}
		}
		return "", fmt.Errorf("%w: it is %s; %s", ErrUnknownFile, what, wantAny)
	}
	var head struct {
		Schema   string `json:"schema"`
		Scenario string `json:"scenario"`
	}
	if err := json.Unmarshal(trimmed, &head); err != nil {
		return "", fmt.Errorf("%w: not valid JSON (%v); %s", ErrUnknownFile, err, wantAny)
	}
	switch {
	case head.Schema == SummarySchema:
		return FileSummary, nil
	case head.Schema == ReportSchema:
		return FileReport, nil
	case head.Schema == DrillSchema:
		return FileDrill, nil
	case head.Schema == "" && head.Scenario != "":
		return FileRun, nil
	case strings.HasPrefix(head.Schema, "probe."):
		return "", fmt.Errorf("%w: schema %q is not one this probe reads (%s, %s, %s); was it written by another version?",
			ErrUnknownFile, head.Schema, SummarySchema, DrillSchema, ReportSchema)
	}
	return "", fmt.Errorf("%w: %s", ErrUnknownFile, wantAny)
}

// WantKind sniffs data and refuses any kind but want, saying what it holds.
func WantKind(data []byte, want FileKind) error {
	k, err := Sniff(data)
	if err != nil {
		return err
	}
	if k != want {
		return fmt.Errorf("this is %s; want %s", k.Describe(), want.Describe())
	}
	return nil
}

// writeJSON writes v as indented JSON: every results file's form.
func writeJSON(w io.Writer, v any, what string) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write %s: %w", what, err)
	}
	return nil
}

// readJSON reads one results file into v, refusing fields it does not know.
func readJSON(r io.Reader, v any, what string) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("read %s: %w", what, err)
	}
	return nil
}

// WriteJSON writes d as indented, versioned JSON.
func (d *Drill) WriteJSON(w io.Writer) error {
	d.Schema = DrillSchema
	return writeJSON(w, d, fmt.Sprintf("drill of %q", d.LoadTest))
}

// ReadDrill reads a drill written by WriteJSON.
func ReadDrill(r io.Reader) (*Drill, error) {
	var d Drill
	if err := readJSON(r, &d, "drill"); err != nil {
		return nil, err
	}
	if d.Schema != DrillSchema {
		return nil, fmt.Errorf("read drill: schema %q, this probe reads %q", d.Schema, DrillSchema)
	}
	return &d, nil
}
