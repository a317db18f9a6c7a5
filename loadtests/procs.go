package loadtests

import (
	"os"
	"runtime"
	"sync"
)

// procs narrows the generator to one processor while its load fits one.
//
// Sending on loopback is mostly system calls and goroutine hand-offs (the
// pacer's tick to a worker, the network's answer, the result to the
// collector). With processors idle, each hand-off also wakes an idle thread
// that finds nothing to do and sleeps again: at 1,000/s on 2 cores that
// doubled the CPU per request (measured: 5.5-6.2 s of CPU for 20,000
// requests on 2 processors, 2.8 s on one). One processor sent 12,000/s on
// loopback with half a core. So a test whose peak rate fits one starts on
// one, and the saturation watch widens back to every processor as soon as
// goroutines wait for it (widenLag): a heavier target or a journey's work
// costs more than the rate says. GOMAXPROCS set by the user is left alone.
type procs struct {
	mu     sync.Mutex
	users  int  // runs under way (the gate and the drill run them one by one)
	narrow bool // GOMAXPROCS is 1 because of us
}

// generatorProcs is the process's one: GOMAXPROCS is process-wide.
var generatorProcs procs

// oneProcRate is the highest peak rate, per second, a test starts on one
// processor with: a quarter of what one was seen to send on time.
const oneProcRate = 3000

// acquire is called when a run starts, low when its load fits one
// processor; release when it ends. While any run does not fit, or has
// widened, the process keeps every processor.
func (p *procs) acquire(low bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.users++
	switch {
	case !low:
		p.widenLocked()
	case p.users == 1 && os.Getenv("GOMAXPROCS") == "" && runtime.GOMAXPROCS(0) > 1:
		runtime.GOMAXPROCS(1)
		p.narrow = true
	}
}

func (p *procs) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.users--
	if p.users == 0 {
		p.widenLocked()
	}
}

// widen gives the generator every processor again; it reports whether it
// was narrowed (so that the wait just seen was for the one processor).
func (p *procs) widen() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.widenLocked()
}

func (p *procs) widenLocked() bool {
	if !p.narrow {
		return false
	}
	p.narrow = false
	runtime.SetDefaultGOMAXPROCS() // what it was: the user set none
	return true
}
