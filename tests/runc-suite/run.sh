#!/bin/bash
# Runs runc's own integration suite (v1.5.1, from ../shared/runc-suite or
# $RUNC_SUITE) against ./xrt, as root.
#
#   tests/runc-suite/run.sh [FILE.bats...]   the files (default: all), every test
#   tests/runc-suite/run.sh --ci             CI's files, exemptions.txt as skips
#
# Tests that fail on this kind of machine whatever the runtime are skipped
# (the suite's known-env-failures.txt). The last line is runc-suite's
# "N passed, M failed, K skipped"; the exit status is non-zero on any failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
suite=${RUNC_SUITE:-$repo/../shared/runc-suite}
xrt=${XRT:-$repo/xrt}
[ -x "$suite/run.sh" ] || { echo "runc-suite: no $suite/run.sh (set RUNC_SUITE)" >&2; exit 2; }

# CI's files: every file whose tests xrt passes that runs in well under ten
# minutes here and needs neither the Debian image nor the network.
ci_files=(capabilities cgroups create cwd debug delete dev env events exec help hooks
	host-mntns kill list mask memorypolicy mounts mounts_propagation mounts_sshfs no_pivot
	pidfd-socket ps root run seccomp seccomp-notify start start_detached
	start_hello state timens tty umask update)

skip=$(mktemp)
out=$(mktemp)
trap 'rm -f "$skip" "$out"' EXIT
cat "$suite/known-env-failures.txt" >"$skip"
if [ "${1:-}" != --ci ]; then
	RUNC_BATS_SKIP_FILE=$skip exec "$suite/run.sh" "$xrt" "$@"
fi
shift
cat "$here/exemptions.txt" >>"$skip"
export RUNC_BATS_DEBIAN=${RUNC_BATS_DEBIAN:-skip} RUNC_BATS_FILE_TIMEOUT=${RUNC_BATS_FILE_TIMEOUT:-300}
if RUNC_BATS_SKIP_FILE=$skip "$suite/run.sh" "$xrt" "${ci_files[@]/%/.bats}" "$@" | tee "$out"; then
	exit 0
fi
# The suite's own helpers race on a loaded machine (its recvtty sometimes
# loses its tty directory, and the file's tests all fail or wait): the
# files that failed run once more, and only a second failure counts.
mapfile -t again < <(awk '/^# ---- failed tests ----/ {f = 1; next} f && /^# elapsed:/ {f = 0} f { sub(/^# /, ""); sub(/:.*/, ".bats"); print }' "$out" | sort -u)
[ "${#again[@]}" -gt 0 ] || exit 1
echo "runc-suite: running again the files that failed: ${again[*]}"
RUNC_BATS_SKIP_FILE=$skip "$suite/run.sh" "$xrt" "${again[@]}"
