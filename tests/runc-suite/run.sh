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
src=$(mktemp -d)
trap 'rm -f "$skip" "$out"; rm -rf "$src"' EXIT

# The suite's setup_recvtty starts recvtty in the background and returns:
# the test's first create can come before recvtty listens ("console
# socket ...: connect: no such file or directory"), and more often as the
# runtime gets faster at `spec` (the setup's last step) or the machine is
# loaded. The suite runs from a copy whose setup_recvtty also waits (up to
# 10 s) for the socket; no test's assertions change.
tar -xzf "$suite/runc-v1.5.1.tar.gz" -C "$src/"
helpers=$src/tests/integration/helpers.bash
grep -q '^function setup_recvtty() {$' "$helpers" || { echo "runc-suite: no setup_recvtty in $helpers" >&2; exit 2; }
cat >>"$helpers" <<'EOF2'

# xrt's tests/runc-suite/run.sh: wait until recvtty listens.
eval "$(declare -f setup_recvtty | sed '1s/setup_recvtty/__setup_recvtty_nowait/')"
function setup_recvtty() {
	__setup_recvtty_nowait || return
	local i
	for i in $(seq 100); do
		[ -S "$CONSOLE_SOCKET" ] && return 0
		sleep 0.1
	done
}
EOF2
(cd "$src" && tar -czf "$src.tar.gz" . && mv "$src.tar.gz" "$src/suite.tar.gz")
export RUNC_SRC_TAR=$src/suite.tar.gz RUNC_SRC_TAG=v1.5.1

# The suite runs under a subreaper that reaps orphans at once (reaper.c
# says why): its tests wait for killed processes, orphans of `run -d` and
# `exec -d`, to be gone.
reaper=$src/reaper
gcc -O2 -Wall -o "$reaper" "$here/reaper.c"
cat "$suite/known-env-failures.txt" >"$skip"
if [ "${1:-}" != --ci ]; then
	rc=0
	RUNC_BATS_SKIP_FILE=$skip "$reaper" "$suite/run.sh" "$xrt" "$@" || rc=$?
	exit $rc
fi
shift
cat "$here/exemptions.txt" >>"$skip"
export RUNC_BATS_DEBIAN=${RUNC_BATS_DEBIAN:-skip} RUNC_BATS_FILE_TIMEOUT=${RUNC_BATS_FILE_TIMEOUT:-300}
if RUNC_BATS_SKIP_FILE=$skip "$reaper" "$suite/run.sh" "$xrt" "${ci_files[@]/%/.bats}" "$@" | tee "$out"; then
	exit 0
fi
# The suite's own helpers race on a loaded machine (its recvtty sometimes
# loses its tty directory, and the file's tests all fail or wait): the
# files that failed run once more, and only a second failure counts.
mapfile -t again < <(awk '/^# ---- failed tests ----/ {f = 1; next} f && /^# elapsed:/ {f = 0} f { sub(/^# /, ""); sub(/:.*/, ".bats"); print }' "$out" | sort -u)
[ "${#again[@]}" -gt 0 ] || exit 1
echo "runc-suite: running again the files that failed: ${again[*]}"
RUNC_BATS_SKIP_FILE=$skip "$reaper" "$suite/run.sh" "$xrt" "${again[@]}"
