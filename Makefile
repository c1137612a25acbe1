# nscope — see README.md. `make help` lists the targets.
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(HOME)/go/bin:$(PATH)
GO ?= go
# enter and run need the cgo constructor in control/nsexec.
export CGO_ENABLED := 1
BIN := bin/nscope
FUZZTIME ?= 10s
# Extra arguments for `make run`, e.g. make run ARGS='--interval 2s'.
ARGS ?=
# Extra arguments for the kernel lab, e.g. make kernlab KERNLAB_ARGS='-config 6.12-v2 -run TestLabScan -v'.
KERNLAB_ARGS ?=
# Host binaries the lab puts into its guests (with their libraries): runc, for container tests.
KERNLAB_EXTRA ?= $(shell command -v runc)
# The configuration whose guest is reachable over SSH after its tests, for the host's nscope -H tests against a second kernel (empty: none).
KERNLAB_SSH ?= 6.1-v2

.DEFAULT_GOAL := help

.PHONY: help build static run deps test unit kernlab bench bench-up bench-down bench-cpu bench-record fuzz fmt lint generate screenshots clean

help: ## List the targets
	@awk 'BEGIN{FS=":.*## "} /^[a-z][a-z-]*:.*## /{printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## Build bin/nscope
	$(GO) build -o $(BIN) ./cmd/nscope

static: ## Build bin/nscope-static, linked statically (cgo too), to run on other hosts with --install
	$(GO) build -tags osusergo,netgo -ldflags '-extldflags -static' -o bin/nscope-static ./cmd/nscope

run: build ## Start the TUI (run as root to see every process and holder)
	./$(BIN) $(ARGS)

deps: ## Install the test tools (tmux, iproute2, util-linux, QEMU, container runtimes) when root and missing; start containerd and dockerd
	./.ci/install-deps
	./.ci/start-runtimes

test: deps lint build unit kernlab ## Run every check and test: lint, unit, fuzz seeds, live (as root), end-to-end, kernel lab

unit: ## Run the Go tests (live tests need root and skip with a message otherwise)
	$(GO) test -count=1 ./...

kernlab: ## Boot QEMU guests (6.1 and 6.12 with cgroup v2, 6.1 legacy v1) and run the TestLab tests in each
	$(GO) run ./cmd/kernlab $(addprefix -extra ,$(KERNLAB_EXTRA)) $(addprefix -ssh ,$(KERNLAB_SSH)) $(KERNLAB_ARGS)

bench: build ## Go benchmarks, then the busy-host comparison against lsns and ps
	$(GO) test -run '^$$' -bench . -benchmem ./...
	$(GO) run ./cmd/benchhost

bench-up: build ## Build the busy bench host and keep it until Ctrl-C
	$(GO) run ./cmd/benchhost up

bench-down: ## Remove what an interrupted bench run left behind
	$(GO) run ./cmd/benchhost down

bench-cpu: build ## TUI CPU (1 s refresh, steady state: 20 s settle, 60 s window) against top -b -d 1 on the bench host
	$(GO) run ./cmd/benchhost cpu -settle 20s -duration 60s -- 'bin/nscope --interval 1s' 'top -b -d 1 >/dev/null'

bench-record: build ## Recorder CPU (1 s interval) on the bench host, its disk use per hour and a seek
	./contrib/bench-record.sh

fuzz: ## Run every fuzz target for FUZZTIME (default 10s)
	./.ci/fuzz $(FUZZTIME)

fmt: ## Format the code
	gofmt -w $$(git ls-files '*.go')

lint: ## go mod tidy -diff, gofmt, go vet and staticcheck (installed if missing); CI runs it in make test
	./.ci/lint

generate: ## Rebuild the committed BPF objects after changing inspect/internal/bpf (needs clang, llvm, libbpf-dev)
	$(GO) generate ./inspect/...

screenshots: build ## Regenerate the PNGs in screenshots/ from the real TUI
	./screenshots/generate.sh

clean: ## Remove build output
	rm -rf bin
