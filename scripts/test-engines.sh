#!/usr/bin/env bash
# Runs the browser test suites in each engine named on the command line
# (chromium, firefox, webkit): tests/web (the window) and the portable tests
# in a window, a dedicated worker, a shared worker and a service worker. Each
# context runs on its own, so one that fails does not hide the others. Each
# engine gets only its own driver variable (the runner prefers GECKODRIVER,
# then SAFARIDRIVER, then CHROMEDRIVER). Any failing engine fails the run; a
# summary closes it.
#
# The runner's HTTP server (tiny_http) hands each new connection to a pool of
# threads, and each thread keeps its connection for as long as the browser
# keeps it alive. When the page opens several connections at once (its many
# modules), the pool can queue one of them while every thread waits on an
# idle keep-alive connection: that connection is never read, and the page
# waits for its script until the runner's own timeout, minutes later (most
# often in Chromium: a third to a half of the starts on a 2-core machine). A new
# connection from outside makes the pool start a thread, which then serves
# the queued one. So each start gets the server's port (WASM_BINDGEN_TEST_ADDRESS)
# and, while it runs, a request every two seconds on a connection of its own
# (`unstick`): the page loads as if nothing had happened.
#
# Up to five retries, and only of a start-up that never happened: when the
# runner's page never printed "running N tests" (no test was started, none
# failed). A Firefox ESR 153 just launched on a machine with cold caches often
# leaves the runner's module service worker unstarted that way, now and then
# twice in a row. So a runner whose page has started no test START_TIMEOUT
# seconds after the runner itself started is stopped (with its driver and
# browser) and counted as a start that never happened, as is a runner that
# could not listen on the port it was given. A test that started and failed or
# hung is never retried, and every retry is in the summary.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/.tools/bin:$PATH"
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-240}"

TESTS=(web in_window in_dedicated_worker in_shared_worker in_service_worker)

# The window suite takes seconds (minutes on a slow machine); the portable
# tests of each context under one second, so a page that never starts them
# is given up on sooner.
PORTABLE_TIMEOUT="${PORTABLE_TIMEOUT:-60}"
# Starts of one test binary whose page never starts a test (see above).
MAX_STARTS=6
# Seconds from the runner's start to its page's first test, past which the
# runner is stopped (a page that loads starts its tests within seconds).
START_TIMEOUT="${START_TIMEOUT:-120}"

# Ends process `pid` and every process it started.
kill_tree() {
  local child
  for child in $(pgrep -P "$1"); do kill_tree "$child"; done
  kill "$1" 2>/dev/null
}

# Watches the run whose output goes to `attempt`: once the runner has started
# and its page has not started a test within START_TIMEOUT seconds, stops the
# runner with its driver and browser, and marks the run as never started
# (the file `stalled`).
watch_start() {
  local attempt=$1 stalled=$2 waited=0 runner
  while sleep 2; do
    grep -qE '^[[:space:]]*running [0-9]+ tests?$' "$attempt" && return 0
    grep -q '^Running headless tests' "$attempt" || continue
    waited=$((waited + 2))
    [ "$waited" -ge "$START_TIMEOUT" ] || continue
    : >"$stalled"
    echo "=== the runner's page started no test within $START_TIMEOUT s: stopping the runner ===" >&2
    for runner in $(pgrep -f wasm-bindgen-test-runner); do kill_tree "$runner"; done
    return 0
  done
}

# A port on 127.0.0.1 that nothing listens on now.
free_port() {
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# Every two seconds, one request to the runner's server on 127.0.0.1:`port`
# on a connection of its own, read and closed (see the top of this file).
unstick() {
  local port=$1
  while sleep 2; do
    { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || continue
    printf 'GET / HTTP/1.0\r\n\r\n' >&3
    timeout 2 cat <&3 >/dev/null
    exec 3>&-
  done
}

# One start of one test binary in one engine, its output in `attempt` (and
# on stdout); returns the runner's status.
start_context() {
  local engine=$1 test=$2 attempt=$3 stalled=$3.stalled watcher helper port status
  : >"$attempt"
  rm -f "$stalled"
  if ! port=$(free_port); then
    echo "=== no free port for the runner's server (node failed) ===" | tee "$attempt"
    return 1
  fi
  watch_start "$attempt" "$stalled" &
  watcher=$!
  unstick "$port" &
  helper=$!
  WASM_BINDGEN_TEST_ADDRESS="127.0.0.1:$port" run_context "$engine" "$test" 2>&1 | tee "$attempt"
  status=${PIPESTATUS[0]}
  kill "$watcher" "$helper" 2>/dev/null
  wait "$watcher" "$helper" 2>/dev/null
  return "$status"
}

# Runs one test binary in one engine; its output goes to stdout.
run_context() {
  local engine=$1 test=$2
  local WASM_BINDGEN_TEST_TIMEOUT=$WASM_BINDGEN_TEST_TIMEOUT
  [ "$test" = web ] || WASM_BINDGEN_TEST_TIMEOUT=$PORTABLE_TIMEOUT
  export WASM_BINDGEN_TEST_TIMEOUT
  case "$engine" in
    chromium)
      # Chromium's profile and scratch directories go to a directory of this
      # run, removed after it, not left behind in the system's temporary
      # directory by a run whose browser was stopped. A short path: Chromium
      # puts a Unix socket in it, whose path may not exceed 107 bytes.
      local scratch status
      scratch=$(mktemp -d /tmp/ctr-chromium.XXXXXX) || return 1
      env -u GECKODRIVER -u SAFARIDRIVER CHROMEDRIVER="$(command -v chromedriver)" TMPDIR="$scratch" \
        wasm-pack test --headless --chrome -- --features small-heap --test "$test"
      status=$?
      rm -rf "$scratch"
      return $status ;;
    firefox)
      env -u SAFARIDRIVER -u CHROMEDRIVER GECKODRIVER="$(command -v geckodriver)" \
        wasm-pack test --headless --firefox -- --features small-heap --test "$test" ;;
    webkit)
      env -u GECKODRIVER -u CHROMEDRIVER SAFARIDRIVER="$PWD/.tools/bin/safaridriver" \
        xvfb-run -a wasm-pack test --headless --safari -- --features small-heap --test "$test" ;;
  esac
}

declare -A result
passed_total=0
failed_total=0
for engine in "$@"; do
  case "$engine" in
    chromium | firefox | webkit) ;;
    *) echo "unknown engine: $engine (chromium, firefox, webkit)"; exit 2 ;;
  esac
  log="target/test-$engine.log"
  mkdir -p target
  : >"$log"
  echo "=== browser tests in $engine ==="
  engine_status=0
  retried=()
  for test in "${TESTS[@]}"; do
    attempt="target/test-$engine-$test.log"
    start_context "$engine" "$test" "$attempt"
    status=$?
    # Never started: the runner timed out, or was stopped by watch_start, with
    # no "running N tests" line, and the page reported no error of ours (a
    # panic, a wasm trap, a worker's error).
    starts=1
    while [ "$starts" -lt "$MAX_STARTS" ] && [ "$status" -ne 0 ] &&
      ! grep -qE '^[[:space:]]*running [0-9]+ tests?$' "$attempt" &&
      { grep -qE 'Failed to detect test as having been run|failed to spawn server' "$attempt" || [ -e "$attempt.stalled" ]; } &&
      ! grep -qE 'panicked at|RuntimeError|(Service)?Worker error:' "$attempt"; do
      echo "=== $engine $test: the runner's page never started a test; starting it once more ==="
      starts=$((starts + 1))
      cat "$attempt" >>"$log"
      start_context "$engine" "$test" "$attempt"
      status=$?
    done
    [ "$starts" -eq 1 ] || retried+=("$test ($starts starts)")
    cat "$attempt" >>"$log"
    [ "$status" -eq 0 ] || engine_status=$status
  done
  # One "test result:" line per test binary (context); all must be there.
  lines=$(grep -cE '^test result:' "$log")
  passed=$(grep -E '^test result:' "$log" | sed -n 's/.* \([0-9]\+\) passed.*/\1/p' | awk '{ n += $1 } END { print n + 0 }')
  failed=$(grep -E '^test result:' "$log" | sed -n 's/.* \([0-9]\+\) failed.*/\1/p' | awk '{ n += $1 } END { print n + 0 }')
  # Every binary must have run at least one test: one that ran none proves nothing.
  empty=$(grep -E '^test result:' "$log" | grep -cE ' 0 passed' || true)
  # An ignored test did not run: it may not count as passing.
  ignored=$(grep -E '^test result:' "$log" | sed -n 's/.* \([0-9]\+\) ignored.*/\1/p' | awk '{ n += $1 } END { print n + 0 }')
  note=""
  [ "${#retried[@]}" -eq 0 ] || note="; started again: ${retried[*]}"
  if [ "$engine_status" -ne 0 ] || [ "$lines" -ne "${#TESTS[@]}" ] || [ "${failed:-1}" != 0 ] || [ "${passed:-0}" = 0 ] || [ "$empty" -ne 0 ] || [ "$ignored" -ne 0 ]; then
    result[$engine]="FAILED (exit $engine_status; $lines of ${#TESTS[@]} contexts reported, $empty of them ran no test; ${passed:-0} passed, ${failed:-?} failed, $ignored ignored$note)"
    failed_total=$((failed_total + ${failed:-0} + 1))
  else
    result[$engine]="ok ($passed passed: window suite + window, dedicated, shared and service worker$note)"
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
