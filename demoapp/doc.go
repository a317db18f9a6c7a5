// Package demoapp is the embedded demo shop that `probe demo`, the examples and
// the tests run against: HTML pages (home, products, product, cart, checkout
// with a form sent by JavaScript, order), a JSON API (products, cart, checkout,
// health, and a bearer-token login with the orders it guards: orders.go) and admin endpoints under /_admin/ for fault injection at run time
// (latency, error rate, outage, stall, capacity limit) and ground-truth
// counters per route.
//
// It imports only the standard library and client_golang; nothing in probe
// depends on it but cmd/probe and tests.
package demoapp
