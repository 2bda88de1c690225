#!/bin/bash
# Runs in the systemd guest (tests/v2vm-systemd/run.sh, from `make
# test-systemd`): the systemd driver's bats file against ./xrt, then, for
# comparison, against runc ($RUNC, default /usr/sbin/runc; RUNC= skips it).
# Exits with xrt's status: runc's failures are reported, not fatal.
set -u -o pipefail
cd "$(dirname "$0")/../.." || exit 125
export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-300}
file=tests/integration/systemd_cgroup.bats
summary() { # NAME TAPFILE
	local ok notok skip
	ok=$(grep -c '^ok ' "$2")
	notok=$(grep -c '^not ok ' "$2")
	skip=$(grep -c '^ok .*# skip' "$2")
	echo "== $1: $((ok - skip)) passed, $notok failed, $skip skipped"
}
tap=$(mktemp -d)
echo "== xrt ($(./xrt --version | head -1)), systemd $(systemctl --version | head -1 | cut -d' ' -f2), kernel $(uname -r)"
rc=0
bats --tap "$file" | tee "$tap/xrt.tap" || rc=$?
runc=${RUNC-/usr/sbin/runc}
if [ -n "$runc" ]; then
	echo "== runc ($($runc --version | head -1))"
	XRT=$runc bats --tap "$file" | tee "$tap/runc.tap" || true
fi
summary xrt "$tap/xrt.tap"
[ -z "$runc" ] || summary runc "$tap/runc.tap"
exit $rc
