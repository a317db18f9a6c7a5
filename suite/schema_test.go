package suite

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

var update = flag.Bool("update", false, "rewrite golden files")

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	b, err := Schema()
	require.NoError(t, err)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	require.NoError(t, c.AddResource("schema.json", doc))
	sch, err := c.Compile("schema.json")
	require.NoError(t, err)
	return sch
}

// yamlToJSON turns YAML text into the JSON value an editor's schema check sees.
func yamlToJSON(t *testing.T, text []byte) (any, bool) {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(text, &v); err != nil {
		return nil, false
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, false
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	require.NoError(t, err)
	return inst, true
}

func TestSchemaAcceptsExamples(t *testing.T) {
	sch := compileSchema(t)
	files, err := filepath.Glob(filepath.Join(exampleDir, "*.yaml"))
	require.NoError(t, err)
	more, err := filepath.Glob(filepath.Join(exampleDir, "*", "*.yaml"))
	require.NoError(t, err)
	files = append(files, more...)
	require.Len(t, files, 5)
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			inst, ok := yamlToJSON(t, data)
			require.True(t, ok)
			assert.NoError(t, sch.Validate(inst))
		})
	}
}

// TestSchemaAgreesWithLoader checks every bad case: the schema rejects exactly
// those the loader rejects while decoding; the rest need the loader's
// cross-checks, and the schema must accept them rather than guess.
func TestSchemaAgreesWithLoader(t *testing.T) {
	sch := compileSchema(t)
	for _, tt := range invalidCases {
		t.Run(tt.name, func(t *testing.T) {
			inst, ok := yamlToJSON(t, []byte(tt.yaml))
			if !ok {
				t.Skip("not YAML: no editor schema check runs")
			}
			err := sch.Validate(inst)
			if tt.schemaCatches {
				assert.Error(t, err, "the loader rejects this while decoding; the schema must too")
			} else {
				assert.NoError(t, err, "the schema must not reject what only cross-checks catch")
			}
		})
	}
}

func TestSchemaGolden(t *testing.T) {
	got, err := Schema()
	require.NoError(t, err)
	got = append(got, '\n')
	golden := filepath.Join("..", "examples", "schema.json")
	if *update {
		require.NoError(t, os.WriteFile(golden, got, 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "run 'make schema' to write it")
	assert.Equal(t, string(want), string(got), "examples/schema.json is stale: run 'make schema'")
}
