// Package reports renders results for people and tools. It never runs
// anything: it reads results values and writes to the writer it is given.
// So far: the terminal table of scenario runs.
package reports
