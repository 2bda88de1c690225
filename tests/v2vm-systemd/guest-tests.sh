#!/bin/bash
# Runs in the systemd guest (tests/v2vm-systemd/run.sh, from `make
# test-systemd`): the systemd driver's bats files against ./xrt, then, for
# comparison, against runc ($RUNC, default /usr/sbin/runc; RUNC= skips it).
# Exits with xrt's status: runc's failures are reported, not fatal.
#
#   SYSTEMD_BATS="a.bats b.bats"   the files (in tests/integration), default
#                                  systemd_cgroup.bats systemd_docker.bats
#   SYSTEMD_RUNC_BATS="..."        the files runc runs (default: the same)
#   SYSTEMD_RESULTS=DIR            where the TAP files go (default: a temp
#                                  dir in the guest, lost with it)
set -u -o pipefail
cd "$(dirname "$0")/../.." || exit 125
export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-300}
read -ra files <<<"${SYSTEMD_BATS:-systemd_cgroup.bats systemd_docker.bats}"
read -ra runc_files <<<"${SYSTEMD_RUNC_BATS:-${files[*]}}"
summary() { # NAME TAPFILE
	local ok notok skip
	ok=$(grep -c '^ok ' "$2")
	notok=$(grep -c '^not ok ' "$2")
	skip=$(grep -c '^ok .*# skip' "$2")
	echo "== $1: $((ok - skip)) passed, $notok failed, $skip skipped"
}
tap=${SYSTEMD_RESULTS:-$(mktemp -d)}
mkdir -p "$tap"
echo "== xrt ($(./xrt --version | head -1)), systemd $(systemctl --version | head -1 | cut -d' ' -f2), kernel $(uname -r)"
# Not booted as it should be: an error, never a pass with everything
# skipped.
if [ "$(cat /proc/1/comm)" != systemd ] || [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ]; then
	echo "guest-tests: PID 1 is $(cat /proc/1/comm), /sys/fs/cgroup is $(stat -f -c %T /sys/fs/cgroup): not a systemd v2 guest" >&2
	exit 2
fi
rc=0
for f in "${files[@]}"; do
	t0=$(date +%s)
	bats --tap "tests/integration/$f" | tee "$tap/xrt-${f%.bats}.tap" || rc=1
	echo "== xrt $f: $(($(date +%s) - t0))s"
done
runc=${RUNC-/usr/sbin/runc}
if [ -n "$runc" ]; then
	echo "== runc ($($runc --version | head -1))"
	for f in "${runc_files[@]}"; do
		t0=$(date +%s)
		XRT=$runc bats --tap "tests/integration/$f" | tee "$tap/runc-${f%.bats}.tap" || true
		echo "== runc $f: $(($(date +%s) - t0))s"
	done
fi
for f in "${files[@]}"; do
	summary "xrt $f" "$tap/xrt-${f%.bats}.tap"
done
if [ -n "$runc" ]; then
	for f in "${runc_files[@]}"; do
		summary "runc $f" "$tap/runc-${f%.bats}.tap"
	done
fi
exit $rc
