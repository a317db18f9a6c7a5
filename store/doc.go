// Package store owns probe's history: every scenario run in an embedded
// SQLite file (modernc.org/sqlite, pure Go, WAL mode) under .probe/ by
// default, with counts by status for SLA windows and retention by age.
// It imports results only.
package store
