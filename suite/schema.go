package suite

import (
	"encoding/json"
	"reflect"
)

// SchemaID names the schema; editors match it through yaml-language-server.
const SchemaID = "https://probe.dev/schema/suite-v1.json"

// Schema returns the JSON Schema (draft 2020-12) of one suite file, made from
// the same types and tags the loader decodes with. What it cannot say
// (references between items, unique names, regular expressions that compile)
// is left to `probe validate`.
func Schema() ([]byte, error) {
	g := schemaGen{defs: map[string]any{}}
	root := g.structSchema(reflect.TypeFor[File]())
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["$id"] = SchemaID
	root["title"] = "probe suite file"
	root["$defs"] = g.defs
	return json.MarshalIndent(root, "", "  ")
}

type schemaGen struct {
	defs map[string]any
}

var scalarSchemaType = reflect.TypeFor[scalarSchema]()

// nullable allows an empty value, which the loader reads as "not set".
func nullable(s map[string]any) map[string]any {
	return map[string]any{"anyOf": []any{s, map[string]any{"type": "null"}}}
}

func (g *schemaGen) typeSchema(t reflect.Type, f fieldInfo) map[string]any {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Implements(scalarSchemaType) {
		pattern, example := reflect.Zero(t).Interface().(scalarSchema).schemaPattern()
		return map[string]any{"type": "string", "pattern": pattern, "examples": []string{example}}
	}
	switch t.Kind() {
	case reflect.String:
		if len(f.enum) > 0 {
			return map[string]any{"type": "string", "enum": f.enum}
		}
		// YAML reads 5 or true as a number or boolean; the loader takes its text.
		s := map[string]any{"type": []string{"string", "number", "boolean"}}
		if f.nonempty {
			s["minLength"] = 1
		}
		return s
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int:
		s := map[string]any{"type": "integer", "minimum": 0}
		if f.max > 0 {
			s["maximum"] = f.max
		}
		return s
	case reflect.Slice:
		item := g.typeSchema(t.Elem(), fieldInfo{})
		list := map[string]any{"type": "array", "items": item}
		if f.listable {
			return map[string]any{"anyOf": []any{item, list}}
		}
		return list
	case reflect.Map:
		val := g.typeSchema(t.Elem(), fieldInfo{})
		return map[string]any{"type": "object", "additionalProperties": val}
	case reflect.Struct:
		name := t.Name()
		if _, ok := g.defs[name]; !ok {
			g.defs[name] = true // placeholder against recursion
			g.defs[name] = g.structSchema(t)
		}
		return map[string]any{"$ref": "#/$defs/" + name}
	}
	panic("suite: no schema for " + t.String())
}

func (g *schemaGen) structSchema(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required, oneof []string
	for _, f := range fieldsOf(t) {
		s := g.typeSchema(t.Field(f.index).Type, f)
		if f.doc != "" {
			s = map[string]any{"description": f.doc, "allOf": []any{s}}
		}
		if !f.required {
			s = nullable(s)
		}
		props[f.key] = s
		if f.required {
			required = append(required, f.key)
		}
		if f.oneof {
			oneof = append(oneof, f.key)
		}
	}
	s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		s["required"] = required
	}
	if len(oneof) > 0 {
		// Exactly one of the group is present and not empty.
		var alts []any
		for _, k := range oneof {
			notOthers := []any{}
			for _, o := range oneof {
				if o != k {
					notOthers = append(notOthers, map[string]any{"not": map[string]any{"required": []string{o}, "properties": map[string]any{o: map[string]any{"not": map[string]any{"type": "null"}}}}})
				}
			}
			alts = append(alts, map[string]any{
				"required":   []string{k},
				"properties": map[string]any{k: map[string]any{"not": map[string]any{"type": "null"}}},
				"allOf":      notOthers,
			})
		}
		s["oneOf"] = alts
	}
	return s
}
