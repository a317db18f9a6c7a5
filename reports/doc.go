// Package reports renders results for people and tools: the terminal tables
// of runs, summaries, gates, drills and SLAs, and one report of them all in
// each format of its formats table (text, HTML with inline SVG charts,
// Markdown for pull requests and job summaries, JUnit XML, and a versioned
// JSON bundle that Read takes back). It never runs anything: it reads
// results values and writes to the writer it is given.
//
// It imports results only.
package reports
