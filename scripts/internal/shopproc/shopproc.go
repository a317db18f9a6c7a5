// Package shopproc starts the demo shop as its own process for the
// benchmark and evaluation scripts, so that their own process stays small
// and the shop gets the machine as a real target would.
package shopproc

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
)

// Start runs `probe demo-target` on a free loopback port with extra flags
// and returns its URL and a func that stops it and waits.
func Start(ctx context.Context, probe string, flags ...string) (string, func(), error) {
	sctx, cancel := context.WithCancel(ctx)
	cmd := exec.CommandContext(sctx, probe, append([]string{"demo-target", "--addr", "127.0.0.1:0"}, flags...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		cancel()
		return "", nil, fmt.Errorf("start demo shop: %w", err)
	}
	stop := func() { cancel(); _ = cmd.Wait() }
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		stop()
		return "", nil, fmt.Errorf("demo shop: %w", err)
	}
	go io.Copy(io.Discard, stdout) //nolint:errcheck // the rest of its output
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "demo shop serving at ")
	if !ok {
		stop()
		return "", nil, fmt.Errorf("demo shop said %q", line)
	}
	return url, stop, nil
}
