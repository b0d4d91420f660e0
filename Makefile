# corsguard — the single entry point for people and CI. `make help` lists the targets.

SHELL := /bin/bash
GO    ?= go
BIN   := $(CURDIR)/bin
export GOBIN := $(BIN)
# The project's virtual environment, when `make tools` made one (pyenv's tools were missing).
VENV  := $(CURDIR)/.venv
export PATH  := $(BIN):$(if $(wildcard $(VENV)/bin),$(VENV)/bin:)$(PATH)

STATICCHECK_VERSION := v0.8.2
DUPL_VERSION        := v1.1.0
RIE_VERSION         := v0.0.0-20261030222936-bef5c4ba774d
LAMBDA_FLAGS        := -tags lambda.norpc -trimpath -ldflags "-s -w -buildid="
FUZZTIME            ?= 20s
PYTHON              ?= python3
DIST                ?= $(CURDIR)/dist

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

tools: $(BIN)/staticcheck $(BIN)/aws-lambda-rie $(BIN)/dupl pytools ## install the pinned tools into bin/ (and requirements-dev.txt into .venv/ where they are missing)

.PHONY: pytools
pytools: ## find the Python tools of requirements-dev.txt (pyenv's first); install the missing ones into .venv/, or say what is missing and how to install it
	@.ci/pytools

$(BIN)/staticcheck:
	$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(BIN)/dupl:
	$(GO) install github.com/mibk/dupl@$(DUPL_VERSION)

.PHONY: dupl
dupl: $(BIN)/dupl ## the pinned duplicate-code check (also in make test): no run of 100 tokens stands twice in non-test code but SDK interface shapes (duplicates_test.go)
	$(GO) test -count=1 -run '^TestNoDuplicatedLogic$$' .

$(BIN)/aws-lambda-rie:
	$(GO) install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)

test: lint template unit ## the one test command: vet, staticcheck, gofmt, cfn-lint, and every test under the race detector

lint: tools
	$(GO) vet ./...
	$(BIN)/staticcheck ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

template: ## lint template.yaml and its StackSets rendering (make stackset's template) with cfn-lint
	@command -v cfn-lint >/dev/null || { echo "template: cfn-lint is required to check template.yaml and is not on PATH (install it: pip install cfn-lint)" >&2; exit 1; }
	cfn-lint template.yaml
	@$(check-sam-translator)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  $(PYTHON) deploy/stackset.py template template.yaml "$$tmp/stackset.yaml" >/dev/null && \
	  echo "cfn-lint stackset.yaml (rendered from template.yaml by deploy/stackset.py)" && cfn-lint "$$tmp/stackset.yaml"

# StackSets with service-managed permissions refuse the SAM transform (a macro): deploy/stackset.py
# expands template.yaml with the real SAM translator, which cfn-lint brings along.
define check-sam-translator
$(PYTHON) -c 'import samtranslator' 2>/dev/null || { echo "$@: the AWS SAM translator is required to render template.yaml as plain CloudFormation, and $(PYTHON) cannot import samtranslator (install it: pip install aws-sam-translator; cfn-lint brings it; or set PYTHON=)" >&2; exit 1; }
endef

CHROMIUM ?= chromium

.PHONY: report
report: ## dist/report.html (the HTML audit of make demo's account) and dist/report.png (headless Chromium's screenshot of it)
	@mkdir -p $(DIST)
	$(GO) run ./cmd/corsguard demo --report $(DIST)/report.html
	@command -v $(CHROMIUM) >/dev/null || { echo "report: headless Chromium is needed for the screenshot and '$(CHROMIUM)' is not on PATH (install it: apt-get install -y chromium)" >&2; exit 1; }
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && HOME="$$tmp" $(CHROMIUM) --headless --no-sandbox --disable-gpu --no-first-run \
	  --disable-background-networking --disable-component-update --host-resolver-rules='MAP * ~NOTFOUND' --hide-scrollbars \
	  --user-data-dir="$$tmp/profile" --window-size=1100,1500 --screenshot=$(DIST)/report.png file://$(DIST)/report.html 2>/dev/null | grep -v '^$$' || true
	@test -s $(DIST)/report.png && echo "report: $(DIST)/report.html and $(DIST)/report.png"

.PHONY: stackset
stackset: ## dist/stackset.yaml (template.yaml as plain CloudFormation) and dist/corsguard-lambda.zip, for StackSets (docs/organizations.md)
	@$(check-sam-translator)
	@mkdir -p $(DIST)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  $(MAKE) --no-print-directory build-EnforcerFunction ARTIFACTS_DIR="$$tmp" && \
	  $(PYTHON) deploy/stackset.py zip "$$tmp/bootstrap" $(DIST)/corsguard-lambda.zip
	@$(PYTHON) deploy/stackset.py template template.yaml $(DIST)/stackset.yaml

# The emulator's tests are held to these reference tools (internal/testrig/awsref): say which ran.
unit: $(BIN)/aws-lambda-rie $(BIN)/dupl
	@echo "reference tools: $$(aws --version 2>&1 | head -1); $$(python3 -c 'import boto3, botocore; print("boto3", boto3.__version__, "botocore", botocore.__version__)' 2>&1 | tail -1)"
	$(GO) test -race -count=1 ./...

e2e: $(BIN)/aws-lambda-rie ## the real bootstrap under aws-lambda-rie against the AWS emulator (also part of make test)
	$(GO) test -race -count=1 ./e2e/

.PHONY: bench
bench: $(BIN)/aws-lambda-rie ## measure against the limits (sweeps, time to compliance, cold start, growth; about 20 min, 12 of them the work queue's rows; see the run time in docs/BENCHMARKS.md) and rewrite docs/BENCHMARKS.md
	$(GO) run ./bench/cmd/report -out docs/BENCHMARKS.md -rie $(BIN)/aws-lambda-rie

.PHONY: bench-queue
bench-queue: ## measure only the work queue's rows at AWS's quotas and the CloudTrail storm (issue 23) and rewrite those parts of docs/BENCHMARKS.md
	$(GO) run ./bench/cmd/report -queue -out docs/BENCHMARKS.md

.PHONY: bench-profiles
bench-profiles: ## measure only the profiles' sweep of 1,000 buckets and the change of one profile (issue 24; seconds) and rewrite section 1d of docs/BENCHMARKS.md
	$(GO) run ./bench/cmd/report -profiles -out docs/BENCHMARKS.md

.PHONY: bench-cost
bench-cost: ## measure only the Cost section's counted sweeps (issue 29: 1,000 buckets swept four times with Security Hub on, three with it off; about a minute) and rewrite that section of docs/BENCHMARKS.md
	$(GO) run ./bench/cmd/report -cost 1000 -out docs/BENCHMARKS.md

.PHONY: bench-hub
bench-hub: ## measure only the sweep of 100,000 buckets with Security Hub on (issue 23; a first sweep, bound by its 1,000 imports at 5/s: 200 s) and rewrite section 1c of docs/BENCHMARKS.md
	$(GO) run ./bench/cmd/report -queue-hub 100000 -queue-hub-save bench-hub.json -out docs/BENCHMARKS.md

.PHONY: bench-coldstart
bench-coldstart: $(BIN)/aws-lambda-rie ## measure only the cold start and the binary size (about 20 s) and rewrite those parts of docs/BENCHMARKS.md
	$(GO) run ./bench/cmd/report -coldstart -out docs/BENCHMARKS.md -rie $(BIN)/aws-lambda-rie

fuzz: ## a short bounded run of every fuzz target (FUZZTIME each, default 20s)
	@for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$t"; $(GO) test -run='^$$' -fuzz="^$$t$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done
