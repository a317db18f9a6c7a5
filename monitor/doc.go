// Package monitor is the long-running uptime probe behind `probe run`: it
// schedules every scenario on every environment it names (interval plus
// jitter, never overlapping itself, sooner while failing, bounded browser and
// HTTP concurrency), keeps each run in the history (held in memory while the
// history cannot be written), and serves Prometheus metrics, SLA gauges from
// the history, a status page and health endpoints.
//
// It imports scenarios, store, suite and results; nothing imports it but
// cmd/probe.
package monitor
