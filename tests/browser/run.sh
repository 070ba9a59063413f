#!/usr/bin/env bash
# run.sh BUILD_DIR [TEST_FILE...]: browser tests of the web UI. Installs playwright-core
# from package-lock.json (npm ci; it never downloads a browser: the tests drive Debian's
# chromium), starts a private stack from BUILD_DIR's binaries, runs `node --test` (TAP
# output, ending with "# pass N" and "# fail M"), and stops the stack whatever happens.
#   STACK_DIR=DIR      use a stack that already runs instead of starting one
#   SCREENSHOT_DIR=DIR where the screenshots go (default ${TMPDIR:-/tmp}/tollgate-browser-shots)
#   CHROMIUM_PATH=PATH the browser (default /usr/bin/chromium)
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd "$HERE/../.." && pwd -P)

if [ $# -lt 1 ] || [ ! -d "$1" ]; then
    echo "usage: $0 BUILD_DIR [TEST_FILE...]" >&2
    exit 2
fi
BUILD=$(cd "$1" && pwd -P)
shift

fail() {
    echo "browser tests: $*"
    echo "# pass 0"
    echo "# fail 1"
    exit 1
}

CHROMIUM_PATH=${CHROMIUM_PATH:-/usr/bin/chromium}
export CHROMIUM_PATH
[ -x "$CHROMIUM_PATH" ] || fail "no browser at $CHROMIUM_PATH (scripts/deps.sh --test installs chromium)"
command -v node >/dev/null 2>&1 || fail "node not found"
command -v npm >/dev/null 2>&1 || fail "npm not found"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-bt.XXXXXX")
OWN_STACK=0
# shellcheck disable=SC2317
cleanup() {
    trap - EXIT
    if [ $OWN_STACK = 1 ]; then
        "$REPO/scripts/stack" down "$STACK_DIR" >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Dependencies: exactly what package-lock.json says, installed again only when it changed.
stamp=$HERE/node_modules/.lock-stamp
if ! cmp -s "$HERE/package-lock.json" "$stamp" 2>/dev/null; then
    echo "browser tests: npm ci"
    if ! (cd "$HERE" && npm ci --no-audit --no-fund >"$WORK/npm.log" 2>&1); then
        tail -n 20 "$WORK/npm.log"
        fail "npm ci failed"
    fi
    cp "$HERE/package-lock.json" "$stamp"
fi

if [ -z "${STACK_DIR:-}" ]; then
    export STACK_DIR=$WORK/stack
    export TOLLGATE_BIN=$BUILD
    echo "browser tests: starting a stack in $STACK_DIR"
    OWN_STACK=1
    if ! "$REPO/scripts/stack" up "$STACK_DIR" >"$WORK/stack-up.log" 2>&1; then
        tail -n 30 "$WORK/stack-up.log"
        fail "scripts/stack up failed"
    fi
fi
export STACK_DIR
export SCREENSHOT_DIR=${SCREENSHOT_DIR:-${TMPDIR:-/tmp}/tollgate-browser-shots}
mkdir -p "$SCREENSHOT_DIR"

files=("$@")
if [ ${#files[@]} -eq 0 ]; then
    for f in "$HERE"/*.test.js; do files+=("$f"); done
fi
cd "$HERE" || fail "cannot enter $HERE"
node --test --test-concurrency=1 --test-reporter=tap "${files[@]}"
rc=$?
echo "browser tests: screenshots in $SCREENSHOT_DIR"
exit $rc
