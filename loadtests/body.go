package loadtests

import (
	"io"
	"net/http"
	"strconv"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Response bodies are read to the end and counted, never kept: vegeta's
// MaxBody(0) drains them through a small buffer, so a route that streams a
// gigabyte costs no memory. vegeta counts only the bytes it keeps, so the
// transport counts the body itself and leaves the count in the response's
// header map, which vegeta hands back as the result's Headers.
const bodyBytesHeader = "X-Probe-Body-Bytes" // canonical form

// countingTransport wraps every response body in a counter.
type countingTransport struct{ http.RoundTripper }

func (t countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := t.RoundTripper.RoundTrip(req)
	if err != nil || res.Header == nil {
		return res, err
	}
	res.Body = &countingBody{ReadCloser: res.Body, header: res.Header}
	return res, nil
}

type countingBody struct {
	io.ReadCloser
	header http.Header
	n      int64
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
