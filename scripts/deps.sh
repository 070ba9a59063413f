#!/usr/bin/env bash
# Install the Debian packages tollgate needs to build, run and test (idempotent).
# Usage: scripts/deps.sh [--test]   (--test adds what the test suites need)
set -euo pipefail

pkgs=(autoconf automake libtool pkg-config make gcc
      libfcgi-dev libfcgi-bin libmariadb-dev libjansson-dev libcurl4-openssl-dev
      libssl-dev libargon2-dev libgoogle-perftools-dev mariadb-server mariadb-client nginx curl ca-certificates)
if [ "${1:-}" = "--test" ]; then
    pkgs+=(libcunit1-dev clang clang-format libclang-rt-14-dev lighttpd wrk chromium jq)
    command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
    command -v npm >/dev/null 2>&1 || pkgs+=(npm)
fi

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "deps: missing packages: ${missing[*]} (run as root to install)" >&2
        exit 1
    fi
    echo "deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
