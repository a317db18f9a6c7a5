package suite

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// MaxDataFile bounds a test-data file: rows are held in memory for the run.
const MaxDataFile = 64 << 20

// How a journey takes rows of its test data (DataRef.Mode).
const (
	DataUnique   = "unique"   // each row once; the test stops when they run out
	DataCircular = "circular" // in order, again from the start after the last
	DataRandom   = "random"   // any row, each time
)

// Dataset is the rows of a journey's test data. Each column is a template
// value of the journey's steps; every row has every column.
type Dataset struct {
	Name    string // the file, as the suite names it, for messages
	Columns []string
	Rows    [][]string // in file order; Rows[i][j] is column j
}

// Row returns row i as a map from column to value.
func (d *Dataset) Row(i int) map[string]string {
	m := make(map[string]string, len(d.Columns))
	for j, c := range d.Columns {
		m[c] = d.Rows[i][j]
	}
	return m
}

// ReadDataFile reads test data relative to dir (the folder of the suite
// file): CSV (.csv) or JSON lines (.jsonl, .ndjson), by its extension.
func ReadDataFile(dir, name string) (*Dataset, error) {
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	data, err := ReadRegular(path, MaxDataFile)
	if err != nil {
		return nil, err
	}
	return ParseData(name, data)
}

// ParseData parses test data named name; the extension says the format.
// Errors name the file and line and say what to write instead.
func ParseData(name string, data []byte) (*Dataset, error) {
	var (
		ds  *Dataset
		err error
	)
	switch ext := strings.ToLower(filepath.Ext(name)); ext {
	case ".csv":
		ds, err = parseCSV(name, data)
	case ".jsonl", ".ndjson":
		ds, err = parseJSONLines(name, data)
	default:
		return nil, fmt.Errorf("%s: test data must be .csv (a header line naming the columns) or .jsonl (one JSON object a line), not %q", name, ext)
	}
	if err != nil {
		return nil, err
	}
	if len(ds.Rows) == 0 {
		return nil, fmt.Errorf("%s: no rows of data; a journey that takes its values from it would have none to use", name)
	}
	return ds, nil
}

func parseCSV(name string, data []byte) (*Dataset, error) {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff")))) // a spreadsheet's byte-order mark
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: empty; the first line names the columns, like user,password", name)
	}
	if err != nil {
		return nil, csvError(name, err)
	}
	ds := &Dataset{Name: name}
	for i, c := range header {
		c = strings.TrimSpace(c)
		if err := checkColumn(ds.Columns, c); err != nil {
			return nil, fmt.Errorf("%s:1: column %d: %w", name, i+1, err)
		}
		ds.Columns = append(ds.Columns, c)
	}
	r.FieldsPerRecord = len(header)
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return ds, nil
		}
		if err != nil {
			return nil, csvError(name, err)
		}
		ds.Rows = append(ds.Rows, rec)
	}
}

func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			return fmt.Errorf("%s:%d: this row has a different number of fields from the header line; quote values that hold a comma", name, pe.Line)
		}
		return fmt.Errorf("%s:%d:%d: %v", name, pe.Line, pe.Column, pe.Err)
	}
	return fmt.Errorf("%s: %w", name, err)
}

func parseJSONLines(name string, data []byte) (*Dataset, error) {
	ds := &Dataset{Name: name}
	for n, line := range bytes.Split(data, []byte("\n")) {
		at := fmt.Sprintf("%s:%d", name, n+1)
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.UseNumber()
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil || obj == nil {
			return nil, fmt.Errorf(`%s: each line must be one JSON object, like {"user": "ann", "password": "x"}`, at)
		}
		if dec.More() {
			return nil, fmt.Errorf("%s: more than one JSON value on the line; give one object a line", at)
		}
		keys := slices.Sorted(maps.Keys(obj))
		if len(keys) == 0 {
			return nil, fmt.Errorf(`%s: an empty object gives a journey no values; name them, like {"user": "ann"}`, at)
		}
		if len(ds.Rows) == 0 {
			for _, k := range keys {
				if err := checkColumn(ds.Columns, k); err != nil {
					return nil, fmt.Errorf("%s: %w", at, err)
				}
				ds.Columns = append(ds.Columns, k)
			}
		} else if !slices.Equal(keys, ds.Columns) {
			return nil, fmt.Errorf("%s: keys %s differ from the first row's %s; every row needs the same keys", at, strings.Join(keys, ","), strings.Join(ds.Columns, ","))
		}
		row := make([]string, len(ds.Columns))
		for j, k := range ds.Columns {
			v, err := dataValue(obj[k])
			if err != nil {
				return nil, fmt.Errorf("%s: key %q: %w", at, k, err)
			}
			row[j] = v
		}
		ds.Rows = append(ds.Rows, row)
	}
	return ds, nil
}

// dataValue is a JSON scalar as template text.
func dataValue(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case json.Number:
		return v.String(), nil
	case bool:
		return strconv.FormatBool(v), nil
	case nil:
		return "", nil
	}
	return "", errors.New("an object or array is not a value a template can use; give a string or a number")
}

// checkColumn checks a column name against the ones before it: a template
// reads it as {{.name}}, so it must be an identifier.
func checkColumn(before []string, c string) error {
	switch {
	case c == "":
		return errors.New("a column needs a name")
	case !captureName.MatchString(c):
		return fmt.Errorf("column name %q: use letters, digits and _, starting with a letter or _", c)
	case slices.Contains(before, c):
		return fmt.Errorf("column %q is named twice", c)
	}
	return nil
}
