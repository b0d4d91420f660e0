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

.PHONY: help build test lint unit fuzz tools
.DEFAULT_GOAL := help

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-24s %s\n", $$1, $$2}'

build: ## build the corsguard CLI into bin/
	$(GO) build -o $(BIN)/ ./cmd/...

tools: $(BIN)/staticcheck ## install the pinned tools into bin/

$(BIN)/staticcheck:
	$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(BIN)/aws-lambda-rie:
	$(GO) install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)

test: lint unit ## the one test command: vet, staticcheck, gofmt, and every test under the race detector

lint: tools
	$(GO) vet ./...
	$(BIN)/staticcheck ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

unit:
	$(GO) test -race -count=1 ./...

fuzz: ## a short bounded run of every fuzz target (FUZZTIME each, default 20s)
	@for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$t"; $(GO) test -run='^$$' -fuzz="^$$t$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done
