package loadtests

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"
)

// wireTransport sends plain-HTTP/1.1 requests on the calling goroutine: it
// writes the request with net/http's own Request.Write and reads the answer
// with its own ReadResponse, over keep-alive connections it pools itself.
// net/http's Transport hands every request to two goroutines of its
// connection (one writes, one reads) and back, and on a generator bound by
// its own CPU those hand-offs cost more than the HTTP itself; here a worker
// writes and reads its own request, and the Go runtime wakes only it.
// Anything but plain http (https, HTTP/2) goes to the fallback Transport.
//
// Requests are cut by their context's deadline (set on the connection, so
// no goroutine watches it) and by closing every connection at the end of the
// run (connSet); a context cancelled without a deadline is only seen before
// the request is written. countingTransport gives every request a deadline.
type wireTransport struct {
	dial     func(ctx context.Context, network, addr string) (net.Conn, error)
	fallback http.RoundTripper
	conns    int // per host

	mu    sync.Mutex
	hosts map[string]*wirePool
}

// wirePool is one host's connections: slots bound how many are open, idle
// holds those waiting for a request (never more than slots, so putting one
// back never blocks).
type wirePool struct {
	slots chan struct{}
	idle  chan *wireConn
}

// wireBuffer is the size of each connection's read and write buffers. A
// load test's requests and answers are mostly small, and a generator short
// of CPU holds a connection per busy worker: bufio's default 4 KiB each way
// was most of its heap. Longer header lines and bodies still go through
// (textproto joins a line read in parts; bufio hands large reads and writes
// straight to the connection).
const wireBuffer = 1 << 10

// maxResponseHead bounds an answer's status line and headers, on either
// transport. Each request in flight may hold one head, so net/http's 10 MiB
// let a target that sends huge headers (cookies by the thousand) grow the
// generator by 10 MiB a request; Chromium refuses heads over 256 KiB, so no
// site that browsers can use sends more.
const maxResponseHead = 256 << 10

// errResponseHead is the error of an answer whose head is over
// maxResponseHead.
var errResponseHead = errors.New("the answer's status line and headers are over 256 KiB")

type wireConn struct {
	conn net.Conn
	head *headLimit
	br   *bufio.Reader
	bw   *bufio.Writer
	pool *wirePool
}

// headLimit is what a connection's reader reads through: while a head is
// read it lets at most left bytes pass, as net/http's persistConn does.
type headLimit struct {
	r    io.Reader
	on   bool
	left int
}

func (h *headLimit) Read(p []byte) (int, error) {
	if !h.on {
		return h.r.Read(p)
	}
	if h.left <= 0 {
		return 0, errResponseHead
	}
	if len(p) > h.left {
		p = p[:h.left]
	}
	n, err := h.r.Read(p)
	h.left -= n
	return n, err
}

func newWireTransport(dial func(ctx context.Context, network, addr string) (net.Conn, error), fallback http.RoundTripper, conns int) *wireTransport {
	return &wireTransport{dial: dial, fallback: fallback, conns: max(conns, 1), hosts: map[string]*wirePool{}}
}

func (t *wireTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "http" || req.URL.Host == "" {
		return t.fallback.RoundTrip(req)
	}
	ctx := req.Context()
	addr := hostPort(req.URL.Host)
	pool := t.pool(addr)
	for attempt := 0; ; attempt++ {
		c, reused, err := t.get(ctx, pool, addr)
		if err != nil {
			closeBody(req)
			return nil, err
		}
		res, err := c.exchange(req)
		if err == nil {
			return res, nil
		}
		c.discard()
		// A kept-alive connection the server closed while it was idle fails
		// before any answer. As net/http does, send again on a new one, but
		// only a request that may go twice: the server may have taken it
		// before it went away, and a POST sent twice would be one more order
		// than the summary counts, and a reset hidden from it.
		if reused && attempt == 0 && staleConn(err) && replayable(req) {
			if req.Body != nil && req.Body != http.NoBody {
				if req.Body, err = req.GetBody(); err != nil {
					return nil, err
				}
			}
			continue
		}
		closeBody(req)
		return nil, err
	}
}

// replayable is net/http's rule for a request it may send again: an
// idempotent method (or an idempotency key) and a body it can make again.
func replayable(req *http.Request) bool {
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return false
	}
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	_, key := req.Header["Idempotency-Key"]
	_, xkey := req.Header["X-Idempotency-Key"]
	return key || xkey
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// hostPort adds the default port when the URL's host has none.
func hostPort(host string) string {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	return net.JoinHostPort(host, "80")
}

func (t *wireTransport) pool(addr string) *wirePool {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.hosts[addr]
	if p == nil {
		p = &wirePool{slots: make(chan struct{}, t.conns), idle: make(chan *wireConn, t.conns)}
		t.hosts[addr] = p
	}
	return p
}

// get takes an idle connection, or dials one while the host has a slot
// free, or waits for either.
func (t *wireTransport) get(ctx context.Context, p *wirePool, addr string) (*wireConn, bool, error) {
	// An idle connection first, when there is one: the select below picks
	// at random among what is ready, and would dial while one waits idle.
	select {
	case c := <-p.idle:
		return c, true, nil
	default:
	}
	select {
	case c := <-p.idle:
		return c, true, nil
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
	conn, err := t.dial(ctx, "tcp", addr)
	if err != nil {
		<-p.slots
		return nil, false, err
	}
	head := &headLimit{r: conn}
	return &wireConn{conn: conn, head: head, br: bufio.NewReaderSize(head, wireBuffer), bw: bufio.NewWriterSize(conn, wireBuffer), pool: p}, false, nil
}

// exchange writes req and reads its answer's head; the body is read by the
// caller, and closing it hands the connection back.
func (c *wireConn) exchange(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	deadline, _ := ctx.Deadline() // zero: none
	if err := c.conn.SetDeadline(deadline); err != nil {
		return nil, err
	}
	if err := req.Write(c.bw); err != nil {
		return nil, deadlineErr(ctx, err)
	}
	if err := c.bw.Flush(); err != nil {
		return nil, deadlineErr(ctx, err)
	}
	for {
		// What the buffer already holds is not counted: at most wireBuffer.
		c.head.on, c.head.left = true, maxResponseHead
		res, err := http.ReadResponse(c.br, req)
		c.head.on = false
		if err != nil { // errResponseHead too: RoundTrip discards the connection
			return nil, deadlineErr(ctx, err)
		}
		// 1xx answers other than a protocol switch come before the real one.
		if res.StatusCode >= 100 && res.StatusCode < 200 && res.StatusCode != http.StatusSwitchingProtocols {
			continue
		}
		res.Body = &wireBody{body: res.Body, c: c, ctx: ctx, keep: !res.Close && !req.Close}
		return res, nil
	}
}

// deadlineErr says a deadline passed as the context says it, so that the
// error names what stopped the request, not the socket's timeout.
func deadlineErr(ctx context.Context, err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// staleConn reports whether err is what a kept-alive connection closed by
// the server gives before any answer.
func staleConn(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// put hands an idle connection back, clear of its request's deadline.
func (c *wireConn) put() {
	if c.conn.SetDeadline(time.Time{}) != nil {
		c.discard()
		return
	}
	c.pool.idle <- c // never blocks: idle holds as many as slots
}

func (c *wireConn) discard() {
	c.conn.Close()
	<-c.pool.slots
}

// wireBody hands its connection back when it was read to its end and the
// connection may be kept; otherwise it closes the connection.
type wireBody struct {
	body io.ReadCloser
	c    *wireConn
	ctx  context.Context
	keep bool
	eof  bool
	done bool
}

func (b *wireBody) Read(p []byte) (int, error) {
	if b.done {
		return 0, http.ErrBodyReadAfterClose
	}
	n, err := b.body.Read(p)
	switch {
	case err == io.EOF:
		b.eof = true
	case err != nil:
		b.keep = false
		err = deadlineErr(b.ctx, err)
	}
	return n, err
}

func (b *wireBody) Close() error {
	if b.done {
		return nil
	}
	b.done = true
	err := b.body.Close()
	if b.eof && b.keep && err == nil {
		b.c.put()
	} else {
		b.c.discard()
	}
	return err
}
