# Every target installs what it needs first (scripts/setup.sh skips what is present).
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(CURDIR)/node_modules/.bin:$(PATH)
export WASM_BINDGEN_TEST_TIMEOUT ?= 240
# Release builds (make build, and the size breakdown and benchmark that
# rebuild the same). sha2's compact software backend: its rounds in a loop
# instead of unrolled (the session hash is one short input per save; the
# bytes matter more).
# Rust's standard library is rebuilt for the package (from the toolchain's
# rust-src, which setup installs), optimized for size, and a panic becomes a
# trap at once (-Cpanic=immediate-abort): no panic message, location
# (-Zlocation-detail=none, so no source path of this machine either) or
# formatting is linked in. The release build already aborted on a panic and
# carried no panic hook, so only the bytes change: 5.5 KiB gzipped less
# (56,511 to 50,908 bytes, 2026-12-06), -Zshare-generics (one copy of a
# generic function) 0.1 of them. These are unstable flags of the stable
# compiler (1.92 or later; setup checks), allowed by RUSTC_BOOTSTRAP=1 for
# the release build alone (build, size, bench); tests and clippy build as
# usual. RUSTC_BOOTSTRAP=1 also lets build scripts that probe for nightly
# features (proc-macro2's, thiserror's) find them: a new toolchain is
# checked with a full `make test` before it is used.
# Without the reference-types feature (-Ctarget-feature=-reference-types)
# wasm-bindgen keeps the JavaScript values the .wasm holds in an array of the
# glue instead of a table of the .wasm: no table shims in the .wasm, a few
# lines more of glue, 868 bytes gzipped less in all (2026-12-06).
RELEASE_RUSTFLAGS = --cfg sha2_backend_soft=\"compact\" -Zunstable-options -Cpanic=immediate-abort -Zshare-generics=y -Zlocation-detail=none -Ctarget-feature=-reference-types
RELEASE_CARGO_ARGS = -Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size
RELEASE_ENV = RUSTC_BOOTSTRAP=1 RUSTFLAGS="$(RELEASE_RUSTFLAGS)" RELEASE_CARGO_ARGS="$(RELEASE_CARGO_ARGS)"

.PHONY: setup demo serve test size test-host lint test-chromium test-firefox test-webkit test-e2e test-consumers bench mutants build clean

setup:
	@bash scripts/setup.sh

## The main job: 8 headless tabs race to refresh, round after round, against
## oidc-provider (SERVER=mock: the mock server, for fault injection); prints a table.
demo: build
	node scripts/demo.mjs --tabs $(or $(TABS),8) --rounds $(or $(ROUNDS),5) --server $(or $(SERVER),oidc)

## Keeps the demo server up for a person to open tabs by hand.
serve: build
	node www/server.mjs --port $(or $(PORT),8080) --server $(or $(SERVER),oidc)

## Runs every test: host tests, clippy, the browser suite in Chromium, Firefox
## and WebKit, then the end-to-end tests in real tabs.
test: setup
	@$(MAKE) --no-print-directory test-host lint
	@bash scripts/test-engines.sh chromium firefox webkit
	@$(MAKE) --no-print-directory test-e2e
	@node scripts/size.mjs

## The release build, its gzipped size against the budget, and where the
## .wasm's bytes go per crate (SIZE_FLAGS=--floor adds the floor); make test
## checks the budget alone.
size: build
	$(RELEASE_ENV) node scripts/size.mjs --crates $(SIZE_FLAGS)

## End-to-end tests in real tabs (oidc-provider and the mock; matrix-js-sdk,
## oauth4webapi, oidc-client-ts; browser lifecycles) and the npm consumer checks.
test-e2e: build
	node --test --test-concurrency=1 --test-timeout=900000 tests/e2e/ tests/consumers/

## The packed tarball in a Vite app, a plain page and a module worker; tsc --strict on its types.
test-consumers: build
	node --test tests/consumers/

## The library next to plain JS in headless Chromium; writes BENCHMARKS.md (not part of test).
bench: build
	$(RELEASE_ENV) node bench/run.mjs

test-host:
	cargo test --quiet

## Mutation testing: cargo-mutants changes src/core and reruns the host tests;
## a mutant that survives is a behaviour no test pins down (docs/MUTANTS.md).
## Takes about 20 minutes on 2 cores; not part of test.
mutants:
	@command -v cargo-mutants >/dev/null || cargo install --locked cargo-mutants
	MODEL_RUNS=1000 cargo mutants --file 'src/core/**' --profile mutants --timeout-multiplier 3 --jobs 2

lint:
	cargo fmt --check
	cargo clippy --quiet --all-targets -- -D warnings
	cargo clippy --quiet --all-targets --target wasm32-unknown-unknown --features small-heap -- -D warnings

test-chromium test-firefox test-webkit: setup
	@bash scripts/test-engines.sh $(@:test-%=%)

## The release package in pkg/, with Rust's standard library rebuilt for size.
build: setup
	rm -rf pkg/snippets
	$(RELEASE_ENV) wasm-pack build --release --target web --no-pack -- --features small-heap $(RELEASE_CARGO_ARGS)
	node scripts/package.mjs

clean:
	rm -rf pkg target/wasm-bindgen-test
