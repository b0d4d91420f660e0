# corsguard — the single entry point for people and CI. `make help` lists the targets.

SHELL := /bin/bash
GO    ?= go
BIN   := $(CURDIR)/bin
export GOBIN := $(BIN)
export PATH  := $(BIN):$(PATH)

STATICCHECK_VERSION := v0.8.2
RIE_VERSION         := v0.0.0-20261030222936-bef5c4ba774d
LAMBDA_FLAGS        := -tags lambda.norpc -trimpath -ldflags "-s -w -buildid="
FUZZTIME            ?= 20s

.PHONY: help build build-EnforcerFunction test lint template unit e2e fuzz tools
.DEFAULT_GOAL := help

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-24s %s\n", $$1, $$2}'

build: ## build the corsguard CLI into bin/
	$(GO) build -o $(BIN)/ ./cmd/...

.PHONY: demo
demo: ## the whole story offline: an in-process AWS emulator, the real Lambda handler, the sample events
	$(GO) run ./cmd/corsguard demo

# sam build (template.yaml: BuildMethod makefile) runs this in a copy of the repository with
# ARTIFACTS_DIR set; the Lambda runtime provided.al2023 starts $(ARTIFACTS_DIR)/bootstrap.
# -buildvcs=false: the copy may hold a .git that is not a usable repository there.
build-EnforcerFunction: ## build the Lambda (arm64) as $(ARTIFACTS_DIR)/bootstrap, as sam build does
	@test -n "$(ARTIFACTS_DIR)" || { echo "build-EnforcerFunction: set ARTIFACTS_DIR (sam build does)" >&2; exit 1; }
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(LAMBDA_FLAGS) -buildvcs=false -o $(ARTIFACTS_DIR)/bootstrap ./cmd/enforcer

tools: $(BIN)/staticcheck $(BIN)/aws-lambda-rie ## install the pinned tools into bin/

$(BIN)/staticcheck:
	$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(BIN)/aws-lambda-rie:
	$(GO) install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)

test: lint template unit ## the one test command: vet, staticcheck, gofmt, cfn-lint, and every test under the race detector

lint: tools
	$(GO) vet ./...
	$(BIN)/staticcheck ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

template: ## lint template.yaml with cfn-lint (runs the SAM transform offline)
	@command -v cfn-lint >/dev/null || { echo "template: cfn-lint is required to check template.yaml and is not on PATH (install it: pip install cfn-lint)" >&2; exit 1; }
	cfn-lint template.yaml

unit: $(BIN)/aws-lambda-rie
	$(GO) test -race -count=1 ./...

e2e: $(BIN)/aws-lambda-rie ## the real bootstrap under aws-lambda-rie against the AWS emulator (also part of make test)
	$(GO) test -race -count=1 ./e2e/

.PHONY: bench
bench: $(BIN)/aws-lambda-rie ## measure against the limits (sweeps, time to compliance, cold start, growth; about 4 min, see the run time in docs/BENCHMARKS.md) and rewrite docs/BENCHMARKS.md
	$(GO) run ./bench/cmd/report -out docs/BENCHMARKS.md -rie $(BIN)/aws-lambda-rie

fuzz: ## a short bounded run of every fuzz target (FUZZTIME each, default 20s)
	@for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$t"; $(GO) test -run='^$$' -fuzz="^$$t$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done
