package suite

import "testing"

// BenchmarkLoadExample measures loading and validating the reference suite,
// which `probe run` does at start and on every SIGHUP.
func BenchmarkLoadExample(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(exampleDir, WithLookupEnv(noEnv)); err != nil {
			b.Fatal(err)
		}
	}
}
