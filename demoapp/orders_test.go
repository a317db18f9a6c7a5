package demoapp

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func login(t *testing.T, c *http.Client, base, email string) string {
	t.Helper()
	code, body := call(t, c, "POST", base+"/api/login", "", `{"email":"`+email+`","password":"demo-password"}`)
	require.Equal(t, 200, code, body)
	var got struct {
		Token     string `json:"token"`
		ExpiresIn int    `json:"expires_in"`
		ExpiresAt string `json:"expires_at"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &got))
	require.Len(t, got.Token, 40)
	assert.Equal(t, int(DefaultTokenTTL.Seconds()), got.ExpiresIn)
	_, err := time.Parse(time.RFC3339, got.ExpiresAt)
	require.NoError(t, err)
	return got.Token
}

// TestOrdersAPI: log in, order with the token and the session's cart, read
// the order back, delete it; tokens that are missing, unknown, expired or
// another user's are refused.
func TestOrdersAPI(t *testing.T) {
	shop, srv := startShop(t)
	base, c := srv.URL(), client(t)

	code, body := call(t, c, "POST", base+"/api/login", "", `{"email":"a@b.c","password":"nope"}`)
	assert.Equal(t, 401, code)
	assert.Contains(t, body, "wrong password")
	tok := login(t, c, base, "a@b.c")

	code, body = call(t, c, "POST", base+"/api/cart", "", `{"product_id":4,"qty":2}`)
	require.Equal(t, 200, code, body)
	code, body = call(t, c, "POST", base+"/api/checkout", tok, `{"country":"DE"}`)
	require.Equal(t, 200, code, body)
	var placed struct {
		OrderID int64 `json:"order_id"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &placed))
	assert.Equal(t, 1, shop.Orders())
	order := base + "/api/orders/" + itoa(int(placed.OrderID))

	code, body = call(t, c, "GET", order, tok, "")
	require.Equal(t, 200, code, body)
	assert.Contains(t, body, `"items":[{"product_id":4,"qty":2}]`)
	assert.Contains(t, body, `"email":"a@b.c"`)
	code, body = call(t, c, "GET", base+"/api/orders", tok, "")
	assert.Equal(t, 200, code)
	assert.Contains(t, body, `"count":1`)

	other := login(t, c, base, "x@y.z")
	refused := []struct {
		name, method, url, tok string
		code                   int
		says                   string
	}{
		{"no token", "GET", base + "/api/orders", "", 401, "missing bearer token"},
		{"unknown token", "GET", order, "f00", 401, "unknown token"},
		{"another user's order", "GET", order, other, 404, "no such order"},
		{"another user's delete", "DELETE", order, other, 404, "no such order"},
		{"no such order", "GET", base + "/api/orders/999", tok, 404, "no such order"},
		{"bad id", "GET", base + "/api/orders/x", tok, 404, "no such order"},
		{"checkout with an unknown token", "POST", base + "/api/checkout", "f00", 401, "unknown token"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			code, body := call(t, c, tt.method, tt.url, tt.tok, `{"country":"DE","items":[{"product_id":1,"qty":1}]}`)
			assert.Equal(t, tt.code, code, body)
			assert.Contains(t, body, tt.says)
		})
	}
	assert.Equal(t, 1, shop.Orders(), "a refused request changed nothing")

	code, _ = call(t, c, "DELETE", order, tok, "")
	assert.Equal(t, 204, code)
	code, _ = call(t, c, "GET", order, tok, "")
	assert.Equal(t, 404, code)
	assert.Equal(t, 0, shop.Orders())

	// The shop's clock moves past the token's life.
	shop.mu.Lock()
	shop.now = func() time.Time { return time.Now().Add(DefaultTokenTTL + time.Second) }
	shop.mu.Unlock()
	code, body = call(t, c, "GET", base+"/api/orders", tok, "")
	assert.Equal(t, 401, code)
	assert.Contains(t, body, "token expired")
}
