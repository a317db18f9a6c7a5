// Package demotest starts the demo shop for other packages' tests.
package demotest

import (
	"testing"

	"github.com/probe-dev/probe/demoapp"
)

// Start serves a fresh shop with faults f on a free loopback port until the
// test ends, and returns it with its base URL.
func Start(tb testing.TB, f demoapp.Faults, opts ...demoapp.Option) (*demoapp.Shop, string) {
	tb.Helper()
	shop := demoapp.New(opts...)
	if err := shop.SetFaults(f); err != nil {
		tb.Fatalf("demo shop faults: %v", err)
	}
	srv, err := demoapp.Start(tb.Context(), shop, "127.0.0.1:0", "")
	if err != nil {
		tb.Fatalf("demo shop: %v", err)
	}
	tb.Cleanup(func() {
		if err := srv.Close(); err != nil {
			tb.Errorf("demo shop: %v", err)
		}
	})
	return shop, srv.URL()
}
