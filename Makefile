# cnc — one entry point. `make demo` and `make test` are the README's two commands.
SWIFT ?= swift
CONFIG ?= debug
BIN := .build/$(CONFIG)

.PHONY: all deps build test test-unit demo bench check-layers clean

all: build

deps:
	@scripts/install-deps.sh

# Release binaries link the Swift runtime statically and as position-dependent executables:
# no 100k relative relocations to apply at every start (see BENCHMARKS.md). The StaticFront
# trait makes the `cnc` front fully static, which needs the static runtime (Package.swift).
RELEASE_FLAGS := --static-swift-stdlib -Xlinker --no-pie --traits StaticFront
STATIC := $(if $(filter release,$(CONFIG)),$(RELEASE_FLAGS),)

build: deps
	$(SWIFT) build -c $(CONFIG) $(STATIC)

# Every test: unit and real-kernel integration, plus the layering check. Fails on any failure.
test: deps
	@scripts/run-tests.sh

# The unit tiers only (CNC<Area>Tests): seconds, any user, no kernel objects or built binaries.
test-unit:
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --skip 'IntegrationTests\.'

check-layers:
	@python3 scripts/check-layers.py

demo: build
	@scripts/demo.sh $(BIN)

bench: deps
	$(SWIFT) build -c release $(RELEASE_FLAGS)
	@for b in bench/*.sh; do echo "== $$b"; bash "$$b" || exit 1; done

clean:
	rm -rf .build
