# rxsse — the front door. Every target works on a fresh clone.
GO          ?= go
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 30s
PORT        ?= 3000
ROUNDS      ?= 3
QUICK       ?=
ONLY        ?=
WINDOW      ?=
SOAK_DURATION ?= 3m
# The modules of this repository: the core (what users import for SSE), and
# the heavier integrations and applications, each with its own go.mod, so that
# a user pays only for what they import.
MODULES     := . metrics observable/hub/natshub openapi examples loadtest
# The conformance tests of event order, the replay/live seam and resuming.
BROKER_ORDERING = Conformance/(EventsArrive|ASubscriptionResumes|TheReplayLiveSeam|ConcurrentPublishers|AClientWithNoEvent|OldestStarts|ASlowSubscriber)

.PHONY: all run cluster test unit soak deps api e2e-deps bench bench-load lint fuzz tidy-check clean

all: lint test

## run: start the seed example (examples/hello) on :$(PORT)
run:
	cd examples && PORT=$(PORT) $(GO) run ./hello

## cluster: examples/chat on NATS JetStream: an embedded NATS server (or NATS_URL) and three instances on :3001-:3003
cluster:
	cd examples && $(GO) run ./cluster

## test: every test of every module with -race, browser and npm-client end-to-end tests included; then the brokers without -race (whose timing hides ordering bugs), their ordering, seam and resume tests ten times; first, the core's dependencies (make deps)
test: e2e-deps deps
	@set -e; for m in $(MODULES); do echo "== $$m: go test -race"; (cd $$m && RXSSE_E2E=1 $(GO) test -race -count=1 ./...); done
	@echo "== the brokers without -race"
	$(GO) test -count=1 ./internal/fanout/ ./observable/hub/...
	cd observable/hub/natshub && $(GO) test -count=1 ./...
	$(GO) test -count=10 -run '$(BROKER_ORDERING)' ./observable/hub/...
	cd observable/hub/natshub && $(GO) test -count=10 -run '$(BROKER_ORDERING)' ./...

## unit: the Go tests of every module (end-to-end tests skip when their tools are missing)
unit:
	@set -e; for m in $(MODULES); do echo "== $$m"; (cd $$m && $(GO) test -race -count=1 ./...); done

## api: count the public surface (exported top-level names and option constructors of every module's public packages); -v lists them
api:
	$(GO) run ./internal/apicount -v .

## deps: a fresh module that imports controller, transport and observable/hub lists at most 15 modules, none of them NATS or Prometheus
deps:
	@bash .ci/core-deps

## soak: natshub under churn for SOAK_DURATION ($(SOAK_DURATION)): 3 instances, 300 clients resuming at random, an instance and NATS restarted; prints "soak: ... lost=0 duplicated=0 gaps=0 ..." (make test runs a 12 s version)
soak:
	cd observable/hub/natshub && RXSSE_SOAK=$(SOAK_DURATION) $(GO) test -count=1 -run '^TestSoak$$' -v -timeout 30m .

## e2e-deps: install what the end-to-end tests need (Chromium from Debian, npm packages)
e2e-deps:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing chromium (Debian package)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@if [ -f e2e/package.json ] && { [ ! -d e2e/node_modules ] || [ e2e/package-lock.json -nt e2e/node_modules/.package-lock.json ]; }; then \
		echo "installing e2e npm packages"; \
		cd e2e && npm ci --no-audit --no-fund --loglevel=error; fi

## bench: Go benchmarks of every module with allocation counts (compare runs with benchstat)
bench:
	@set -e; for m in $(MODULES); do (cd $$m && $(GO) test -run '^$$' -bench . -benchmem ./...); done

## bench-load: the load benchmark against bare net/http and NestJS (~22 min, ROUNDS=$(ROUNDS); QUICK=1: ~2 min smoke run into bin/loadtest); rewrites BENCHMARKS.md's load section. ONLY=nats: only the NATS JetStream rows (~4 min), merged into loadtest/results/load.json (ONLY takes scenario names or groups, comma-separated; WINDOW=30s sets every fan-out window, 20 s by default, 5 s with QUICK=1)
bench-load:
	cd loadtest && $(GO) build -o ../bin/loadtest/ ./cmd/...
ifneq ($(ONLY),nats)
	cd loadtest/nest && npm ci --no-audit --no-fund --loglevel=error && npx tsc -p tsconfig.json
endif
	./bin/loadtest/benchload -bin bin/loadtest -nest loadtest/nest -rounds $(ROUNDS) \
		$(if $(QUICK),-quick) $(if $(ONLY),-only $(ONLY) -merge loadtest/results/load.json) $(if $(WINDOW),-window $(WINDOW)) \
		-command "make bench-load$(if $(filter-out 3,$(ROUNDS)), ROUNDS=$(ROUNDS))$(if $(QUICK), QUICK=1)$(if $(ONLY), ONLY=$(ONLY))$(if $(WINDOW), WINDOW=$(WINDOW))"

## lint: gofmt, go vet, staticcheck and go mod tidy, in every module
lint: tidy-check
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	@set -e; for m in $(MODULES); do echo "== $$m: vet, staticcheck"; (cd $$m && $(GO) vet ./... && $(GO) run $(STATICCHECK) ./...); done

tidy-check:
	@set -e; for m in $(MODULES); do (cd $$m && $(GO) mod tidy -diff >/dev/null) || { (cd $$m && $(GO) mod tidy -diff); echo "go mod tidy needed in $$m"; exit 1; }; done

## fuzz: a bounded run of every fuzz target ($(FUZZTIME) each)
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzRoundTrip$$' -fuzztime $(FUZZTIME) ./encoder
	$(GO) test -run '^$$' -fuzz '^FuzzDecoder$$' -fuzztime $(FUZZTIME) ./encoder

clean:
	rm -rf e2e/node_modules
