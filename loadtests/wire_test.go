package loadtests

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// connCounter counts a test server's connections: opened in all, and the
// most open at once.
type connCounter struct {
	mu         sync.Mutex
	open, most int
	opened     int
}

func (c *connCounter) track(_ net.Conn, s http.ConnState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch s {
	case http.StateNew:
		c.open++
		c.opened++
		c.most = max(c.most, c.open)
	case http.StateClosed, http.StateHijacked:
		c.open--
	}
}

func (c *connCounter) counts() (opened, most int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.opened, c.most
}

func drain(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.NoError(t, res.Body.Close())
	return string(b)
}

// TestWireKeepsConnectionsAlive: requests in a row share one connection, and
// requests side by side never open more than the bound.
func TestWireKeepsConnectionsAlive(t *testing.T) {
	var cc connCounter
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_, _ = w.Write([]byte(r.Method + " " + r.URL.Path + " " + string(b)))
	}))
	srv.Config.ConnState = cc.track
	srv.Start()
	defer srv.Close()
	var held atomic.Int64
	client := newClient(t.Context(), 10*time.Second, 3, &held)
	for i := range 20 {
		res, err := client.Post(srv.URL+"/in-a-row", "text/plain", strings.NewReader("body"))
		require.NoError(t, err, "request %d", i)
		assert.Equal(t, "POST /in-a-row body", drain(t, res))
	}
	opened, _ := cc.counts()
	assert.Equal(t, 1, opened, "one kept-alive connection for requests in a row")

	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				res, err := client.Get(srv.URL + "/side-by-side")
				if assert.NoError(t, err) {
					assert.Equal(t, "GET /side-by-side ", drain(t, res))
				}
			}
		})
	}
	wg.Wait()
	_, most := cc.counts()
	assert.LessOrEqual(t, most, 3, "never more connections than the bound")
	assert.Zero(t, held.Load())
}

// rawServer answers each connection's requests with what answer writes for
// the n-th request (from 0) on it, then closes the connection when answer
// says so: for the shapes of answer and the misbehaviours a real server can
// have that net/http's server would not produce.
func rawServer(t *testing.T, answer func(req *http.Request, body string, n int) (string, bool)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for n := 0; ; n++ {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					body, _ := io.ReadAll(req.Body)
					text, closeAfter := answer(req, string(body), n)
					if _, err := io.WriteString(c, text); err != nil || closeAfter {
						return
					}
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// TestWireAnswerShapes: every way an HTTP/1.1 answer can end its body, the
// 1xx answers before the real one, and HEAD, read as net/http reads them.
func TestWireAnswerShapes(t *testing.T) {
	cases := []struct {
		name, method, answer, body string
		code                       int
		closes                     bool // the server closes the connection after it
	}{
		{"length", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", "hello", 200, false},
		{"chunked", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n", "hello", 200, false},
		{"close", "GET", "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 4\r\n\r\nbusy", "busy", 503, true},
		{"to the end", "GET", "HTTP/1.1 200 OK\r\n\r\nuntil closed", "until closed", 200, true},
		{"continue first", "GET", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", "ok", 201, false},
		{"head", "HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", "", 200, false},
		// Longer than a connection's buffer (wireBuffer): a header line read
		// in parts, and a body read past it.
		{"long header", "GET", "HTTP/1.1 200 OK\r\nX-Long: " + strings.Repeat("h", 3*wireBuffer) + "\r\nContent-Length: 2\r\n\r\nok", "ok", 200, false},
		{"large body", "GET", fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", 20*wireBuffer, strings.Repeat("b", 20*wireBuffer)),
			strings.Repeat("b", 20*wireBuffer), 200, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			base := rawServer(t, func(*http.Request, string, int) (string, bool) { return c.answer, c.closes })
			var held atomic.Int64
			client := newClient(t.Context(), 5*time.Second, 2, &held)
			for i := range 3 { // again on the kept or a new connection
				req, err := http.NewRequest(c.method, base+"/x", nil)
				require.NoError(t, err)
				res, err := client.Do(req)
				require.NoError(t, err, "request %d", i)
				assert.Equal(t, c.code, res.StatusCode)
				assert.Equal(t, c.body, drain(t, res))
			}
			assert.Zero(t, held.Load())
		})
	}
}

// TestResponseHeadBounded: an answer whose head is over maxResponseHead is
// an error, named so, on both transports, and the next answer on the same
// host is read as usual; a head just under it goes through.
func TestResponseHeadBounded(t *testing.T) {
	under := "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("c", maxResponseHead-200) + "\r\nContent-Length: 2\r\n\r\nok"
	over := "HTTP/1.1 200 OK\r\n" + strings.Repeat("Set-Cookie: c="+strings.Repeat("v", 4000)+"\r\n", 2*maxResponseHead/4000) + "Content-Length: 2\r\n\r\nok"
	answers := map[string]string{"/under": under, "/over": over}
	base := rawServer(t, func(req *http.Request, _ string, _ int) (string, bool) { return answers[req.URL.Path], false })
	secure := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/over" {
			for i := range 2 * maxResponseHead / 4000 {
				w.Header().Add("Set-Cookie", fmt.Sprintf("c%d=%s", i, strings.Repeat("v", 4000)))
			}
		}
		_, _ = w.Write([]byte("ok"))
	}))
	defer secure.Close()
	for _, target := range []string{base, secure.URL} {
		t.Run(target[:5], func(t *testing.T) {
			var held atomic.Int64
			client := newClient(t.Context(), 5*time.Second, 1, &held)
			client.Transport.(countingTransport).RoundTripper.(*wireTransport).fallback.(*http.Transport).TLSClientConfig = secure.Client().Transport.(*http.Transport).TLSClientConfig
			_, err := client.Get(target + "/over")
			require.Error(t, err)
			if strings.HasPrefix(target, "http:") {
				assert.ErrorIs(t, err, errResponseHead)
			} else {
				assert.Contains(t, err.Error(), "server response headers exceeded")
			}
			for _, path := range []string{"/under", "/under"} {
				res, err := client.Get(target + path)
				require.NoError(t, err, path)
				assert.Equal(t, "ok", drain(t, res))
			}
			assert.Zero(t, held.Load())
		})
	}
}

// TestWireSendsAgainOnStaleConnection: a server that closes a kept-alive
// connection while it is idle, without saying so, costs a GET no error: it
// goes again on a new connection. A POST is never sent twice (the server
// may have taken it): it fails, and the server saw it at most once.
func TestWireSendsAgainOnStaleConnection(t *testing.T) {
	var mu sync.Mutex
	var got []string
	base := rawServer(t, func(req *http.Request, body string, _ int) (string, bool) {
		mu.Lock()
		got = append(got, req.Method+" "+req.URL.Path+" "+body)
		mu.Unlock()
		// Keep-alive as far as the client can tell, closed all the same.
		return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", true
	})
	seen := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(got)
	}
	var held atomic.Int64
	client := newClient(t.Context(), 5*time.Second, 1, &held)
	var want []string
	for i := range 5 {
		res, err := client.Get(fmt.Sprint(base, "/again/", i))
		require.NoError(t, err, "request %d", i)
		assert.Equal(t, "ok", drain(t, res))
		want = append(want, fmt.Sprint("GET /again/", i, " "))
	}
	assert.Equal(t, want, seen(), "each GET arrived once")

	// The last GET's connection is idle and closed by the server: a POST on it.
	_, err := client.Post(base+"/order", "text/plain", strings.NewReader("one order"))
	require.Error(t, err, "a POST on a stale connection is not sent again")
	assert.Equal(t, KindReset, errorKind(&vegeta.Result{Error: err.Error()}), err.Error())
	assert.NotContains(t, seen()[len(want):], "POST /order one order", "the server never saw it (it had closed)")
	res, err := client.Post(base+"/order", "text/plain", strings.NewReader("one order"))
	require.NoError(t, err, "on a new connection it goes")
	assert.Equal(t, "ok", drain(t, res))
	assert.Equal(t, append(want, "POST /order one order"), seen(), "the POST arrived once")
	assert.Zero(t, held.Load())
}

// TestWireTimeout: a target that does not answer within the timeout ends
// the request as a timeout, named so, and frees the connection's slot.
func TestWireTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hang" {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		_, _ = w.Write([]byte("ok"))
	}))
	defer srv.Close()
	defer close(release)
	var held atomic.Int64
	// A second is far past what a loopback answer takes on a busy machine,
	// so the request that follows does not time out by chance.
	client := newClient(t.Context(), time.Second, 1, &held)
	_, err := client.Get(srv.URL + "/hang")
	require.Error(t, err)
	assert.Equal(t, KindTimeout, errorKind(&vegeta.Result{Error: err.Error()}), err.Error())
	res, err := client.Get(srv.URL + "/fine")
	require.NoError(t, err, "the one connection's slot is free again")
	assert.Equal(t, "ok", drain(t, res))
	assert.Zero(t, held.Load())
}

// TestWireHTTPSGoesToFallback: anything but plain http is net/http's.
func TestWireHTTPSGoesToFallback(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("tls " + r.Proto))
	}))
	defer srv.Close()
	wt := newWireTransport((&net.Dialer{}).DialContext, srv.Client().Transport, 2)
	res, err := (&http.Client{Transport: wt}).Get(srv.URL)
	require.NoError(t, err)
	assert.Equal(t, "tls HTTP/1.1", drain(t, res))
	assert.Empty(t, wt.hosts, "no plain connection was pooled")
}
