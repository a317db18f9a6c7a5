// Command benchvegeta runs `probe load` beside the vegeta CLI against one demo
// shop on loopback, in one run, and prints the load generator's table: the
// highest rate each sustains, CPU per 100k requests, probe at 80% and at
// twice its own maximum, probe's memory over a long run, and journeys (CPU
// per request against single requests, memory with 10,000 in flight, the
// highest journey rate). Every figure is
// the median of -runs runs. Machines are shared and noisy, so the goals are
// ratios (probe against vegeta, or probe against itself), not speeds.
//
// Usage (from the repository root; make bench runs it):
//
//	go run ./scripts/benchvegeta [-rates 2000,4000,...] [-step 5s] [-runs 3] [-journeys-only]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/probe-dev/probe/scripts/internal/shopproc"
)

type config struct {
	rates       []int
	step        time.Duration // each rate of the search, and each run at a rate
	runs        int           // medians of this many
	cpuRate     int           // the low rate CPU per request is compared at
	cpuFor      time.Duration // how long that runs
	memRate     int           // the rate of the memory drift
	short, long time.Duration // its two runs
	// journeys: the arrival rates of the search, and whether to measure
	// only them
	journeyRates []int
	journeysOnly bool
}

func main() {
	var c config
	rates := flag.String("rates", "2000,4000,6000,8000,10000,12000,14000,16000,20000,24000", "rates of the search for each tool's maximum, per second, ascending")
	flag.DurationVar(&c.step, "step", 5*time.Second, "how long each run at a rate lasts")
	flag.IntVar(&c.runs, "runs", 3, "runs per figure (the median is shown)")
	flag.IntVar(&c.cpuRate, "cpurate", 1000, "rate of the low-rate CPU comparison, per second")
	flag.DurationVar(&c.cpuFor, "cpufor", 20*time.Second, "length of the low-rate CPU comparison")
	flag.IntVar(&c.memRate, "memrate", 2000, "rate of the memory-drift comparison, per second")
	flag.DurationVar(&c.short, "short", 10*time.Second, "short run of the memory-drift comparison")
	flag.DurationVar(&c.long, "long", 60*time.Second, "long run of the memory-drift comparison")
	flag.BoolVar(&c.journeysOnly, "journeys-only", false, "measure only the journeys' rows")
	jrates := flag.String("journey-rates", "1000,2000,3000,4000,5000,6000,8000,10000,12000", "arrival rates of the search for the highest journey rate, ascending")
	flag.Parse()
	for _, f := range strings.Split(*jrates, ",") {
		r, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || r <= 0 {
			fmt.Fprintf(os.Stderr, "benchvegeta: -journey-rates: %q is not a rate\n", f)
			os.Exit(2)
		}
		c.journeyRates = append(c.journeyRates, r)
	}
	for _, f := range strings.Split(*rates, ",") {
		r, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || r <= 0 || (len(c.rates) > 0 && r <= c.rates[len(c.rates)-1]) {
			fmt.Fprintf(os.Stderr, "benchvegeta: -rates: %q is not a rate above the one before it\n", f)
			os.Exit(2)
		}
		c.rates = append(c.rates, r)
	}
	if c.runs < 1 {
		fmt.Fprintln(os.Stderr, "benchvegeta: -runs: want at least 1")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, c); err != nil {
		fmt.Fprintln(os.Stderr, "benchvegeta:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, c config) error {
	dir, err := os.MkdirTemp("", "benchvegeta-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	b := bench{dir: dir, probe: filepath.Join(dir, "probe"), vegeta: filepath.Join(dir, "vegeta"), runs: c.runs}
	// vegeta is pinned in go.mod as a tool: the CLI of the very version
	// probe uses as its engine.
	for bin, pkg := range map[string]string{b.probe: "./cmd/probe", b.vegeta: "github.com/tsenart/vegeta/v12"} {
		if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
			return fmt.Errorf("build %s: %v\n%s", pkg, err, out)
		}
	}
	shop, err := shopproc.Start(ctx, b.probe)
	if err != nil {
		return err
	}
	defer shop.Stop()
	b.shop = shop
	fmt.Printf("target %s/api/health (the demo shop, on the same machine), %d cores, %s; medians of %d\n\n",
		shop.URL, runtime.NumCPU(), c.step, c.runs)

	journeys := func(t *table) error {
		return b.journeyRows(ctx, t, c.journeyRates, 2*c.cpuRate, c.cpuFor, c.step, c.short, c.long)
	}
	if c.journeysOnly {
		var t table
		if err := journeys(&t); err != nil {
			return err
		}
		fmt.Println()
		t.print()
		return nil
	}
	maxP, maxV, err := b.search(ctx, c.rates, c.step)
	if err != nil {
		return err
	}
	if maxP == 0 || maxV == 0 {
		return fmt.Errorf("no rate of -rates was sustained (probe %d/s, vegeta %d/s): start lower", maxP, maxV)
	}
	var t table
	t.add("maximum sustained rate", fmt.Sprintf("%d/s", maxP), fmt.Sprintf("%d/s", maxV), ratio(float64(maxP), float64(maxV)), "≥ 1.2", float64(maxP) >= 1.2*float64(maxV))
	steps := []func() error{
		func() error { return b.cpuRow(ctx, &t, c.cpuRate, c.cpuFor) },
		func() error { return b.cpuRow(ctx, &t, maxP, c.step) },
		func() error { return b.nearMax(ctx, &t, maxP, maxV, c.step) },
		func() error { return b.overMax(ctx, &t, 2*maxP, c.step) },
		func() error { return b.drift(ctx, &t, c.memRate, c.short, c.long) },
		func() error { return journeys(&t) },
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return err
		}
	}
	fmt.Println()
	t.print()
	return nil
}

// table is the benchmark's result, printed as Markdown for the README.
type table struct{ rows [][]string }

func (t *table) add(what, probe, vegeta, ratio, goal string, met bool) {
	m := "yes"
	switch {
	case goal == "": // a row to read the others by
		m = ""
	case !met:
		m = "**no**"
	}
	t.rows = append(t.rows, []string{what, probe, vegeta, ratio, goal, m})
}

func (t *table) print() {
	fmt.Println("| measure | probe | vegeta CLI | ratio | goal | met |")
	fmt.Println("|---|--:|--:|--:|---|---|")
	for _, r := range t.rows {
		fmt.Println("| " + strings.Join(r, " | ") + " |")
	}
}

func ratio(a, b float64) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", a/b)
}
