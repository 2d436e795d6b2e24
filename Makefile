# Every target installs what it needs first (scripts/setup.sh skips what is present).
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(CURDIR)/node_modules/.bin:$(PATH)
export WASM_BINDGEN_TEST_TIMEOUT ?= 240
TEST_ARGS := -- --test web

.PHONY: setup test test-host lint test-chromium test-firefox test-webkit build clean

setup:
	@bash scripts/setup.sh

## Runs every test: host tests, clippy, then the browser suite in Chromium, Firefox and WebKit.
test: setup
	@$(MAKE) --no-print-directory test-host lint
	@bash scripts/test-engines.sh chromium firefox webkit

test-host:
	cargo test --quiet

lint:
	cargo fmt --check
	cargo clippy --quiet --all-targets -- -D warnings
	cargo clippy --quiet --all-targets --target wasm32-unknown-unknown -- -D warnings

test-chromium test-firefox test-webkit: setup
	@bash scripts/test-engines.sh $(@:test-%=%)

## The release package in pkg/.
build: setup
	wasm-pack build --release --target web

clean:
	rm -rf pkg target/wasm-bindgen-test
