package demoapp

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkShopRoutes measures the shop's own cost per request, fault
// injection included, so a load test can tell its limits from the shop's.
func BenchmarkShopRoutes(b *testing.B) {
	shop := New()
	for _, path := range []string{"/api/health", "/api/products", "/products/3"} {
		b.Run(path, func(b *testing.B) {
			b.ReportAllocs()
			req := httptest.NewRequest(http.MethodGet, path, nil)
			for b.Loop() {
				w := httptest.NewRecorder()
				shop.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d", w.Code)
				}
			}
		})
	}
}
