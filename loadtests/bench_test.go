package loadtests

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/probe-dev/probe/suite"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// BenchmarkCollector measures the cost of counting one result: histograms,
// codes and the timeline. It bounds the rate one core can measure.
func BenchmarkCollector(b *testing.B) {
	s := NewSchedule([]*suite.Phase{{Constant: &suite.ConstantPhase{Rate: rate("1000/s"), Duration: dur(time.Hour)}}}, ScheduleOptions{})
	p := newPacer(s, 0, 1, 0, 0)
	p.Pace(0, 0)
	c := newCollector(p, []endpoint{{name: "a", method: "GET", path: "/a"}}, 10*time.Second)
	r := &vegeta.Result{Code: 200, URL: "http://x/a" + endpointMark + "0", Latency: 3 * time.Millisecond, BytesIn: 300}
	start := p.start()
	b.ReportAllocs()
	var i uint64
	for b.Loop() {
		r.Seq = i
		r.Timestamp = start.Add(time.Duration(i) * time.Millisecond)
		c.add(r, false, false)
		i++
	}
}

// BenchmarkTargeter measures rendering one templated request.
func BenchmarkTargeter(b *testing.B) {
	lt := &suite.LoadTest{Name: "b", Targets: []*suite.Target{
		{Name: "p", Method: "GET", Path: "/api/products/{{randInt 1 20}}", Weight: new(int)},
		{Name: "c", Method: "POST", Path: "/api/cart", Body: `{"product_id": {{randInt 1 20}}}`, Weight: new(int)},
	}}
	*lt.Targets[0].Weight, *lt.Targets[1].Weight = 3, 1
	tg, err := newTargeter(lt, "http://127.0.0.1:1", nil, nil, 0, 1, 1)
	if err != nil {
		b.Fatal(err)
	}
	var t vegeta.Target
	b.ReportAllocs()
	for b.Loop() {
		if err := tg.next(&t); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBigBodies runs a load test of four requests on a route that
// streams 16 MiB each: B/op shows what holding bodies would cost (64 MiB an
// op); counting them costs a few buffers.
func BenchmarkBigBodies(b *testing.B) {
	chunk := bytes.Repeat([]byte("x"), 1<<20)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		for range 16 {
			_, _ = w.Write(chunk)
		}
	}))
	defer srv.Close()
	lt := &suite.LoadTest{Name: "big", Targets: []*suite.Target{{Name: "big", Method: "GET", Path: "/", Weight: new(int)}},
		Profile: []*suite.Phase{{Constant: &suite.ConstantPhase{Rate: rate("40/s"), Duration: dur(100 * time.Millisecond)}}},
		Limits:  &suite.Limits{MaxDuration: suite.Duration(10 * time.Second), MaxRequests: 4}}
	*lt.Targets[0].Weight = 1
	b.ReportAllocs()
	for b.Loop() {
		s, err := Run(b.Context(), lt, Options{Env: "dev", BaseURL: srv.URL})
		if err != nil || s.Overall.BytesIn != 4*16<<20 {
			b.Fatalf("err %v, bytes in %d", err, s.Overall.BytesIn)
		}
	}
}
