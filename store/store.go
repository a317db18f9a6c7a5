package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/probe-dev/probe/results"
	"github.com/probe-dev/probe/suite"
	_ "modernc.org/sqlite" // the pure-Go SQLite driver, registered as "sqlite"
)

// DefaultPath is where the monitor keeps its history unless told otherwise.
var DefaultPath = filepath.Join(".probe", "history.db")

// Store is the run history in one SQLite file (WAL mode): safe for one
// writer and many readers, and it survives restarts.
type Store struct {
	db   *sql.DB
	path string
}

// schema is applied in order; PRAGMA user_version counts how many ran.
var schema = []string{
	`CREATE TABLE runs (
		id           INTEGER PRIMARY KEY,
		scenario     TEXT NOT NULL,
		env          TEXT NOT NULL,
		start_ms     INTEGER NOT NULL,
		duration_ms  REAL NOT NULL,
		status       TEXT NOT NULL,
		reason       TEXT NOT NULL DEFAULT '',
		failing_step TEXT NOT NULL DEFAULT '',
		flaky        INTEGER NOT NULL DEFAULT 0,
		trace_id     TEXT NOT NULL DEFAULT '',
		steps        TEXT NOT NULL DEFAULT '[]',
		artifacts    TEXT NOT NULL DEFAULT '[]'
	)`,
	`CREATE INDEX runs_by_check ON runs (env, scenario, start_ms)`,
	`CREATE INDEX runs_by_time ON runs (start_ms)`,
	`CREATE TABLE baselines (
		id        INTEGER PRIMARY KEY,
		loadtest  TEXT NOT NULL,
		env       TEXT NOT NULL,
		saved_ms  INTEGER NOT NULL,
		summary   TEXT NOT NULL
	)`,
	`CREATE INDEX baselines_by_test ON baselines (loadtest, env, saved_ms)`,
}

// ErrNotHistory is returned (wrapped) by Open when the path can never hold
// a history until someone changes it: a folder or a device, a file that is
// not SQLite, another program's database, or a newer probe's history.
var ErrNotHistory = errors.New("not a probe history")

// sqliteNotADB is SQLite's result code for a file that is not a database.
const sqliteNotADB = 26

// Open opens (or creates) the history at path.
func Open(ctx context.Context, path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("history %s: %w", path, err)
	}
	if err := checkFile(path); err != nil {
		return nil, err
	}
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=synchronous(NORMAL)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("history %s: %w", path, err)
	}
	db.SetMaxOpenConns(1) // one writer; SQLite serialises writes anyway
	s := &Store{db: db, path: path}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		var coded interface{ Code() int }
		switch {
		case errors.Is(err, ErrNotHistory):
			return nil, fmt.Errorf("history %s: %w", path, err)
		case errors.As(err, &coded) && coded.Code() == sqliteNotADB:
			err = fmt.Errorf("%w: %w", ErrNotHistory, err)
		}
		return nil, fmt.Errorf("history %s: %w (move the file away to start a new history)", path, err)
	}
	return s, nil
}

// OpenReadOnly opens an existing history for reading: it never creates a
// file or a folder, nor changes the schema.
func OpenReadOnly(ctx context.Context, path string) (*Store, error) {
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("history %s does not exist: probe run (and probe load --save-baseline) write it there with --history %s", path, path)
	case err != nil:
		return nil, fmt.Errorf("history %s: %w", path, err)
	case !info.Mode().IsRegular():
		return nil, notAFile(path, info.Mode())
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return nil, fmt.Errorf("history %s: %w", path, err)
	}
	var version int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		db.Close()
		return nil, fmt.Errorf("history %s is not a probe history: %w", path, err)
	}
	if version < 1 || version > len(schema) {
		db.Close()
		return nil, fmt.Errorf("history %s is not a probe history this probe can read (schema %d, this probe knows 1 to %d)", path, version, len(schema))
	}
	return &Store{db: db, path: path}, nil
}

// checkFile refuses a path that is there but not a regular file: SQLite
// would open a folder or a device and fail only at the first write.
func checkFile(path string) error {
	if info, err := os.Stat(path); err == nil && !info.Mode().IsRegular() {
		return notAFile(path, info.Mode())
	}
	return nil
}

func notAFile(path string, m os.FileMode) error {
	return fmt.Errorf("history %s is not a file (%s): %w; give --history a file's path", path, suite.FileKind(m), ErrNotHistory)
}

func (s *Store) migrate(ctx context.Context) error {
	var version int
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return err
	}
	if version > len(schema) {
		return fmt.Errorf("%w: written by a newer probe (schema %d, this probe knows %d); run that probe, or give --history another file", ErrNotHistory, version, len(schema))
	}
	if version == 0 {
		// A history starts empty; tables without a version are another
		// program's, and probe does not write into them.
		var tables sql.NullString
		if err := s.db.QueryRowContext(ctx, "SELECT group_concat(name, ', ') FROM sqlite_master WHERE type = 'table'").Scan(&tables); err != nil {
			return err
		}
		if tables.String != "" {
			return fmt.Errorf("%w: a SQLite database of another program (tables %s), which probe leaves alone; give --history another file", ErrNotHistory, tables.String)
		}
	}
	for i := version; i < len(schema); i++ {
		if err := s.step(ctx, i); err != nil {
			return fmt.Errorf("schema step %d: %w", i+1, err)
		}
	}
	return nil
}

// step applies schema[i] and counts it in one transaction, so a crash
// between the two cannot leave a step that the next start runs again.
func (s *Store) step(ctx context.Context, i int) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it does nothing
	if _, err := tx.ExecContext(ctx, schema[i]); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", i+1)); err != nil {
		return err
	}
	return tx.Commit()
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// Path is the file's path.
func (s *Store) Path() string { return s.path }

// Record is one stored run.
type Record struct {
	ID          int64
	Scenario    string
	Env         string
	Start       time.Time
	Duration    time.Duration
	Status      results.Status
	Reason      string
	FailingStep string
	Flaky       bool
	TraceID     string
	Steps       []results.Step
	Artifacts   []string
}

// RecordOf turns a run into what the history keeps.
func RecordOf(run results.Run) Record {
	last := run.Last()
	return Record{Scenario: run.Scenario, Env: run.Env, Start: run.Start, Duration: run.Duration, Status: run.Status,
		Reason: run.Reason, FailingStep: last.FailingStep(), Flaky: run.Flaky, TraceID: last.TraceID, Steps: last.Steps, Artifacts: last.Artifacts}
}

// Add stores one run.
func (s *Store) Add(ctx context.Context, r Record) error {
	steps, err := json.Marshal(r.Steps)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	arts, err := json.Marshal(r.Artifacts)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO runs (scenario, env, start_ms, duration_ms, status, reason, failing_step, flaky, trace_id, steps, artifacts)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Scenario, r.Env, r.Start.UnixMilli(), float64(r.Duration)/float64(time.Millisecond), string(r.Status), r.Reason,
		r.FailingStep, r.Flaky, r.TraceID, string(steps), string(arts))
	if err != nil {
		return fmt.Errorf("history %s: save run of %s on %s: %w", s.path, r.Scenario, r.Env, err)
	}
	return nil
}

// Query selects runs. Empty fields select all.
type Query struct {
	Scenario string
	Env      string
	Since    time.Time
	Until    time.Time
	Limit    int // newest first when set
}

// Runs returns the runs q selects, oldest first (newest first with Limit).
func (s *Store) Runs(ctx context.Context, q Query) ([]Record, error) {
	where, args := q.where()
	order := "start_ms ASC"
	limit := ""
	if q.Limit > 0 {
		order, limit = "start_ms DESC", fmt.Sprintf(" LIMIT %d", q.Limit)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, scenario, env, start_ms, duration_ms, status, reason, failing_step, flaky, trace_id, steps, artifacts
		FROM runs`+where+" ORDER BY "+order+limit, args...)
	if err != nil {
		return nil, fmt.Errorf("history %s: %w", s.path, err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var r Record
		var start int64
		var dur float64
		var status, steps, arts string
		if err := rows.Scan(&r.ID, &r.Scenario, &r.Env, &start, &dur, &status, &r.Reason, &r.FailingStep, &r.Flaky, &r.TraceID, &steps, &arts); err != nil {
			return nil, fmt.Errorf("history %s: %w", s.path, err)
		}
		r.Start, r.Duration, r.Status = time.UnixMilli(start), time.Duration(dur*float64(time.Millisecond)), results.Status(status)
		if err := errors.Join(json.Unmarshal([]byte(steps), &r.Steps), json.Unmarshal([]byte(arts), &r.Artifacts)); err != nil {
			return nil, fmt.Errorf("history %s: run %d: %w", s.path, r.ID, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (q Query) where() (string, []any) {
	var conds []string
	var args []any
	if q.Scenario != "" {
		conds, args = append(conds, "scenario = ?"), append(args, q.Scenario)
	}
	if q.Env != "" {
		conds, args = append(conds, "env = ?"), append(args, q.Env)
	}
	if !q.Since.IsZero() {
		conds, args = append(conds, "start_ms >= ?"), append(args, q.Since.UnixMilli())
	}
	if !q.Until.IsZero() {
		conds, args = append(conds, "start_ms < ?"), append(args, q.Until.UnixMilli())
	}
	if len(conds) == 0 {
		return "", nil
	}
	w := " WHERE " + conds[0]
	for _, c := range conds[1:] {
		w += " AND " + c
	}
	return w, args
}

// Counts is how many runs ended in each status.
type Counts struct {
	Pass, Fail, Timeout, InfraError int64
}

// Availability is passed / (passed + failed + timeout): our own trouble
// (infra_error) counts for nothing. It is 1 when nothing counted.
func (c Counts) Availability() float64 {
	n := c.Pass + c.Fail + c.Timeout
	if n == 0 {
		return 1
	}
	return float64(c.Pass) / float64(n)
}

// Count counts the runs q selects by status.
func (s *Store) Count(ctx context.Context, q Query) (Counts, error) {
	where, args := q.where()
	rows, err := s.db.QueryContext(ctx, "SELECT status, COUNT(*) FROM runs"+where+" GROUP BY status", args...)
	if err != nil {
		return Counts{}, fmt.Errorf("history %s: %w", s.path, err)
	}
	defer rows.Close()
	var c Counts
	for rows.Next() {
		var status string
		var n int64
		if err := rows.Scan(&status, &n); err != nil {
			return Counts{}, fmt.Errorf("history %s: %w", s.path, err)
		}
		switch results.Status(status) {
		case results.Pass:
			c.Pass = n
		case results.Fail:
			c.Fail = n
		case results.Timeout:
			c.Timeout = n
		case results.InfraError:
			c.InfraError = n
		}
	}
	return c, rows.Err()
}

// Prune deletes runs that started before t and returns how many went.
func (s *Store) Prune(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, "DELETE FROM runs WHERE start_ms < ?", before.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("history %s: prune: %w", s.path, err)
	}
	return res.RowsAffected()
}

// SaveBaseline keeps a passing load test's summary as the baseline of its
// load test and environment.
func (s *Store) SaveBaseline(ctx context.Context, sum *results.Summary, at time.Time) error {
	var buf strings.Builder
	if err := sum.WriteJSON(&buf); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, "INSERT INTO baselines (loadtest, env, saved_ms, summary) VALUES (?, ?, ?, ?)",
		sum.LoadTest, sum.Env, at.UnixMilli(), buf.String())
	if err != nil {
		return fmt.Errorf("history %s: save baseline: %w", s.path, err)
	}
	return nil
}

// ErrNoBaseline is returned when no baseline was saved.
var ErrNoBaseline = errors.New("no baseline saved")

// LastBaseline returns the newest baseline of a load test on env.
func (s *Store) LastBaseline(ctx context.Context, loadtest, env string) (*results.Summary, error) {
	var text string
	err := s.db.QueryRowContext(ctx, "SELECT summary FROM baselines WHERE loadtest = ? AND env = ? ORDER BY saved_ms DESC, id DESC LIMIT 1",
		loadtest, env).Scan(&text)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w for %s on %s: run 'probe load %s --env %s --save-baseline' on a good build first", ErrNoBaseline, loadtest, env, loadtest, env)
	}
	if err != nil {
		return nil, fmt.Errorf("history %s: %w", s.path, err)
	}
	return results.ReadSummary(strings.NewReader(text))
}
