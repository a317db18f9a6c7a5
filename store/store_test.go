package store

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/probe-dev/probe/results"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func run(scenario string, status results.Status, at time.Time) results.Run {
	return results.Run{Scenario: scenario, Env: "dev", Start: at, Duration: 120 * time.Millisecond, Status: status,
		Attempts: []results.Attempt{{Status: status, TraceID: "abc", Steps: []results.Step{
			{Name: "navigate /", Status: results.Pass}, {Name: "click #buy", Status: status, Reason: "r"}}}}}
}

func TestHistorySurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "history.db")
	s, err := Open(t.Context(), path)
	require.NoError(t, err)
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	statuses := []results.Status{results.Pass, results.Pass, results.Fail, results.Timeout, results.InfraError, results.Pass}
	for i, st := range statuses {
		require.NoError(t, s.Add(t.Context(), RecordOf(run("checkout", st, t0.Add(time.Duration(i)*time.Minute)))))
	}
	require.NoError(t, s.Add(t.Context(), RecordOf(run("health", results.Fail, t0))))
	require.NoError(t, s.Close())

	s, err = Open(t.Context(), path)
	require.NoError(t, err)
	defer s.Close()
	c, err := s.Count(t.Context(), Query{Scenario: "checkout", Env: "dev"})
	require.NoError(t, err)
	assert.Equal(t, Counts{Pass: 3, Fail: 1, Timeout: 1, InfraError: 1}, c)
	assert.InDelta(t, 3.0/5.0, c.Availability(), 1e-12, "infra_error counts for nothing")

	recs, err := s.Runs(t.Context(), Query{Scenario: "checkout", Since: t0.Add(2 * time.Minute), Until: t0.Add(4 * time.Minute)})
	require.NoError(t, err)
	require.Len(t, recs, 2)
	assert.Equal(t, results.Fail, recs[0].Status)
	assert.Equal(t, "click #buy", recs[0].FailingStep)
	assert.Equal(t, 120*time.Millisecond, recs[0].Duration)
	assert.Len(t, recs[0].Steps, 2)
	assert.True(t, recs[0].Start.Equal(t0.Add(2*time.Minute)))

	newest, err := s.Runs(t.Context(), Query{Limit: 1})
	require.NoError(t, err)
	require.Len(t, newest, 1)
	assert.Equal(t, results.Pass, newest[0].Status)

	n, err := s.Prune(t.Context(), t0.Add(3*time.Minute))
	require.NoError(t, err)
	assert.Equal(t, int64(4), n)
	c, err = s.Count(t.Context(), Query{})
	require.NoError(t, err)
	assert.Equal(t, Counts{Pass: 1, Timeout: 1, InfraError: 1}, c)
	assert.Equal(t, 1.0, Counts{}.Availability(), "no runs: nothing to hold against the target")
}

func TestCorruptFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.db")
	require.NoError(t, os.WriteFile(path, []byte("this is not a database, not at all, just text that goes on"), 0o600))
	_, err := Open(t.Context(), path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "history "+path)
	assert.Contains(t, err.Error(), "move the file away to start a new history")
}

// TestLazyWaitsForAGoodFile: a corrupt file fails every call, clearly, until
// it is moved away; then the history opens and takes runs again.
func TestLazyWaitsForAGoodFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.db")
	require.NoError(t, os.WriteFile(path, []byte("this is not a database, not at all, just text that goes on"), 0o600))
	l := &Lazy{Path: path}
	defer l.Close()
	rec := RecordOf(run("c", results.Pass, time.Now()))
	err := l.Add(t.Context(), rec)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "move the file away")
	require.NoError(t, os.Rename(path, path+".bad"))
	require.NoError(t, l.Add(t.Context(), rec))
	c, err := l.Count(t.Context(), Query{})
	require.NoError(t, err)
	assert.Equal(t, int64(1), c.Pass)
}

func TestBaselines(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "h.db"))
	require.NoError(t, err)
	defer s.Close()
	_, err = s.LastBaseline(t.Context(), "spike", "dev")
	require.ErrorIs(t, err, ErrNoBaseline)
	assert.Contains(t, err.Error(), "--save-baseline")
	t0 := time.Now()
	for i, sent := range []int64{100, 200} {
		sum := &results.Summary{LoadTest: "spike", Env: "dev", Sent: sent, Overall: results.NewEndpoint("overall", "", "")}
		require.NoError(t, s.SaveBaseline(t.Context(), sum, t0.Add(time.Duration(i)*time.Second)))
	}
	got, err := s.LastBaseline(t.Context(), "spike", "dev")
	require.NoError(t, err)
	assert.Equal(t, int64(200), got.Sent, "the newest")
}

// TestLockOneWriter: a second lock on the same history is refused, naming
// the holder's pid; once released, the history can be locked again.
func TestLockOneWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	unlock, err := Lock(path)
	require.NoError(t, err)
	_, err = Lock(path)
	require.ErrorIs(t, err, ErrInUse)
	assert.Contains(t, err.Error(), fmt.Sprintf("held by pid %d", os.Getpid()))
	require.NoError(t, unlock())
	unlock, err = Lock(path)
	require.NoError(t, err, "a released lock is no lock")
	require.NoError(t, unlock())
}

// TestOpenReadOnly: reading a history never creates one, and a file that is
// no history is named as such.
func TestOpenReadOnly(t *testing.T) {
	dir := t.TempDir()
	_, err := OpenReadOnly(t.Context(), filepath.Join(dir, "none", "h.db"))
	assert.ErrorContains(t, err, "does not exist")
	assert.NoDirExists(t, filepath.Join(dir, "none"))

	garbage := filepath.Join(dir, "garbage.db")
	require.NoError(t, os.WriteFile(garbage, []byte(strings.Repeat("not sqlite ", 100)), 0o600))
	_, err = OpenReadOnly(t.Context(), garbage)
	assert.ErrorContains(t, err, "is not a probe history")

	path := filepath.Join(dir, "h.db")
	s, err := Open(t.Context(), path)
	require.NoError(t, err)
	require.NoError(t, s.Add(t.Context(), Record{Scenario: "up", Env: "dev", Start: time.Now(), Status: results.Pass}))
	require.NoError(t, s.Close())
	ro, err := OpenReadOnly(t.Context(), path)
	require.NoError(t, err)
	defer ro.Close()
	runs, err := ro.Runs(t.Context(), Query{Env: "dev"})
	require.NoError(t, err)
	assert.Len(t, runs, 1)
	assert.Error(t, ro.Add(t.Context(), Record{Scenario: "up", Env: "dev", Start: time.Now(), Status: results.Pass}), "read-only")
}

// TestOpenRefusesWhatIsNoHistory: a path that can never hold a history is
// refused as ErrNotHistory, with what it is and what to do, and another
// program's database is left as it was.
func TestOpenRefusesWhatIsNoHistory(t *testing.T) {
	foreign := func(t *testing.T, path string) {
		db, err := sql.Open("sqlite", path)
		require.NoError(t, err)
		defer db.Close()
		_, err = db.Exec("CREATE TABLE orders (id INTEGER)")
		require.NoError(t, err)
	}
	newer := func(t *testing.T, path string) {
		s, err := Open(t.Context(), path)
		require.NoError(t, err)
		_, err = s.db.Exec(fmt.Sprintf("PRAGMA user_version = %d", len(schema)+1))
		require.NoError(t, err)
		require.NoError(t, s.Close())
	}
	cases := []struct {
		name string
		make func(t *testing.T, path string)
		want string
	}{
		{"a folder", func(t *testing.T, p string) { require.NoError(t, os.Mkdir(p, 0o700)) }, "is not a file (a folder)"},
		{"a named pipe", func(t *testing.T, p string) { require.NoError(t, syscall.Mkfifo(p, 0o600)) }, "is not a file (a named pipe)"},
		{"a text file", func(t *testing.T, p string) {
			require.NoError(t, os.WriteFile(p, []byte(strings.Repeat("not sql ", 100)), 0o600))
		}, "file is not a database"},
		{"another program's database", foreign, "a SQLite database of another program (tables orders), which probe leaves alone; give --history another file"},
		{"a newer probe's history", newer, "written by a newer probe"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "h.db")
			tc.make(t, path)
			before := dbTables(t, path)
			_, err := Open(t.Context(), path)
			require.ErrorIs(t, err, ErrNotHistory)
			assert.Contains(t, err.Error(), "history "+path)
			assert.Contains(t, err.Error(), tc.want)
			unlock, err := Lock(path)
			if info, serr := os.Stat(path); serr == nil && !info.Mode().IsRegular() {
				require.ErrorIs(t, err, ErrNotHistory, "no lock file beside what is no file")
				assert.NoFileExists(t, path+".lock")
			} else {
				require.NoError(t, err)
				require.NoError(t, unlock())
			}
			assert.Equal(t, before, dbTables(t, path), "nothing written into it")
		})
	}
}

// dbTables lists the tables of the SQLite file at path, or nil when it is
// no regular SQLite file.
func dbTables(t *testing.T, path string) []string {
	if info, err := os.Stat(path); err != nil || !info.Mode().IsRegular() {
		return nil
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	require.NoError(t, err)
	defer db.Close()
	rows, err := db.Query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
	if err != nil {
		return nil
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		require.NoError(t, rows.Scan(&n))
		names = append(names, n)
	}
	return names
}
