package suite

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// ErrUnreadable is returned (wrapped) when a file the suite names cannot be
// read as a regular file of sensible size: a folder, a FIFO, a device, a
// symlink loop, a dangling symlink, one past its size cap. It is bad input.
var ErrUnreadable = errors.New("unreadable file")

// unreadable is an ErrUnreadable whose message is only what is wrong.
type unreadable struct{ msg string }

func (e *unreadable) Error() string        { return e.msg }
func (e *unreadable) Is(target error) bool { return target == ErrUnreadable }

func unreadablef(format string, args ...any) error {
	return &unreadable{msg: fmt.Sprintf(format, args...)}
}

const (
	// maxFileSize bounds what is read of one suite file.
	maxFileSize = 4 << 20
	// MaxBodyFile bounds what is read of one body_file: a request body kept in
	// memory for the whole test.
	MaxBodyFile = 16 << 20
)

// ReadRegular reads the regular file at path, up to limit bytes: suite
// files, and the result files and screenshots the commands and reports
// read. A FIFO or a device is refused before it is opened, so it can
// neither block nor stream without end. Its errors are ErrUnreadable.
func ReadRegular(path string, limit int64) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, describeStatError(path, err)
	}
	switch {
	case info.IsDir():
		return nil, unreadablef("%s is a folder, not a file", path)
	case !info.Mode().IsRegular():
		return nil, unreadablef("%s is not a regular file (%s); give a file", path, FileKind(info.Mode()))
	case info.Size() > limit:
		return nil, unreadablef("%s is %s, over the limit of %s", path, sizeText(info.Size()), sizeText(limit))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, unreadablef("%v", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, unreadablef("read %s: %v", path, err)
	}
	if int64(len(data)) > limit {
		return nil, unreadablef("%s grew past the limit of %s while read", path, sizeText(limit))
	}
	return data, nil
}

// describeStatError says what is wrong with a path that cannot be stat'ed,
// telling a symlink loop and a dangling symlink from a missing file.
func describeStatError(path string, err error) error {
	if errors.Is(err, syscall.ELOOP) {
		return unreadablef("%s is a symlink loop", path)
	}
	if errors.Is(err, fs.ErrNotExist) {
		if target, lerr := os.Readlink(path); lerr == nil {
			return unreadablef("%s is a symlink to %s, which does not exist", path, target)
		}
		return unreadablef("%s does not exist", path)
	}
	return unreadablef("%v", err)
}

// FileKind names what a path that is not a regular file is, for messages.
func FileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a plain file"
}

func sizeText(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d bytes", n)
}

// ReadBodyFile reads a load-test target's body_file, relative to dir (the
// folder of the suite file), with the regular-file check and size cap that
// suite files get.
func ReadBodyFile(dir, name string) ([]byte, error) {
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	return ReadRegular(path, MaxBodyFile)
}
