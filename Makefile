# cnc — one entry point. `make demo` and `make test` are the README's two commands.
SWIFT ?= swift
CONFIG ?= debug
BIN := .build/$(CONFIG)

.PHONY: all deps build test demo bench check-layers clean

all: build

deps:
	@scripts/install-deps.sh

# Release binaries link the Swift runtime statically (faster start: see BENCHMARKS.md).
STATIC := $(if $(filter release,$(CONFIG)),--static-swift-stdlib,)

build: deps
	$(SWIFT) build -c $(CONFIG) $(STATIC)

# Every test: unit and real-kernel integration, plus the layering check. Fails on any failure.
test: deps
	@scripts/run-tests.sh

check-layers:
	@python3 scripts/check-layers.py

demo: build
	@scripts/demo.sh $(BIN)

bench: deps
	$(SWIFT) build -c release --static-swift-stdlib
	@for b in bench/*.sh; do echo "== $$b"; bash "$$b" || exit 1; done

clean:
	rm -rf .build
