#!/usr/bin/env bash
# run.sh BUILD_DIR [TEST...]: start one private stack from BUILD_DIR's binaries, run the
# integration tests against it (all tests/integration/t[0-9]*.sh, or the ones named), stop
# the stack whatever happens, and end with "N passed, M failed" (checks over all tests).
#   KEEP_STACK=1  leave the stack's folder (stopped) for a post-mortem
#   VERBOSE=1     print every check, not only those of failing tests
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd "$HERE/../.." && pwd -P)
STACK=$REPO/scripts/stack

if [ $# -lt 1 ] || [ ! -d "$1" ]; then
    echo "usage: $0 BUILD_DIR [TEST...]" >&2
    exit 2
fi
BUILD=$(cd "$1" && pwd -P)
shift

# resolve NAME: a test file from a path, a file name or a prefix like t0003.
resolve() {
    local n=$1 f
    if [ -f "$n" ]; then
        (cd "$(dirname "$n")" && echo "$PWD/$(basename "$n")")
        return
    fi
    for f in "$HERE/$n" "$HERE/$n.sh" "$HERE/$n"-*.sh; do
        if [ -f "$f" ]; then
            echo "$f"
            return
        fi
    done
    echo "run.sh: no test $n" >&2
    return 1
}

TESTS=()
if [ $# -gt 0 ]; then
    for n in "$@"; do
        t=$(resolve "$n") || exit 2
        TESTS+=("$t")
    done
else
    for t in "$HERE"/t[0-9]*.sh; do
        [ -f "$t" ] && TESTS+=("$t")
    done
fi

TEST_PID=''
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-it.XXXXXX")
export STACK_DIR=$WORK/stack
export TOLLGATE_BIN=$BUILD

# shellcheck disable=SC2317
cleanup() {
    trap - EXIT
    trap "" INT TERM
    if [ -n "$TEST_PID" ]; then
        kill -TERM "$TEST_PID" 2>/dev/null
        wait "$TEST_PID" 2>/dev/null
    fi
    if [ -f "$STACK_DIR/stack.json" ] || [ -f "$STACK_DIR/run/pids.env" ]; then
        "$STACK" down "$STACK_DIR" >"$WORK/down.log" 2>&1 || cat "$WORK/down.log" >&2
    fi
    if [ "${KEEP_STACK:-0}" = 1 ]; then
        echo "stack folder kept: $STACK_DIR"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "== integration: ${#TESTS[@]} test file(s), binaries from $BUILD"
if ! timeout 300 "$STACK" up "$STACK_DIR" >"$WORK/up.log" 2>&1; then
    echo "FAIL  stack up"
    sed 's/^/    /' "$WORK/up.log"
    echo "0 passed, 1 failed"
    exit 1
fi
echo "stack up: $(jq -r .base_url "$STACK_DIR/stack.json")"

TOTAL_P=0
TOTAL_F=0

# run_one FILE: run a test under a 300 s limit and add its counts to the totals.
run_one() {
    local t=$1 name out rc line p=0 f=0 verdict t0 ms
    name=$(basename "$t")
    out=$WORK/$name.out
    t0=$(date +%s%N)
    # In the background, so that a signal to run.sh acts at once (cleanup stops the test).
    timeout 300 bash "$t" </dev/null >"$out" 2>&1 &
    TEST_PID=$!
    wait "$TEST_PID"
    rc=$?
    TEST_PID=''
    ms=$((($(date +%s%N) - t0) / 1000000))
    line=$(grep -E '^RESULT passed=[0-9]+ failed=[0-9]+$' "$out" | tail -n 1)
    if [ -n "$line" ]; then
        p=${line#RESULT passed=}
        p=${p%% *}
        f=${line##*failed=}
    fi
    verdict=PASS
    if [ $rc -eq 77 ]; then
        verdict=SKIP
    elif [ $rc -eq 124 ]; then
        verdict=FAIL
        f=$((f + 1))
        echo "FAIL - $name: timed out after 300 s" >>"$out"
    elif [ -z "$line" ] || { [ $rc -ne 0 ] && [ "$f" -eq 0 ]; }; then
        verdict=FAIL
        f=$((f + 1))
        echo "FAIL - $name: exited $rc without a RESULT line" >>"$out"
    elif [ "$f" -gt 0 ]; then
        verdict=FAIL
    fi
    printf '%-5s %-28s %3d passed, %d failed  (%d.%03d s)\n' "$verdict" "$name" "$p" "$f" \
        $((ms / 1000)) $((ms % 1000))
    if [ $verdict = FAIL ] || [ "${VERBOSE:-0}" = 1 ]; then sed 's/^/    /' "$out"; fi
    LAST_VERDICT=$verdict
    LAST_P=$p
    LAST_F=$f
}

# A test that leaves part of the stack down would fail every later one: say so, restart
# MariaDB (the one part tests stop on purpose).
heal() {
    "$STACK" status "$STACK_DIR" >"$WORK/status.log" 2>&1 && return 0
    echo "      stack degraded after $1:"
    sed 's/^/        /' "$WORK/status.log"
    if grep -q '^mariadb *stopped' "$WORK/status.log"; then
        "$STACK" db-start "$STACK_DIR" >>"$WORK/status.log" 2>&1 || true
    fi
}

FLAKY=()
for t in "${TESTS[@]}"; do
    run_one "$t"
    heal "$(basename "$t")"
    # A failed file runs once more (tests make their own users and keys, so a rerun is
    # independent); a pass on the retry is reported as flaky, never hidden.
    if [ "$LAST_VERDICT" = FAIL ] && [ "${NO_RETRY:-0}" != 1 ]; then
        echo "      retrying $(basename "$t") once"
        run_one "$t"
        heal "$(basename "$t")"
        [ "$LAST_VERDICT" = FAIL ] || FLAKY+=("$(basename "$t")")
    fi
    TOTAL_P=$((TOTAL_P + LAST_P))
    TOTAL_F=$((TOTAL_F + LAST_F))
done

[ ${#FLAKY[@]} -eq 0 ] || echo "flaky (failed, then passed on the retry): ${FLAKY[*]}"
echo "$TOTAL_P passed, $TOTAL_F failed"
[ "$TOTAL_F" -eq 0 ] || exit 1
exit 0
