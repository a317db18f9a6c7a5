package loadtests

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Response bodies are read to the end and counted, never kept: vegeta's
// MaxBody(0) drains them through a small buffer, so a route that streams a
// gigabyte costs no memory. vegeta counts only the bytes it keeps, so the
// transport counts the body itself and leaves the count in the response's
// header map, which vegeta hands back as the result's Headers.
const bodyBytesHeader = "X-Probe-Body-Bytes" // canonical form

// countingTransport wraps every response body in a counter, counts the
// requests the target holds (atTarget): from the request's start to its
// body's close, which is what vegeta's workers wait on the target for; and
// holds each request to the timeout, from its start to its body's close.
//
// The timeout is here and not http.Client.Timeout because the client, given
// a RoundTripper it does not know, enforces its Timeout with a goroutine and
// a timer of its own for every request (about 6% of the generator's CPU at
// 8,000/s, measured). A context deadline costs one timer.
type countingTransport struct {
	http.RoundTripper
	atTarget *atomic.Int64
	timeout  time.Duration
}

func (t countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.atTarget.Add(1)
	cancel := context.CancelFunc(func() {})
	if t.timeout > 0 {
		var ctx context.Context
		ctx, cancel = context.WithTimeout(req.Context(), t.timeout)
		req = req.WithContext(ctx)
	}
	res, err := t.RoundTripper.RoundTrip(req)
	if err != nil || res.Header == nil {
		t.atTarget.Add(-1)
		cancel()
		return res, err
	}
	res.Body = &countingBody{ReadCloser: res.Body, header: res.Header, held: t.atTarget, cancel: cancel}
	return res, nil
}

type countingBody struct {
	io.ReadCloser
	header http.Header
	n      int64
	held   *atomic.Int64
	cancel context.CancelFunc
	closed bool
}

func (b *countingBody) Close() error {
	err := b.ReadCloser.Close()
	if !b.closed {
		b.closed = true
		b.held.Add(-1)
		b.cancel()
	}
	return err
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	if err == io.EOF {
		b.header[bodyBytesHeader] = []string{strconv.FormatInt(b.n, 10)}
	}
	return n, err
}

// bytesIn is how many body bytes a result's response had, and takes the
// count out of its headers so that nothing downstream sees it.
func bytesIn(r *vegeta.Result) int64 {
	v, ok := r.Headers[bodyBytesHeader]
	if !ok || len(v) == 0 {
		return int64(r.BytesIn) // the body was not read to its end
	}
	delete(r.Headers, bodyBytesHeader)
	n, err := strconv.ParseInt(v[0], 10, 64)
	if err != nil {
		return int64(r.BytesIn)
	}
	return n
}
