#!/usr/bin/env bash
# t0005: tollgate-fcgi refuses to start with a missing or wrong master key (channel keys
# must decrypt), and starts with the right one.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

conf=$T_TMP/tollgate.conf
good_key=$(sed -n 's/^master_key_file *= *//p' "$CONFIG")
[ -n "$good_key" ] || good_key=$(dirname "$CONFIG")/master.key

out=$("$TOLLGATE_BIN/tollgate-fcgi" -c "$CONFIG" --check 2>&1)
check_eq "$?" 0 "the stack's own config and key pass --check"

od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$T_TMP/wrong.key"
chmod 600 "$T_TMP/wrong.key"
grep -v '^master_key_file' "$CONFIG" >"$conf"
echo "master_key_file = $T_TMP/wrong.key" >>"$conf"
out=$("$TOLLGATE_BIN/tollgate-fcgi" -c "$conf" --check 2>&1)
check_eq "$?" 1 "a wrong master key stops startup"
case $out in *"cannot decrypt"*) ok "the error says the channel keys cannot be decrypted" ;;
*) fail "the error says the channel keys cannot be decrypted" "$out" ;; esac
case $out in *"$(cat "$T_TMP/wrong.key")"*) fail "key not echoed" "the key is in the message" ;;
*) ok "the key itself is not printed" ;; esac

grep -v '^master_key_file' "$CONFIG" >"$conf"
echo "master_key_file = $T_TMP/missing.key" >>"$conf"
out=$("$TOLLGATE_BIN/tollgate-fcgi" -c "$conf" --check 2>&1)
check_eq "$?" 1 "a missing master key file stops startup"
case $out in *master_key_file*) ok "the error names master_key_file" ;;
*) fail "the error names master_key_file" "$out" ;; esac

chmod 644 "$T_TMP/wrong.key"
grep -v '^master_key_file' "$CONFIG" >"$conf"
echo "master_key_file = $T_TMP/wrong.key" >>"$conf"
out=$("$TOLLGATE_BIN/tollgate-fcgi" -c "$conf" --check 2>&1)
check_eq "$?" 1 "a master key readable by others stops startup"

finish
