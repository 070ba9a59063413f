#!/usr/bin/env bash
# replay.sh: run every fuzz target over its checked-in corpus (make check). A crash or an
# assertion in a target fails the run.
set -euo pipefail
src=${TG_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
bld=${TG_BUILDDIR:-.}
passed=0
failed=0
for t in ${TG_FUZZ_TARGETS:-sse money router body extsig config apikey jwt}; do
    corpus=$src/tests/fuzz/corpus/$t
    if [ ! -d "$corpus" ]; then
        echo "FAIL - $t: no corpus in $corpus"
        failed=$((failed + 1))
        continue
    fi
    if "$bld/tests/fuzz/fuzz_$t" "$corpus"; then
        passed=$((passed + 1))
    else
        echo "FAIL - fuzz_$t crashed or failed on its corpus"
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
