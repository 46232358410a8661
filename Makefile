# rxsse — the front door. Every target works on a fresh clone.
GO          ?= go
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 30s
PORT        ?= 3000
ROUNDS      ?= 3
QUICK       ?=
ONLY        ?=
SOAK_DURATION ?= 3m
# The conformance tests of event order, the replay/live seam and resuming.
BROKER_ORDERING = Conformance/(EventsArrive|ASubscriptionResumes|TheReplayLiveSeam|ConcurrentPublishers|AClientWithNoEvent|OldestStarts|ASlowSubscriber)

.PHONY: all run cluster test unit soak e2e-deps bench bench-load lint fuzz tidy-check clean

all: lint test

## run: start the seed example (examples/hello) on :$(PORT)
run:
	PORT=$(PORT) $(GO) run ./examples/hello

## cluster: examples/chat on NATS JetStream: an embedded NATS server (or NATS_URL) and three instances on :3001-:3003
cluster:
	$(GO) run ./examples/cluster

## test: every test with -race, browser and npm-client end-to-end tests included; then the brokers without -race (whose timing hides ordering bugs), their ordering, seam and resume tests ten times
test: e2e-deps
	RXSSE_E2E=1 $(GO) test -race -count=1 ./...
	$(GO) test -count=1 ./internal/fanout/ ./observable/hub/...
	$(GO) test -count=10 -run '$(BROKER_ORDERING)' ./observable/hub/...

## unit: the Go tests only (end-to-end tests skip when their tools are missing)
unit:
	$(GO) test -race -count=1 ./...

## soak: natshub under churn for SOAK_DURATION ($(SOAK_DURATION)): 3 instances, 300 clients resuming at random, an instance and NATS restarted; prints "soak: ... lost=0 duplicated=0 gaps=0 ..." (make test runs a 12 s version)
soak:
	RXSSE_SOAK=$(SOAK_DURATION) $(GO) test -count=1 -run '^TestSoak$$' -v -timeout 30m ./observable/hub/natshub/

## e2e-deps: install what the end-to-end tests need (Chromium from Debian, npm packages)
e2e-deps:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing chromium (Debian package)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@if [ -f e2e/package.json ] && { [ ! -d e2e/node_modules ] || [ e2e/package-lock.json -nt e2e/node_modules/.package-lock.json ]; }; then \
		echo "installing e2e npm packages"; \
		cd e2e && npm ci --no-audit --no-fund --loglevel=error; fi

## bench: Go benchmarks with allocation counts (compare runs with benchstat)
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## bench-load: the load benchmark against bare net/http and NestJS (~22 min, ROUNDS=$(ROUNDS); QUICK=1: ~2 min smoke run into bin/loadtest); rewrites BENCHMARKS.md's load section. ONLY=nats: only the NATS JetStream rows (~4 min), merged into internal/loadtest/results/load.json (ONLY takes scenario names or groups, comma-separated)
bench-load:
	$(GO) build -o bin/loadtest/ ./internal/loadtest/cmd/...
ifneq ($(ONLY),nats)
	cd internal/loadtest/nest && npm ci --no-audit --no-fund --loglevel=error && npx tsc -p tsconfig.json
endif
	./bin/loadtest/benchload -bin bin/loadtest -nest internal/loadtest/nest -rounds $(ROUNDS) \
		$(if $(QUICK),-quick) $(if $(ONLY),-only $(ONLY) -merge internal/loadtest/results/load.json) \
		-command "make bench-load$(if $(filter-out 3,$(ROUNDS)), ROUNDS=$(ROUNDS))$(if $(QUICK), QUICK=1)$(if $(ONLY), ONLY=$(ONLY))"

## lint: gofmt, go vet, staticcheck, go mod tidy
lint: tidy-check
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

tidy-check:
	@$(GO) mod tidy -diff >/dev/null || { $(GO) mod tidy -diff; echo "go mod tidy needed"; exit 1; }

## fuzz: a bounded run of every fuzz target ($(FUZZTIME) each)
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzRoundTrip$$' -fuzztime $(FUZZTIME) ./encoder
	$(GO) test -run '^$$' -fuzz '^FuzzDecoder$$' -fuzztime $(FUZZTIME) ./encoder

clean:
	rm -rf e2e/node_modules
