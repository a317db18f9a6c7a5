package demoapp

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// DefaultPassword is the password the checkout accepts unless told otherwise.
const DefaultPassword = "demo-password"

// maxSessions bounds the carts kept in memory: load tests create a session per
// request, and the shop must not grow without end.
const maxSessions = 10_000

// Product is one item of the shop's catalogue.
type Product struct {
	ID    int     `json:"id"`
	Name  string  `json:"name"`
	Price float64 `json:"price"`
}

// CartItem is one line of a cart.
type CartItem struct {
	ProductID int `json:"product_id"`
	Qty       int `json:"qty"`
}

// Shop is the demo shop: an http.Handler with its pages, JSON API, admin
// endpoints and fault injection. Create it with New.
type Shop struct {
	log      *slog.Logger
	password string
	products []Product
	stats    *stats
	reg      *prometheus.Registry
	mux      *http.ServeMux

	mu        sync.Mutex
	faults    Faults
	sems      map[string]chan struct{} // capacity slots by route key ("*" shared)
	carts     map[string][]CartItem
	onOutage  func(Faults) // tells the Server to close or reopen its listener
	liftAt    *time.Timer
	tokens    map[string]token // bearer tokens of POST /api/login
	orderList map[int64]Order

	tokenTTL time.Duration
	now      func() time.Time // the clock tokens expire by; tests move it
	orders   atomic.Int64     // the last order id given
}

// Option configures a Shop.
type Option func(*Shop)

// WithPassword sets the password the checkout accepts.
func WithPassword(p string) Option { return func(s *Shop) { s.password = p } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *Shop) { s.log = l } }

// New returns a healthy shop with a catalogue of 20 products.
func New(opts ...Option) *Shop {
	s := &Shop{
		log:       slog.New(slog.DiscardHandler),
		password:  DefaultPassword,
		stats:     newStats(),
		reg:       prometheus.NewRegistry(),
		sems:      map[string]chan struct{}{},
		carts:     map[string][]CartItem{},
		tokens:    map[string]token{},
		orderList: map[int64]Order{},
		tokenTTL:  DefaultTokenTTL,
		now:       time.Now,
	}
	for _, o := range opts {
		o(s)
	}
	names := []string{"Espresso", "Teapot", "Mug", "Grinder", "Kettle", "Filter", "Scale", "Tamper", "Jar", "Spoon",
		"Beans", "Leaves", "Milk jug", "Timer", "Tray", "Cup", "Saucer", "Whisk", "Sieve", "Cloth"}
	for i, n := range names {
		s.products = append(s.products, Product{ID: i + 1, Name: n, Price: float64(5 + i*3)})
	}
	if err := s.stats.Register(s.reg); err != nil {
		panic(err) // a fresh registry cannot clash
	}
	s.mux = http.NewServeMux()
	for _, r := range routes(s) {
		s.mux.Handle(r.pattern, s.inject(r.name, r.handler))
	}
	// Browsers ask for an icon; answering keeps failed-request lists clean.
	s.mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	s.mux.HandleFunc("GET /_admin/faults", s.getFaults)
	s.mux.HandleFunc("PUT /_admin/faults", s.putFaults)
	s.mux.HandleFunc("POST /_admin/reset", s.reset)
	s.mux.HandleFunc("GET /_admin/stats", s.getStats)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
	return s
}

func (s *Shop) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Faults returns the faults in force.
func (s *Shop) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// SetFaults replaces the faults in force.
func (s *Shop) SetFaults(f Faults) error {
	if err := f.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	s.faults = f
	s.sems = map[string]chan struct{}{}
	for name, rf := range f.Routes {
		if rf.Capacity > 0 {
			s.sems[name] = make(chan struct{}, rf.Capacity)
		}
	}
	if s.liftAt != nil {
		s.liftAt.Stop()
		s.liftAt = nil
	}
	if f.Outage != OutageNone && f.OutageFor > 0 {
		s.liftAt = time.AfterFunc(f.OutageFor.Std(), s.liftOutage)
	}
	notify := s.onOutage
	s.mu.Unlock()
	if notify != nil {
		notify(f)
	}
	s.log.Info("faults set", "outage", f.Outage, "stall", f.Stall.Std(), "routes", len(f.Routes))
	return nil
}

func (s *Shop) liftOutage() {
	f := s.Faults()
	f.Outage, f.OutageFor = OutageNone, 0
	if err := s.SetFaults(f); err != nil {
		s.log.Error("lift outage", "err", err)
	}
}

// Stats returns the ground-truth counters of every route that was hit.
func (s *Shop) Stats() map[string]RouteStats { return s.stats.snapshot() }

// ResetStats zeroes the counters.
func (s *Shop) ResetStats() { s.stats.reset() }

// inject wraps a route's handler with the faults in force and the counters.
func (s *Shop) inject(route string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		f := s.faults
		rf := f.forRoute(route)
		sem := s.sems[route]
		if _, own := f.Routes[route]; !own {
			sem = s.sems[AllRoutes]
		}
		s.mu.Unlock()
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		injected := false
		defer func() { s.stats.done(route, rec.code, injected) }()

		switch f.Outage {
		case OutageRefuse:
			// Connections already open when the listener closed are cut too.
			rec.code = 0
			if hj, ok := w.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					c.Close()
					return
				}
			}
			http.Error(rec, "outage", http.StatusServiceUnavailable)
			return
		case Outage503:
			injected = true
			http.Error(rec, "service unavailable (injected outage)", http.StatusServiceUnavailable)
			return
		}
		ctx := r.Context()
		if !sleep(ctx, f.Stall.Std()) {
			rec.code = 499 // client gave up
			return
		}
		if sem != nil {
			s.stats.queue(route, 1)
			select {
			case sem <- struct{}{}:
				s.stats.queue(route, -1)
			case <-ctx.Done():
				s.stats.queue(route, -1)
				rec.code = 499
				return
			}
			s.stats.serve(route, 1)
			defer func() { s.stats.serve(route, -1); <-sem }()
			if !sleep(ctx, rf.ServiceTime.Std()) {
				rec.code = 499
				return
			}
		} else {
			s.stats.serve(route, 1)
			defer s.stats.serve(route, -1)
		}
		if !sleep(ctx, rf.Delay(s.rng())) {
			rec.code = 499
			return
		}
		if rf.ErrorRate > 0 && rand.Float64() < rf.ErrorRate {
			injected = true
			writeJSON(rec, http.StatusInternalServerError, map[string]string{"error": "injected error"})
			return
		}
		h(rec, r)
	})
}

// sleep waits d or until ctx ends; it reports whether the whole wait passed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

type statusRecorder struct {
	http.ResponseWriter
	code    int
	written bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.written {
		r.code, r.written = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.written = true
	return r.ResponseWriter.Write(b)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		// The client went away; nothing more to tell it.
		return
	}
}

// session returns the caller's session id, creating one (and its cookie).
func (s *Shop) session(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie("shop_session"); err == nil && len(c.Value) == 32 {
		return c.Value
	}
	var b [16]byte
	_, _ = crand.Read(b[:]) // crypto/rand.Read never fails on Linux
	id := hex.EncodeToString(b[:])
	http.SetCookie(w, &http.Cookie{Name: "shop_session", Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	return id
}

func (s *Shop) cart(id string) []CartItem {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.carts[id])
}

func (s *Shop) addToCart(id string, item CartItem) []CartItem {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.carts[id]; !ok && len(s.carts) >= maxSessions {
		clear(s.carts) // a demo shop forgets; memory stays bounded
	}
	items := s.carts[id]
	for i := range items {
		if items[i].ProductID == item.ProductID {
			items[i].Qty += item.Qty
			return slices.Clone(items)
		}
	}
	s.carts[id] = append(items, item)
	return slices.Clone(s.carts[id])
}

func (s *Shop) clearCart(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.carts, id)
}

func (s *Shop) product(idText string) (Product, bool) {
	id, err := strconv.Atoi(idText)
	if err != nil || id < 1 || id > len(s.products) {
		return Product{}, false
	}
	return s.products[id-1], true
}

// Admin endpoints.

func (s *Shop) getFaults(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Faults())
}

func (s *Shop) putFaults(w http.ResponseWriter, r *http.Request) {
	var f Faults
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("faults: %v", err)})
		return
	}
	if err := s.SetFaults(f); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, f)
}

func (s *Shop) reset(w http.ResponseWriter, _ *http.Request) {
	if err := s.SetFaults(Faults{}); err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	s.ResetStats()
	writeJSON(w, http.StatusOK, map[string]string{"status": "reset"})
}

func (s *Shop) getStats(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Stats())
}

var errCartEmpty = errors.New("cart is empty")

// rng is a generator for one request's draws (a *rand.Rand is not safe to
// share between handlers).
func (s *Shop) rng() *rand.Rand { return rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())) }
