package demoapp

import (
	"bytes"
	"embed"
	"encoding/json"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

//go:embed web/*.html
var webFS embed.FS

var pages = template.Must(template.ParseFS(webFS, "web/*.html"))

// route is one shop route: a name for faults and counters, a ServeMux pattern
// and its handler.
type route struct {
	name    string
	pattern string
	handler http.HandlerFunc
}

func routes(s *Shop) []route {
	return []route{
		{"home", "GET /{$}", s.page("home.html", "Home")},
		{"products", "GET /products", s.page("products.html", "Products")},
		{"product", "GET /products/{id}", s.productPage},
		{"cart", "GET /cart", s.page("cart.html", "Cart")},
		{"checkout", "GET /checkout", s.page("checkout.html", "Checkout")},
		{"order", "GET /order/{id}", s.orderPage},
		{"api.health", "GET /api/health", s.health},
		{"api.products", "GET /api/products", s.apiProducts},
		{"api.product", "GET /api/products/{id}", s.apiProduct},
		{"api.cart", "GET /api/cart", s.apiCart},
		{"api.cart.add", "POST /api/cart", s.apiAddToCart},
		{"api.checkout", "POST /api/checkout", s.apiCheckout},
		{"api.login", "POST /api/login", s.apiLogin},
		{"api.orders", "GET /api/orders", s.apiOrders},
		{"api.order", "GET /api/orders/{id}", s.apiOrder},
		{"api.order.delete", "DELETE /api/orders/{id}", s.apiDeleteOrder},
	}
}

// RouteNames lists the names faults and counters use, sorted.
func RouteNames() []string {
	var names []string
	for _, r := range routes(&Shop{}) {
		names = append(names, r.name)
	}
	slices.Sort(names)
	return names
}

func knownRoute(name string) bool { return slices.Contains(RouteNames(), name) }

type pageData struct {
	Title     string
	CartCount int
	Products  []Product
	Product   Product
	Items     []struct {
		Name string
		Qty  int
	}
	OrderID string
}

func (s *Shop) render(w http.ResponseWriter, r *http.Request, name string, d pageData) {
	items := s.cart(s.session(w, r))
	for _, it := range items {
		d.CartCount += it.Qty
		p, _ := s.product(itoa(it.ProductID))
		d.Items = append(d.Items, struct {
			Name string
			Qty  int
		}{p.Name, it.Qty})
	}
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, d); err != nil {
		s.log.Error("render page", "page", name, "err", err)
		http.Error(w, "page failed to render", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if _, err := buf.WriteTo(w); err != nil {
		s.log.Debug("write page", "page", name, "err", err)
	}
}

func (s *Shop) page(name, title string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.render(w, r, name, pageData{Title: title, Products: s.products})
	}
}

func (s *Shop) productPage(w http.ResponseWriter, r *http.Request) {
	p, ok := s.product(r.PathValue("id"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	s.render(w, r, "product.html", pageData{Title: p.Name, Product: p})
}

func (s *Shop) orderPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, "order.html", pageData{Title: "Thank you", OrderID: r.PathValue("id")})
}

func (s *Shop) health(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "products": len(s.products)})
}

func (s *Shop) apiProducts(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"products": s.products, "count": len(s.products)})
}

func (s *Shop) apiProduct(w http.ResponseWriter, r *http.Request) {
	p, ok := s.product(r.PathValue("id"))
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such product"})
		return
	}
	writeJSON(w, http.StatusOK, p)
}

type cartView struct {
	Items []CartItem `json:"items"`
	Count int        `json:"count"`
}

func newCartView(items []CartItem) cartView {
	v := cartView{Items: items}
	if v.Items == nil {
		v.Items = []CartItem{}
	}
	for _, it := range items {
		v.Count += it.Qty
	}
	return v
}

func (s *Shop) apiCart(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, newCartView(s.cart(s.session(w, r))))
}

func (s *Shop) apiAddToCart(w http.ResponseWriter, r *http.Request) {
	var it CartItem
	if err := decodeBody(w, r, &it); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	if _, ok := s.product(itoa(it.ProductID)); !ok || it.Qty < 1 || it.Qty > 100 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "want product_id of a product and qty from 1 to 100"})
		return
	}
	writeJSON(w, http.StatusOK, newCartView(s.addToCart(s.session(w, r), it)))
}

// checkoutRequest is the checkout's form; an API client logged in with
// POST /api/login sends its bearer token instead of e-mail and password.
type checkoutRequest struct {
	Email    string     `json:"email"`
	Password string     `json:"password"`
	Country  string     `json:"country"`
	Items    []CartItem `json:"items"` // used when the session has no cart, as API clients do
}

func (s *Shop) apiCheckout(w http.ResponseWriter, r *http.Request) {
	var req checkoutRequest
	if err := decodeBody(w, r, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	if hasBearer(r) {
		email, ok := s.authorized(w, r)
		if !ok {
			return
		}
		req.Email, req.Password = email, s.password
	}
	sid := s.session(w, r)
	items := s.cart(sid)
	if len(items) == 0 {
		items = req.Items
	}
	switch {
	case !strings.Contains(req.Email, "@"):
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "enter a valid e-mail address"})
	case req.Password != s.password:
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "wrong password"})
	case req.Country == "":
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "choose a country"})
	case len(items) == 0:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": errCartEmpty.Error()})
	default:
		s.clearCart(sid)
		writeJSON(w, http.StatusOK, map[string]any{"order_id": s.addOrder(req.Email, items), "items": len(items)})
	}
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func itoa(i int) string { return strconv.Itoa(i) }
