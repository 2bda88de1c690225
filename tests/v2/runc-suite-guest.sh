#!/bin/bash
# tests/v2/runc-suite-guest.sh: the part of tests/v2/runc-suite.sh that runs
# in the guest (plain v2, or systemd as PID 1), in the repository, as root.
# For each runtime of $V2_SUITE_RUNTIMES, runc's suite on $V2_SUITE_FILES,
# its logs and TAP in $V2_RESULTS/RUNTIME-$V2_DRIVER/, and a summary there:
# "FILE P passed, F failed, S skipped (Ns)" a line, then "TOTAL ...".
set -uo pipefail

out=${V2_RESULTS:?}
driver=${V2_DRIVER:?}
suite=${RUNC_SUITE:?}
read -ra files <<<"${V2_SUITE_FILES:?}"

echo "guest: $(uname -r), $(stat -f -c %T /sys/fs/cgroup), controllers: $(cat /sys/fs/cgroup/cgroup.controllers), driver $driver"
[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] || { echo "guest: not a pure cgroup v2 host"; exit 2; }
if [ "$driver" = systemd ]; then
	export RUNC_USE_SYSTEMD=1
	systemctl --version | head -n1
	systemctl is-system-running || true
fi

# xrt-failed: the reference runs only the tests that xrt failed (the
# question is whether it passes them), which saves most of its time.
ref=${V2_SUITE_REF:-all}
runtimes=${V2_SUITE_RUNTIMES:-runc xrt}
[ "$ref" = all ] || runtimes=$(tr ' ' '\n' <<<"$runtimes" | sort -r | tr '\n' ' ') # xrt first

# ere_names FILE: one ERE that matches exactly the names of failed.txt
# ("file: name" or "file: name (no result: ...)").
ere_names() {
	sed -E 's/^[^:]+: //; s/ \(no result: rc=[0-9]+\)$//; s/ # timeout after [0-9]+s$//; s/[][\.(){}*+?^$|]/\\&/g' "$1" |
		paste -sd'|' | sed 's/.*/^(&)$/'
}

# What runs, every 30 s, to $V2_RESULTS/ps-$driver.txt: the suite's TAP
# reaches the host only when a file ends, and a test that hangs shows here.
(
	while sleep 30; do
		{
			echo "== $(date -u +%T)"
			ps -eo pid,ppid,etimes,stat,args --sort=start_time | grep -vE '\[.*\]$' | cut -c1-200 | tail -n 25
		} >"$out/ps-$driver.txt.new" && mv "$out/ps-$driver.txt.new" "$out/ps-$driver.txt"
	done
) &
monitor=$!
trap 'kill $monitor 2>/dev/null' EXIT

for rt in $runtimes; do
	filter=()
	[ -z "${V2_SUITE_FILTER:-}" ] || filter=(-f "$V2_SUITE_FILTER")
	rtfiles=("${files[@]}")
	logs=$out/$rt-$driver
	rm -rf "$logs"
	mkdir -p "$logs"
	if [ "$rt" = runc ] && [ "$ref" = xrt-failed ]; then
		failed=$out/xrt-$driver/failed.txt
		mapfile -t rtfiles < <(sed 's/:.*//' "$failed" | sort -u)
		echo "only the tests that xrt failed" >"$logs/selection"
		if [ ${#rtfiles[@]} -eq 0 ]; then
			echo "TOTAL not run: xrt failed no test" >"$logs/summary"
			: >"$logs/results.tap"
			continue
		fi
		filter=(-f "$(ere_names "$failed")")
	fi
	case $rt in
	runc) bin=$out/bin/runc-ref ;;
	xrt) bin=$out/bin/xrt ;;
	*) echo "guest: unknown runtime $rt"; exit 2 ;;
	esac
	echo "== $rt ($("$bin" --version | head -n1)), $driver"
	t0=$(date +%s)
	# The host's known-env-failures list is not used (it describes the v1
	# host); runc-suite-skips.txt names the few tests that cannot finish
	# under TCG. No Debian image (none of these files needs one). No
	# per-test limit unless BATS_TEST_TIMEOUT is set: bats keeps its timer
	# as a child of the test's shell, and the tests that `wait` for their
	# own background jobs (events.bats) then wait for the timer too and
	# fail at the limit whatever the runtime.
	[ -n "${BATS_TEST_TIMEOUT:-}" ] || unset BATS_TEST_TIMEOUT
	RUNC_BATS_LOGDIR=$logs RUNC_BATS_DEBIAN=skip \
		RUNC_BATS_SKIP_FILE=$PWD/tests/v2/runc-suite-skips.txt \
		"$suite/run.sh" "$bin" "${rtfiles[@]/%/.bats}" "${filter[@]}" >"$logs/run.out" 2>&1
	echo "run.sh exit status $?, $(($(date +%s) - t0))s" >>"$logs/run.out"
	# run.sh's per-file lines: "events.bats   3 passed,   1 failed,   0 skipped  (95s)"
	sed -nE 's/^([A-Za-z0-9_-]+)\.bats +([0-9]+) passed, +([0-9]+) failed, +([0-9]+) skipped +\(([0-9]+)s\).*/\1 \2 passed, \3 failed, \4 skipped (\5s)/p' \
		"$logs/run.out" >"$logs/summary"
	awk '{p += $2; f += $4; s += $6; t += substr($8, 2) + 0} END { printf "TOTAL %d passed, %d failed, %d skipped (%ds)\n", p, f, s, t }' \
		"$logs/summary" >>"$logs/summary"
	cat "$logs/summary"
	sed -n '/^# ---- failed tests ----/,/^# elapsed/p' "$logs/run.out"
done
exit 0
