// Package store owns probe's history: every scenario run in an embedded
// SQLite file (modernc.org/sqlite, pure Go, WAL mode) under .probe/ by
// default, with counts by status for SLA windows, retention by age, and the
// baselines of the release gate. One daemon writes a history (Lock); readers
// open it read-only (OpenReadOnly) and never create it.
//
// It imports results, and suite for the names of file kinds.
package store
