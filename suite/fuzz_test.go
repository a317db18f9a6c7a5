package suite

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds the loader arbitrary files: it must never panic, and it must
// return either a suite or suite errors that each name the file.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join(exampleDir, "*", "*.yaml"))
	seeds = append(seeds, filepath.Join(exampleDir, "probe.yaml"))
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, c := range invalidCases {
		f.Add([]byte(c.yaml))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := LoadBytes("fuzz.yaml", data, WithLookupEnv(noEnv))
		if err == nil {
			if s == nil || len(s.Environments) == 0 {
				t.Fatalf("valid suite without environments: %+v", s)
			}
			return
		}
		var errs Errors
		if !errors.As(err, &errs) || len(errs) == 0 {
			t.Fatalf("want suite errors, got %T %v", err, err)
		}
		for _, e := range errs {
			if e.File != "fuzz.yaml" || e.Msg == "" {
				t.Fatalf("error without place or message: %#v", e)
			}
		}
	})
}
