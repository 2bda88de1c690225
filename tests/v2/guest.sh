#!/bin/bash
# tests/v2/guest.sh: the part of tests/v2/run.sh that runs inside the v2
# guest, in the repository, as root. Writes each suite's output and a
# summary to $V2_RESULTS; exits 1 when anything failed.
set -uo pipefail

out=${V2_RESULTS:?}
fail=0
summary=$out/summary
: >"$summary"

say() { echo "$*" | tee -a "$summary"; }

# xrt runs from the guest's own /tmp (ext4), not from the results share:
# the share is 9p without a page cache for reads, where every xrt command
# paid about 0.6 s for its binary's pages (xrt --version: 757 ms against
# 101 ms from /tmp).
# Another runtime (V2_RUNTIME) gets only the bats files: the Go tests test
# xrt's packages.
own_xrt=0
case $XRT in
"$out"/*)
	own_xrt=1
	mkdir -p /tmp/xrt-v2-bin
	cp "$XRT" /tmp/xrt-v2-bin/xrt
	export XRT=/tmp/xrt-v2-bin/xrt
	;;
esac

say "guest: $(uname -r), $(stat -f -c %T /sys/fs/cgroup), controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
if [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ]; then
	say "guest: /sys/fs/cgroup is not cgroup2: not a pure v2 host"
	exit 1
fi

# hang_report NAME: what a test binary that outlived its limit was doing
# (twice a session the cgroups tests hung the guest with no output, not
# even the Go runtime's own timeout dump): each of its threads' state and
# kernel stack, and every cgroup under the root that is frozen.
hang_report() {
	local p t
	echo "== $1: still running past its limit"
	for p in $(pgrep -f "$out/$1.test"); do
		for t in /proc/"$p"/task/*; do
			echo "-- task ${t##*/}: $(awk '/^State:/ {print $2, $3}' "$t/status" 2>/dev/null) wchan=$(cat "$t/wchan" 2>/dev/null)"
			cat "$t/stack" 2>/dev/null
		done
		echo "-- cgroup: $(cat /proc/"$p"/cgroup 2>/dev/null)"
	done
	grep -l '^frozen 1' $(find /sys/fs/cgroup -name cgroup.events 2>/dev/null) 2>/dev/null | sed 's/^/frozen: /'
}

# Go tests against the guest's kernel (built by run.sh on the host). The
# outer limit is for a binary too stuck to honour -test.timeout.
gotest() {
	local name=$1 pkgdir=$2 run=$3 t0 rc
	t0=$(date +%s)
	(cd "$pkgdir" && exec timeout -s QUIT -k 60 360 "$out/$name.test" -test.run "$run" -test.count=1 -test.timeout=300s) >"$out/$name.log" 2>&1 &
	local pid=$! waited=0
	while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 400 ]; do
		sleep 5
		waited=$((waited + 5))
	done
	if kill -0 "$pid" 2>/dev/null; then
		hang_report "$name" >>"$out/$name.log" 2>&1
	fi
	wait "$pid"
	rc=$?
	if [ "$rc" -eq 0 ]; then
		say "go $name ($run): ok, $(($(date +%s) - t0))s"
	else
		say "go $name ($run): FAIL, $(($(date +%s) - t0))s (see $out/$name.log)"
		tail -n 30 "$out/$name.log"
		fail=1
	fi
}
if [ "$own_xrt" = 1 ]; then
	gotest cgroups cgroups 'Real'
	gotest rootfs rootfs 'Overlay|Container'
fi
say "guest: bats files against $XRT ($("$XRT" --version | head -n1))"

# bats, one file at a time, so that each has its own TAP and time.
passed=0 failed=0 skipped=0
for entry in $V2_BATS; do
	# FILE.bats, or FILE.bats:REGEX for the tests whose names match
	f=${entry%%:*} filter=()
	if [ "$f" != "$entry" ]; then filter=(--filter "${entry#*:}"); fi
	t0=$(date +%s)
	tap=$out/${f%.bats}.tap
	BATS_TEST_TIMEOUT=600 XRT_TIMEOUT=240 bats --tap "${filter[@]}" "tests/integration/$f" >"$tap" 2>&1
	p=$(grep -E '^ok [0-9]+ ' "$tap" | grep -cvE ' # skip( |$)')
	s=$(grep -cE '^ok [0-9]+ .* # skip( |$)' "$tap")
	n=$(grep -cE '^not ok [0-9]+ ' "$tap")
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$tap" | head -n1)
	if [ -z "$plan" ] || [ $((p + s + n)) -ne "$plan" ]; then
		say "bats $f: incomplete TAP (plan ${plan:-none}, $((p + s + n)) results)"
		n=$((n + 1))
	fi
	say "bats $f: $p passed, $n failed, $s skipped, $(($(date +%s) - t0))s"
	grep -E '^not ok ' "$tap" | sed 's/^/    /' | tee -a "$summary"
	grep -E '^ok [0-9]+ .* # skip' "$tap" | sed 's/^/    /' | tee -a "$summary"
	passed=$((passed + p)) failed=$((failed + n)) skipped=$((skipped + s))
done
say "v2 guest: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] || fail=1
exit $fail
