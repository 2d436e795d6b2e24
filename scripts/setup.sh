#!/usr/bin/env bash
# Installs what the build and the tests need, skipping whatever is already present.
# Everything comes from crates.io, npm and Debian's packages; nothing downloads a browser.
set -euo pipefail

WASM_BINDGEN_VERSION="$( (grep -A1 '^name = "wasm-bindgen"$' Cargo.lock 2>/dev/null || true) | sed -n 's/^version = "\(.*\)"/\1/p')"
WASM_BINDGEN_VERSION="${WASM_BINDGEN_VERSION:-0.2.130}"

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

export PATH="$HOME/.cargo/bin:$PATH"

# Debian packages: browsers, drivers, a virtual display for WebKit.
need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
command -v chromedriver >/dev/null || need_apt+=(chromium-driver)
command -v firefox-esr >/dev/null || need_apt+=(firefox-esr)
command -v WebKitWebDriver >/dev/null || need_apt+=(webkit2gtk-driver)
command -v xvfb-run >/dev/null || need_apt+=(xvfb)
command -v xauth >/dev/null || need_apt+=(xauth)
if [ "${#need_apt[@]}" -gt 0 ]; then
  say "apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi
rustup component list --installed | grep -q "^clippy" || rustup component add clippy
rustup component list --installed | grep -q "^rustfmt" || rustup component add rustfmt
# The release build rebuilds the standard library from its source (Makefile).
rustup component list --installed | grep -q "^rust-src" || rustup component add rust-src
# ... with -Cpanic=immediate-abort, which rustc has from 1.92.
rustc_minor="$(rustc --version | sed -n 's/^rustc 1\.\([0-9]*\)\..*/\1/p')"
if [ -z "$rustc_minor" ] || [ "$rustc_minor" -lt 92 ]; then
  say "the release build needs rustc 1.92 or later; found: $(rustc --version)"
  exit 1
fi

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  say "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  cargo install -q wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi
if ! command -v wasm-pack >/dev/null; then
  say "cargo install wasm-pack"
  cargo install -q --locked wasm-pack
fi
if ! command -v geckodriver >/dev/null; then
  say "cargo install geckodriver"
  cargo install -q --locked geckodriver
fi

# wasm-pack test --safari looks for `safaridriver`; point it at WebKitGTK's driver.
mkdir -p .tools/bin
ln -sf "$(command -v WebKitWebDriver)" .tools/bin/safaridriver

if [ -f package.json ] && { [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; }; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
say "tools ready"
