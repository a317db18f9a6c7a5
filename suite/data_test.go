package suite

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseData(t *testing.T) {
	cases := []struct {
		name, file, text string
		columns          []string
		rows             [][]string
	}{
		{"csv", "users.csv", "user,password\nann,a1\n\"bo, jr\",b2\n", []string{"user", "password"}, [][]string{{"ann", "a1"}, {"bo, jr", "b2"}}},
		{"csv with a byte-order mark and spaces", "u.CSV", "\ufeff user , id\r\nann,1\r\n", []string{"user", "id"}, [][]string{{"ann", "1"}}},
		{"json lines", "u.jsonl", `{"user":"ann","id":7,"vip":true}` + "\n\n" + `{"id":8.5,"user":"bo","vip":null}`,
			[]string{"id", "user", "vip"}, [][]string{{"7", "ann", "true"}, {"8.5", "bo", ""}}},
		{"ndjson", "u.ndjson", `{"sku":"A-1"}`, []string{"sku"}, [][]string{{"A-1"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ds, err := ParseData(tc.file, []byte(tc.text))
			require.NoError(t, err)
			assert.Equal(t, tc.columns, ds.Columns)
			assert.Equal(t, tc.rows, ds.Rows)
			assert.Equal(t, tc.file, ds.Name)
			assert.Equal(t, tc.rows[0][0], ds.Row(0)[tc.columns[0]])
		})
	}
}

func TestParseDataInvalid(t *testing.T) {
	cases := []struct{ name, file, text, want string }{
		{"extension", "u.txt", "a\n1\n", `u.txt: test data must be .csv (a header line naming the columns) or .jsonl (one JSON object a line), not ".txt"`},
		{"empty csv", "u.csv", "", "u.csv: empty; the first line names the columns, like user,password"},
		{"header only", "u.csv", "user\n", "u.csv: no rows of data"},
		{"field count", "u.csv", "user,id\nann,1\nbo\n", "u.csv:3: this row has a different number of fields from the header line; quote values that hold a comma"},
		{"bare quote", "u.csv", "user\nan\"n\n", `u.csv:2:3: bare " in non-quoted-field`},
		{"empty column", "u.csv", "user,\nann,1\n", "u.csv:1: column 2: a column needs a name"},
		{"bad column", "u.csv", "user-name\nann\n", `u.csv:1: column 1: column name "user-name": use letters, digits and _`},
		{"twice", "u.csv", "id,id\n1,2\n", `u.csv:1: column 2: column "id" is named twice`},
		{"not an object", "u.jsonl", `{"a":"1"}` + "\n[1]\n", `u.jsonl:2: each line must be one JSON object`},
		{"two values", "u.jsonl", `{"a":"1"} {"a":"2"}`, "u.jsonl:1: more than one JSON value on the line"},
		{"other keys", "u.jsonl", `{"a":"1"}` + "\n" + `{"b":"1"}`, "u.jsonl:2: keys b differ from the first row's a; every row needs the same keys"},
		{"nested", "u.jsonl", `{"a":{"b":1}}`, `u.jsonl:1: key "a": an object or array is not a value a template can use`},
		{"bad key", "u.jsonl", `{"a b":1}`, `u.jsonl:1: column name "a b"`},
		{"blank jsonl", "u.jsonl", "\n \n", "u.jsonl: no rows of data"},
		// found by FuzzParseData: an empty object made a row without values
		{"empty object", "u.jsonl", "{}", `u.jsonl:1: an empty object gives a journey no values; name them, like {"user": "ann"}`},
		{"empty object first", "u.jsonl", "{}\n" + `{"a":"1"}`, "u.jsonl:1: an empty object"},
		{"empty object later", "u.jsonl", `{"a":"1"}` + "\n{}", "u.jsonl:2: an empty object"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseData(tc.file, []byte(tc.text))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestReadDataFile(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "users.csv"), []byte("user\nann\n"), 0o644))
	ds, err := ReadDataFile(dir, "users.csv")
	require.NoError(t, err)
	assert.Equal(t, [][]string{{"ann"}}, ds.Rows)
	_, err = ReadDataFile(dir, "missing.csv")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "missing.csv")
	_, err = ReadDataFile(dir, ".")
	require.Error(t, err)
}

func FuzzParseData(f *testing.F) {
	for _, s := range []string{"user,password\nann,a1\n", "a\n\"x\"\"y\",\n", `{"a":1}` + "\n" + `{"a":"x"}`, `{"a":[1]}`, "\ufeffa\n1"} {
		f.Add("d.csv", s)
		f.Add("d.jsonl", s)
	}
	f.Fuzz(func(t *testing.T, name, text string) {
		ds, err := ParseData(name, []byte(text))
		if err != nil {
			if !strings.Contains(err.Error(), name) {
				t.Fatalf("error %q does not name the file %q", err, name)
			}
			return
		}
		if len(ds.Rows) == 0 || len(ds.Columns) == 0 {
			t.Fatalf("no error but %d rows, %d columns", len(ds.Rows), len(ds.Columns))
		}
		for i, r := range ds.Rows {
			if len(r) != len(ds.Columns) {
				t.Fatalf("row %d has %d values for %d columns", i, len(r), len(ds.Columns))
			}
		}
	})
}
