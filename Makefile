# probe: the two commands of the README, and the developer's others.
GO      ?= go
PKGS    := ./...
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: setup demo test bench lint fuzz build schema gate-eval

setup:
	@scripts/setup.sh

build:
	$(GO) build -o probe ./cmd/probe

## demo: start the demo shop and run the example suite against it
demo: setup
	$(GO) run ./cmd/probe demo

## test: the whole test suite, real Chromium, Prometheus and demo shop included
test: setup
	$(GO) vet $(PKGS)
	# One package at a time: several tests measure rates and latencies, and
	# packages running side by side on two cores would skew them.
	$(GO) test -race -count=1 -p 1 -timeout 14m $(PKGS)

## bench: Go benchmarks, then probe load beside the vegeta CLI on one target
## (speed and memory are measured here, never in tests)
bench: setup
	$(GO) test -run '^$$' -bench . -benchmem -count 3 $(PKGS)
	$(GO) run ./scripts/benchvegeta

## lint: formatting, vet and staticcheck
lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) run $(STATICCHECK) $(PKGS)

## fuzz: fuzz the parsers (suite loader, summary and run files) for a while; new findings land in testdata/fuzz
fuzz:
	$(GO) test ./suite -run '^$$' -fuzz FuzzLoad -fuzztime 60s
	$(GO) test ./results -run '^$$' -fuzz FuzzReadSummary -fuzztime 30s
	$(GO) test ./results -run '^$$' -fuzz FuzzReadRun -fuzztime 30s

## schema: regenerate the committed JSON Schema
schema:
	$(GO) run ./cmd/probe schema > examples/schema.json

## gate-eval: the gate on realistic traffic: its own decision code on 2000
## simulated gates a case, then 5 real gates a case (10 for A/A) against two
## demo shops each, four cases at a time (slow: about two hours)
gate-eval: setup
	$(GO) run ./scripts/gateeval -sim 2000 -live 5 -lanes 4
