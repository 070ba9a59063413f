#!/usr/bin/env bash
# format-check: every C source and header follows .clang-format (make check). Skips (77)
# where clang-format is not installed.
set -euo pipefail
src=${TG_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
command -v clang-format >/dev/null 2>&1 || {
    echo "clang-format not installed: skipped"
    exit 77
}
bad=0
total=0
while IFS= read -r f; do
    total=$((total + 1))
    if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
        echo "not formatted: ${f#"$src"/} (run clang-format -i on it)"
        bad=$((bad + 1))
    fi
done < <(find "$src/src" "$src/tests/unit" "$src/tests/fuzz" -name '*.[ch]' | sort)
echo "$((total - bad)) passed, $bad failed"
[ "$bad" -eq 0 ]
