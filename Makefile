# wsbbot: the whole set-up on a fresh machine is `make run` and `make test`.
# Tools the targets need are installed into .tools/ by the targets themselves.

GO          ?= go
BIN         := bin/wsbbot
TOOLS       := $(CURDIR)/.tools
STATICCHECK := $(TOOLS)/staticcheck
STATICCHECK_VERSION := v0.8.2
FUZZTIME    ?= 30s
BENCHTIME   ?= 1s
ARGS        ?= demo

.DEFAULT_GOAL := help

.PHONY: help build cross run test test-extra vet fmt-check lint bench fuzz conformance clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build bin/wsbbot
	$(GO) build -o $(BIN) ./cmd/wsbbot

# The platforms wsbbot ships for: the bot on a Linux host (systemd, see
# deploy/) or on Windows as a service.
CROSS := windows/amd64 linux/amd64 linux/arm64

cross: ## build static binaries for every platform in CROSS into bin/ (wsbbot-GOOS-GOARCH[.exe])
	@set -e; for p in $(CROSS); do \
	  os=$${p%/*}; arch=$${p#*/}; ext=; [ "$$os" = windows ] && ext=.exe; \
	  echo "$(GO) build $$os/$$arch -> bin/wsbbot-$$os-$$arch$$ext"; \
	  CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -o bin/wsbbot-$$os-$$arch$$ext ./cmd/wsbbot; \
	  CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) vet ./cmd/wsbbot; \
	done

run: build ## run wsbbot (default: the demo chat against the simulated lab; `make run ARGS="lookup 0x80780119"`)
	./$(BIN) $(ARGS)

test: fmt-check vet ## gofmt check, go vet, all tests with -race (fuzz seeds included), bundled YAML validation
	$(GO) test -race -count=1 ./...
	$(GO) run ./cmd/wsbbot validate

test-extra: ## root tests in their own network namespace, every loopback packet delayed 10 ms / lost (CI runs it; without root it fails, WSBBOT_EXTRA_OPTIONAL=1 skips)
	GO=$(GO) .ci/test-extra

vet: ## go vet
	$(GO) vet ./...

fmt-check: ## fail when a file is not gofmt-formatted
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.tools/*')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

$(STATICCHECK):
	GOBIN=$(TOOLS) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

lint: fmt-check vet $(STATICCHECK) ## gofmt, go vet, staticcheck
	$(STATICCHECK) ./...

bench: ## run every benchmark once with memory figures
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) ./...

fuzz: ## run every fuzz target for FUZZTIME each (default 30s; a count such as 200x also works, as CI uses)
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list='^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$t ($(FUZZTIME))"; \
	    $(GO) test -run='^$$' -fuzz="^$$t$$" -fuzztime=$(FUZZTIME) $$pkg; \
	  done; \
	done

conformance: ## pywinrm (Debian python3-winrm; installed with apt when missing, which needs root) against the fake WinRM server and the lab
	@/usr/bin/python3 -c 'import winrm' 2>/dev/null || { \
	  echo "installing python3-winrm (Debian) for /usr/bin/python3"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-winrm; }
	$(GO) test -tags conformance -count=1 -v ./remote/conformance/

clean: ## remove build output and installed tools
	rm -rf bin $(TOOLS)
