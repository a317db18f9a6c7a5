package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// ErrInUse is returned (wrapped) by Lock when another process holds the
// history.
var ErrInUse = errors.New("history in use")

// Lock makes this process the only writer of the history at path, so two
// daemons never store every run twice. It is an advisory lock (flock) on
// path+".lock", which the kernel drops when the process ends however it ends:
// a crashed daemon leaves the file but not the lock. The file holds the
// holder's pid, to name it. Readers (probe sla) take no lock.
func Lock(path string) (unlock func() error, err error) {
	if err := checkFile(path); err != nil {
		return nil, err // before the lock file is made beside a device or a folder
	}
	name := path + ".lock"
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return nil, fmt.Errorf("history %s: %w", path, err)
	}
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("history %s: lock: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			holder := "another process"
			if b, rerr := os.ReadFile(name); rerr == nil && strings.TrimSpace(string(b)) != "" {
				holder = "pid " + strings.TrimSpace(string(b))
			}
			return nil, fmt.Errorf("%w: %s is held by %s; give each probe run its own --history", ErrInUse, path, holder)
		}
		return nil, fmt.Errorf("history %s: lock: %w", path, err)
	}
	// The lock is held; the pid is only a name for the message above.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() error {
		// The file stays: removing it while another process waits on its
		// inode would let a third lock a new one beside it.
		_ = f.Truncate(0)
		return f.Close() // closing drops the flock
	}, nil
}
