package demoapp

import (
	"cmp"
	crand "crypto/rand"
	"encoding/hex"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DefaultTokenTTL is how long a token of POST /api/login is good for.
const DefaultTokenTTL = 15 * time.Minute

// maxOrders bounds the orders kept, as maxSessions bounds the carts.
const maxOrders = 10_000

// Order is one order the checkout took, as the orders API shows it.
type Order struct {
	ID      int64      `json:"id"`
	Email   string     `json:"email"`
	Items   []CartItem `json:"items"`
	Created time.Time  `json:"created"`
}

type token struct {
	email   string
	expires time.Time
}

// WithTokenTTL sets how long login tokens stay valid.
func WithTokenTTL(d time.Duration) Option { return func(s *Shop) { s.tokenTTL = d } }

// Orders returns how many orders the shop holds: the ground truth a test
// compares a flow's results with.
func (s *Shop) Orders() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.orderList)
}

// Carts returns the carts the shop holds, by session: the ground truth of
// what journeys added (a checkout empties its cart).
func (s *Shop) Carts() map[string][]CartItem {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string][]CartItem, len(s.carts))
	for id, items := range s.carts {
		out[id] = slices.Clone(items)
	}
	return out
}

// Tokens returns every login token the shop holds, so that a test can look
// for them where they must not be.
func (s *Shop) Tokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Collect(maps.Keys(s.tokens))
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// apiLogin answers a good e-mail and password with a bearer token and its
// expiry, as an API client's login does.
func (s *Shop) apiLogin(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if err := decodeBody(w, r, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	switch {
	case !strings.Contains(req.Email, "@"):
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "enter a valid e-mail address"})
		return
	case req.Password != s.password:
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "wrong password"})
		return
	}
	var b [20]byte
	_, _ = crand.Read(b[:]) // crypto/rand.Read never fails on Linux
	tok := hex.EncodeToString(b[:])
	expires := s.now().Add(s.tokenTTL)
	s.mu.Lock()
	if len(s.tokens) >= maxSessions {
		clear(s.tokens) // a demo shop forgets; memory stays bounded
	}
	s.tokens[tok] = token{email: req.Email, expires: expires}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"token": tok, "token_type": "Bearer",
		"expires_in": int(s.tokenTTL.Seconds()), "expires_at": expires.UTC().Format(time.RFC3339)})
}

// authorized returns the e-mail of the request's valid bearer token, or
// answers 401 and returns false.
func (s *Shop) authorized(w http.ResponseWriter, r *http.Request) (string, bool) {
	refuse := func(why string) (string, bool) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="shop"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": why})
		return "", false
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return refuse("missing bearer token: log in with POST /api/login")
	}
	s.mu.Lock()
	t, known := s.tokens[tok]
	s.mu.Unlock()
	switch {
	case !known:
		return refuse("unknown token")
	case !s.now().Before(t.expires):
		return refuse("token expired: log in again")
	}
	return t.email, true
}

// hasBearer reports whether the request brings a token at all, so that the
// checkout knows to check it rather than a password.
func hasBearer(r *http.Request) bool { return r.Header.Get("Authorization") != "" }

func (s *Shop) addOrder(email string, items []CartItem) int64 {
	id := s.orders.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.orderList) >= maxOrders {
		clear(s.orderList)
	}
	s.orderList[id] = Order{ID: id, Email: email, Items: slices.Clone(items), Created: s.now().UTC()}
	return id
}

func (s *Shop) apiOrders(w http.ResponseWriter, r *http.Request) {
	email, ok := s.authorized(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	list := []Order{}
	for _, o := range s.orderList {
		if o.Email == email {
			list = append(list, o)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(list, func(a, b Order) int { return cmp.Compare(a.ID, b.ID) })
	writeJSON(w, http.StatusOK, map[string]any{"orders": list, "count": len(list)})
}

// order finds the caller's order named in the path; another user's order is
// as absent as one that does not exist.
func (s *Shop) order(w http.ResponseWriter, r *http.Request) (Order, bool) {
	email, ok := s.authorized(w, r)
	if !ok {
		return Order{}, false
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	s.mu.Lock()
	o, found := s.orderList[id]
	s.mu.Unlock()
	if err != nil || !found || o.Email != email {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such order"})
		return Order{}, false
	}
	return o, true
}

func (s *Shop) apiOrder(w http.ResponseWriter, r *http.Request) {
	if o, ok := s.order(w, r); ok {
		writeJSON(w, http.StatusOK, o)
	}
}

func (s *Shop) apiDeleteOrder(w http.ResponseWriter, r *http.Request) {
	o, ok := s.order(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	delete(s.orderList, o.ID)
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}
