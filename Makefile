# cnc — one entry point. `make demo` and `make test` are the README's two commands.
SWIFT ?= swift
CONFIG ?= debug
BIN := .build/$(CONFIG)

.PHONY: all deps build test test-unit test-v2 demo bench check-layers clean install uninstall

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

# cnc's cgroup v2 paths on a real cgroup v2 host: a Debian VM under qemu (scripts/v2vm.sh). Not
# part of `make test`: where /dev/kvm cannot boot a stock kernel it runs under TCG, minutes long.
test-v2:
	$(SWIFT) build
	@scripts/v2vm.sh $(BIN)

check-layers:
	@python3 scripts/check-layers.py

demo: build
	@scripts/demo.sh $(BIN)

bench:
	@scripts/install-deps.sh --bench
	$(RELEASE_BUILD)
	@for b in bench/*.sh; do echo "== $$b"; bash "$$b" || exit 1; done

# `make install [PREFIX=/usr/local] [DESTDIR=...]`: a release build, then every executable cnc
# needs at run time in $(PREFIX)/bin, bash/zsh/fish completions and a man page per command
# (scripts/install.sh). INSTALL_FROM=.build/debug installs an existing build instead of
# making a release one (the install check does, to stay quick).
PREFIX ?= /usr/local
DESTDIR ?=
INSTALL_FROM ?=

install:
ifeq ($(INSTALL_FROM),)
	$(RELEASE_BUILD)
	@scripts/install.sh install .build/release "$(DESTDIR)" "$(PREFIX)"
else
	@scripts/install.sh install "$(INSTALL_FROM)" "$(DESTDIR)" "$(PREFIX)"
endif

uninstall:
	@scripts/install.sh uninstall - "$(DESTDIR)" "$(PREFIX)"

clean:
	rm -rf .build
