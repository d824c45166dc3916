# Studio CRM — `make run` serves the studio, `make test` checks everything.
# Both install what is missing first (idempotently): the WASM target, a
# pinned cargo-leptos built without download support, the wasm-bindgen CLI
# matching Cargo.lock, binaryen's wasm-opt (from npm: Debian's 108 exports
# the wrong table of a module that uses reference types, which breaks
# wasm-bindgen's externref glue), Chromium and the npm packages of end2end/.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

CARGO_LEPTOS_VERSION := 0.3.11
BINARYEN_VERSION := 132.0.0
# The CLI must equal the wasm-bindgen library the WASM was built with.
WASM_BINDGEN_VERSION := $(shell sed -n '/^name = "wasm-bindgen"$$/{n;s/^version = "\(.*\)"/\1/p;}' Cargo.lock)

TOOLS_DIR := $(HOME)/.cache/studio-crm/tools
export PATH := $(TOOLS_DIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
# One target directory outside the checkout, reused by every clone and run:
# a fresh clone then rebuilds only what changed.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/studio-crm/target
export TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
# Builds of Leptos views compile much faster with erased component types
# (release builds erase them too: see always-erase-components in Cargo.toml).
DEV_RUSTFLAGS := --cfg erase_components
SITE_ROOT := $(CURDIR)/target/site
SERVER_BIN := $(CARGO_TARGET_DIR)/release/server
# cargo-leptos 0.3.11 needs a newer rustc than stable when --locked; use the
# installed nightly for that one tool if there is one.
TOOL_TOOLCHAIN := $(shell rustup toolchain list 2>/dev/null | grep -q '^nightly' && echo +nightly)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help run test tools build lint unit-test e2e wasm-size bench loadtest

help:
	@echo "make run   - build and serve the studio at http://127.0.0.1:3000 (SQLite in ./data)"
	@echo "make test  - fmt, clippy, Rust tests on SQLite and PostgreSQL, Playwright in Chromium"
	@echo "make bench - booking and availability with a year of bookings (BENCH_DATABASE_URL=postgres://... for PostgreSQL)"
	@echo "make loadtest - the release server under wrk on both backends, against this machine's ceilings (~10 min)"

## ---------- tools ----------

tools:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt
	@if ! cargo-leptos --version 2>/dev/null | grep -q " $(CARGO_LEPTOS_VERSION)$$"; then \
	  echo "installing cargo-leptos $(CARGO_LEPTOS_VERSION) (no downloads; ~15 min once)"; \
	  env -u CARGO_TARGET_DIR cargo $(TOOL_TOOLCHAIN) install cargo-leptos --version $(CARGO_LEPTOS_VERSION) --locked --features no_downloads; \
	fi
	@if ! wasm-bindgen --version 2>/dev/null | grep -q " $(WASM_BINDGEN_VERSION)$$"; then \
	  echo "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION)"; \
	  env -u CARGO_TARGET_DIR cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION) --force; \
	fi
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v npm >/dev/null || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@if ! $(TOOLS_DIR)/node_modules/.bin/wasm-opt --version 2>/dev/null | grep -q "version $(firstword $(subst ., ,$(BINARYEN_VERSION))) "; then \
	  mkdir -p $(TOOLS_DIR) && npm install --prefix $(TOOLS_DIR) --no-audit --no-fund --loglevel=error binaryen@$(BINARYEN_VERSION); \
	fi

end2end/node_modules/.installed: end2end/package-lock.json
	cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
	touch $@

## ---------- build and run ----------

# --split cuts the staff app into WASM chunks per group of pages (lazy
# routes), so the first staff page loads only its own code;
# --precompress writes .br and .gz beside every built file (served as
# such); names carry content hashes (hash-files in Cargo.toml).
build: tools
	cargo leptos build --release --split --precompress
	@$(MAKE) --no-print-directory wasm-size

wasm-size:
	@for f in $(SITE_ROOT)/pkg/*.wasm $(SITE_ROOT)/pkg/*.js; do \
	  printf '%-60s %9s bytes, %8s gzipped\n' "$$(basename $$f)" "$$(wc -c < $$f)" "$$(gzip -9c $$f | wc -c)"; \
	done

run: build
	LEPTOS_SITE_ROOT=$(SITE_ROOT) $(SERVER_BIN) serve

## ---------- tests ----------

lint: tools
	cargo fmt --all -- --check
	RUSTFLAGS="$(DEV_RUSTFLAGS)" cargo clippy -p app -p server --all-targets -- -D warnings
	RUSTFLAGS="$(DEV_RUSTFLAGS)" cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

# The notification tests run a real SMTP server (maildev, from end2end's npm packages).
unit-test: tools end2end/node_modules/.installed
	RUSTFLAGS="$(DEV_RUSTFLAGS)" cargo test -p app -p server

e2e: build end2end/node_modules/.installed
	cd end2end && STUDIO_SERVER_BIN=$(SERVER_BIN) LEPTOS_SITE_ROOT=$(SITE_ROOT) npx playwright test

test: lint unit-test e2e

bench: tools
	cargo bench -p server --bench booking

# wrk from Debian drives the release server from outside, over loopback.
loadtest: build
	@command -v wrk >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk; }
	@# The release build erases component types (always-erase-components);
	@# the same flag here lets the harness reuse its compiled crates.
	RUSTFLAGS="$(DEV_RUSTFLAGS)" STUDIO_SERVER_BIN=$(SERVER_BIN) LEPTOS_SITE_ROOT=$(SITE_ROOT) cargo bench -p server --bench loadtest
