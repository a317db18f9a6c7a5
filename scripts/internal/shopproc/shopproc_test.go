package shopproc

import (
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStatCPU(t *testing.T) {
	tests := []struct {
		name, line string
		want       time.Duration
	}{
		{"plain", "4242 (probe) S 1 4242 4242 0 -1 4194560 900 0 0 0 123 45 0 0 20 0 9 0 100 2244464 10967 18446744073709551615", 168 * clockTick},
		{"name with spaces and parentheses", "7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 2 3 0 0 20 0", 5 * clockTick},
		{"cut short", "7 (probe) S 1 7 7", 0},
		{"not a number", "7 (probe) S 1 7 7 0 -1 0 0 0 0 0 x 3", 0},
		{"no name", "garbage", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, statCPU(tt.line))
		})
	}
}

// The line of this very process, after it has spent at least 200ms of CPU
// (getrusage, exact): /proc's figure, in ticks, is read and about the same.
func TestStatCPUOfThisProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc here")
	}
	used := func() time.Duration {
		var ru syscall.Rusage
		require.NoError(t, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	for x := 0; used() < 200*time.Millisecond; x++ {
		_ = x * x // the loop spends CPU; each turn asks the kernel
	}
	data, err := os.ReadFile("/proc/self/stat")
	require.NoError(t, err)
	got, want := statCPU(string(data)), used()
	assert.InDelta(t, want.Seconds(), got.Seconds(), 0.5*want.Seconds(), "/proc says %s, getrusage %s", got, want)
}
