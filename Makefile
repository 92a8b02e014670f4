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
# A release build names the executables: built whole with --static-swift-stdlib, SwiftPM would
# also compile CNCTestSupport (test helpers, a library target), and the static runtime's SDK
# has no Testing module.
PRODUCTS := cnc cnc-cli cnc-net cncapply cnc-registry cnc-init cnc-monitor cnc-dns
RELEASE_BUILD := for p in $(PRODUCTS); do $(SWIFT) build -c release $(RELEASE_FLAGS) --product $$p || exit 1; done

build: deps
ifeq ($(CONFIG),release)
	$(RELEASE_BUILD)
else
	$(SWIFT) build -c $(CONFIG)
endif

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
	$(RELEASE_BUILD)
	@for b in bench/*.sh; do echo "== $$b"; bash "$$b" || exit 1; done

clean:
	rm -rf .build
