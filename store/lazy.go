package store

import (
	"context"
	"sync"
	"time"
)

// Lazy is a history that opens its file when it can: while the file is
// corrupt, locked by another program or on a full disk, every call fails with
// a clear error (the monitor holds its runs and keeps probing), and it tries
// again at most every Retry.
type Lazy struct {
	Path  string
	Retry time.Duration

	mu    sync.Mutex
	s     *Store
	last  time.Time
	lastE error
}

func (l *Lazy) store(ctx context.Context) (*Store, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.s != nil {
		return l.s, nil
	}
	if !l.last.IsZero() && time.Since(l.last) < l.Retry {
		return nil, l.lastE
	}
	l.last = time.Now()
	s, err := Open(ctx, l.Path)
	if err != nil {
		l.lastE = err
		return nil, err
	}
	l.s = s
	return s, nil
}

// Add stores one run once the file opens.
func (l *Lazy) Add(ctx context.Context, r Record) error {
	s, err := l.store(ctx)
	if err != nil {
		return err
	}
	return s.Add(ctx, r)
}

// Count counts runs once the file opens.
func (l *Lazy) Count(ctx context.Context, q Query) (Counts, error) {
	s, err := l.store(ctx)
	if err != nil {
		return Counts{}, err
	}
	return s.Count(ctx, q)
}

// Runs returns runs once the file opens.
func (l *Lazy) Runs(ctx context.Context, q Query) ([]Record, error) {
	s, err := l.store(ctx)
	if err != nil {
		return nil, err
	}
	return s.Runs(ctx, q)
}

// Close closes the file if it was opened.
func (l *Lazy) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.s == nil {
		return nil
	}
	return l.s.Close()
}
