package loadtests

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPushBounded: a Pushgateway that takes the connection and never answers
// ends the push after pushTimeout with an error that says so; it held probe
// load for ever.
func TestPushBounded(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	held := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held <- c // kept open, never answered
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		for {
			select {
			case c := <-held:
				c.Close()
			default:
				return
			}
		}
	})
	defer func(d time.Duration) { pushTimeout = d }(pushTimeout)
	pushTimeout = 200 * time.Millisecond

	err = Push(t.Context(), "http://"+ln.Addr().String(), prometheus.NewRegistry(), "x")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "push to the Pushgateway at http://"+ln.Addr().String()+": no answer within 200ms")
}

// TestPushAfterInterrupt: an interrupted test's context is done, and its
// metrics are still pushed, to the run's own group.
func TestPushAfterInterrupt(t *testing.T) {
	type got struct{ method, path, body string }
	pushed := make(chan got, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		pushed <- got{r.Method, r.URL.Path, string(b)}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "probe_test_total", Help: "a test counter"})
	c.Add(3)
	require.NoError(t, reg.Register(c))

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	require.NoError(t, Push(ctx, srv.URL, reg, "lt-dev"))
	p := <-pushed
	assert.Equal(t, http.MethodPut, p.method)
	assert.Equal(t, "/metrics/job/probe_load/instance/lt-dev", p.path)
	assert.NotEmpty(t, p.body, "the gathered metrics are in the body")
}

// TestPushRefused: an answer other than success is an error naming the
// Pushgateway.
func TestPushRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusBadRequest)
	}))
	defer srv.Close()
	err := Push(t.Context(), srv.URL, prometheus.NewRegistry(), "x")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "push to the Pushgateway at "+srv.URL)
}

// TestPushErrorHidesPassword: a Pushgateway URL's password is not in the
// error, which is logged.
func TestPushErrorHidesPassword(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusUnauthorized)
	}))
	defer srv.Close()
	u := strings.Replace(srv.URL, "http://", "http://probe:gw-secret-9@", 1)
	err := Push(t.Context(), u, prometheus.NewRegistry(), "x")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "gw-secret-9")
	assert.Contains(t, err.Error(), "http://probe:[redacted]@")
}
