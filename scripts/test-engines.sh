#!/usr/bin/env bash
# Runs the browser test suites in each engine named on the command line
# (chromium, firefox, webkit): tests/web (the window) and the portable tests
# in a window, a dedicated worker, a shared worker and a service worker. Each engine gets only its own
# driver variable (the runner prefers GECKODRIVER, then SAFARIDRIVER, then
# CHROMEDRIVER). Any failing engine fails the run; a summary closes it.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/.tools/bin:$PATH"
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-240}"

declare -A result
passed_total=0
failed_total=0
TESTS=(web in_window in_dedicated_worker in_shared_worker in_service_worker)
TEST_ARGS=()
for t in "${TESTS[@]}"; do TEST_ARGS+=(--test "$t"); done
for engine in "$@"; do
  log="target/test-$engine.log"
  mkdir -p target
  echo "=== browser tests in $engine ==="
  case "$engine" in
    chromium)
      env -u GECKODRIVER -u SAFARIDRIVER CHROMEDRIVER="$(command -v chromedriver)" \
        wasm-pack test --headless --chrome -- "${TEST_ARGS[@]}" 2>&1 | tee "$log" ;;
    firefox)
      env -u SAFARIDRIVER -u CHROMEDRIVER GECKODRIVER="$(command -v geckodriver)" \
        wasm-pack test --headless --firefox -- "${TEST_ARGS[@]}" 2>&1 | tee "$log" ;;
    webkit)
      env -u GECKODRIVER -u CHROMEDRIVER SAFARIDRIVER="$PWD/.tools/bin/safaridriver" \
        xvfb-run -a wasm-pack test --headless --safari -- "${TEST_ARGS[@]}" 2>&1 | tee "$log" ;;
    *) echo "unknown engine: $engine (chromium, firefox, webkit)"; exit 2 ;;
  esac
  status=${PIPESTATUS[0]}
  # One "test result:" line per test binary (context); all must be there.
  lines=$(grep -cE '^test result:' "$log")
  passed=$(grep -E '^test result:' "$log" | sed -n 's/.* \([0-9]\+\) passed.*/\1/p' | awk '{ n += $1 } END { print n + 0 }')
  failed=$(grep -E '^test result:' "$log" | sed -n 's/.* \([0-9]\+\) failed.*/\1/p' | awk '{ n += $1 } END { print n + 0 }')
  # Every binary must have run at least one test: one that ran none proves nothing.
  empty=$(grep -E '^test result:' "$log" | grep -cE ' 0 passed' || true)
  if [ "$status" -ne 0 ] || [ "$lines" -ne "${#TESTS[@]}" ] || [ "${failed:-1}" != 0 ] || [ "${passed:-0}" = 0 ] || [ "$empty" -ne 0 ]; then
    result[$engine]="FAILED (exit $status; $lines of ${#TESTS[@]} contexts reported, $empty of them ran no test; ${passed:-0} passed, ${failed:-?} failed)"
    failed_total=$((failed_total + ${failed:-0} + 1))
  else
    result[$engine]="ok ($passed passed: window suite + window, dedicated, shared and service worker)"
  fi
  passed_total=$((passed_total + ${passed:-0}))
done

echo
echo "=== browser suite summary ==="
status=0
for engine in "$@"; do
  echo "$engine: ${result[$engine]}"
  [[ "${result[$engine]}" == ok* ]] || status=1
done
echo "browser: $passed_total passed, $failed_total failed"
exit $status
