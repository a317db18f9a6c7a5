package scenarios

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/probe-dev/probe/demoapp"
	"github.com/probe-dev/probe/results"
)

// BenchmarkCheckoutFlows20 runs 20 checkout flows one after another on one
// browser, as the monitor does, and reports the time per 20 and the peak
// resident memory of the browser's processes.
func BenchmarkCheckoutFlows20(b *testing.B) {
	shop := demoapp.New(demoapp.WithPassword(secretPassword))
	srv, err := demoapp.Start(b.Context(), shop, "127.0.0.1:0", "")
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	s := exampleSuite(b, srv.URL())
	tg, err := TargetFor(s, "dev", "")
	if err != nil {
		b.Fatal(err)
	}
	br, err := NewBrowser("", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer br.Close()
	r := NewRunner(nil, WithBrowser(br), WithRedactor(s.Redactor))
	sc := s.Scenario("checkout")
	var peak int64
	b.ResetTimer()
	for b.Loop() {
		for range 20 {
			if run := r.Run(b.Context(), sc, tg); run.Status != results.Pass {
				b.Fatalf("flow %s: %s", run.Status, run.Reason)
			}
			peak = max(peak, treeRSS(br.PID()))
		}
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-browser-MiB")
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N*20), "ms/flow")
}

// treeRSS sums the resident memory of pid and all its descendants, from /proc.
func treeRSS(pid int) int64 {
	children := map[int][]int{}
	rss := map[int]int64{}
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		p, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", d.Name(), "status"))
		if err != nil {
			continue
		}
		var ppid int
		for _, line := range strings.Split(string(data), "\n") {
			f := strings.Fields(line)
			switch {
			case len(f) >= 2 && f[0] == "PPid:":
				ppid, _ = strconv.Atoi(f[1])
			case len(f) >= 2 && f[0] == "VmRSS:":
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				rss[p] = kb << 10
			}
		}
		children[ppid] = append(children[ppid], p)
	}
	var total int64
	stack := []int{pid}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		total += rss[p]
		stack = append(stack, children[p]...)
	}
	return total
}
