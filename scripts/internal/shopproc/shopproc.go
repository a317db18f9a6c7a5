// Package shopproc starts the demo shop as its own process for the
// benchmark and evaluation scripts, so that their own process stays small
// and the shop gets the machine as a real target would.
package shopproc

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Shop is a running demo shop.
type Shop struct {
	URL  string
	cmd  *exec.Cmd
	stop func()
}

// Start runs `probe demo-target` on a free loopback port with extra flags.
// Stop it with Stop.
func Start(ctx context.Context, probe string, flags ...string) (*Shop, error) {
	sctx, cancel := context.WithCancel(ctx)
	cmd := exec.CommandContext(sctx, probe, append([]string{"demo-target", "--addr", "127.0.0.1:0"}, flags...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("start demo shop: %w", err)
	}
	s := &Shop{cmd: cmd, stop: func() { cancel(); _ = cmd.Wait() }}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		s.Stop()
		return nil, fmt.Errorf("demo shop: %w", err)
	}
	go io.Copy(io.Discard, stdout) //nolint:errcheck // the rest of its output
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "demo shop serving at ")
	if !ok {
		s.Stop()
		return nil, fmt.Errorf("demo shop said %q", line)
	}
	s.URL = url
	return s, nil
}

// Stop stops the shop and waits for it.
func (s *Shop) Stop() { s.stop() }

// clockTick is the unit of /proc/PID/stat's CPU times: USER_HZ, 100 on
// every Linux Go supports (reading it needs sysconf, so cgo).
const clockTick = 10 * time.Millisecond

// CPU is the CPU time (user and system, every thread) the shop has used so
// far, read from /proc/PID/stat; 0 where there is no /proc.
func (s *Shop) CPU() time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	return statCPU(string(data))
}

// statCPU reads utime and stime, the 14th and 15th fields, from a
// /proc/PID/stat line; 0 when it is not one.
func statCPU(line string) time.Duration {
	// The command name, in parentheses, may hold spaces and parentheses:
	// the fields after its last ')' start at the 3rd.
	i := strings.LastIndexByte(line, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(line[i+1:])
	if len(f) < 13 {
		return 0
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(utime+stime) * clockTick
}
