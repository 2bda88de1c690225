#!/bin/bash
# tests/v2/runc-suite.sh: runc's own integration suite (v1.5.1,
# ../shared/runc-suite) in a throw-away pure cgroup v2 guest, for Debian's
# runc and for ./xrt side by side, with the cgroupfs driver (the plain v2
# guest, ../shared/v2vm) and with the systemd driver (RUNC_USE_SYSTEMD=1 in
# the guest whose PID 1 is systemd, tests/v2vm-systemd). `make
# runc-suite-v2` calls it after building ./xrt.
#
#   tests/v2/runc-suite.sh [FILE[.bats]...]
#
#   V2_SUITE_DRIVERS="cgroupfs systemd"   the drivers, one guest boot each
#   V2_SUITE_RUNTIMES="runc xrt"          the runtimes, in each guest
#   V2_SUITE_FILTER=REGEX                 only the tests whose name matches
#   V2_SUITE_REF=all|xrt-failed           what the reference runs: every
#                                         test (default), or only those
#                                         that xrt failed (xrt runs first;
#                                         saves half the time)
#   RUNC=PATH                             the reference (default /usr/sbin/runc)
#   V2_RESULTS=DIR                        where results go (default: a new
#                                         temp dir); kept after the run
#   V2_TIMEOUT=SECS                       limit for each guest (default 5400)
#   RUNC_BATS_FILE_TIMEOUT=SECS           limit for one file (default 2400)
#   RUNC_SUITE=DIR                        the suite (default ../shared/runc-suite)
#
#   BATS_TEST_TIMEOUT=SECS                limit for one test (default none:
#                                         events.bats' tests `wait` for
#                                         their background jobs, which
#                                         include bats' timer)
#
# Default files: cgroups update events pause delete. The host's
# known-env-failures list is not used (it describes the v1 host);
# tests/v2/runc-suite-skips.txt names the tests that cannot finish under
# TCG whatever the runtime, skipped for both.
#
# Results, per runtime and driver, in $V2_RESULTS/RUNTIME-DRIVER/: the
# suite's results.tap, failed.txt and per-file logs, run.out (its output)
# and summary (one line a file); $V2_RESULTS/summary puts them side by side.
# Exit status: 0 when every test that the reference passes passes on xrt
# too; 1 when one does not; 2 when a guest did not boot, timed out or gave
# no results (an error, never a skip).
set -euo pipefail

cd "$(dirname "$0")/../.."
repo=$PWD
die() { echo "runc-suite-v2: $*" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || die "must run as root (the guest's run.sh needs it)"
[ -x ./xrt ] || die "build first: make xrt"

suite=$(readlink -f "${RUNC_SUITE:-$repo/../shared/runc-suite}")
[ -x "$suite/run.sh" ] || die "no runc suite at $suite (set RUNC_SUITE)"
v2vm=$(readlink -f "${V2VM:-$repo/../shared/v2vm}")
[ -x "$v2vm/run.sh" ] || die "no guest harness at $v2vm (set V2VM to its directory)"
runc=${RUNC:-/usr/sbin/runc}
drivers=${V2_SUITE_DRIVERS:-cgroupfs systemd}
runtimes=${V2_SUITE_RUNTIMES:-runc xrt}
timeout_s=${V2_TIMEOUT:-5400}
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(cgroups update events pause delete)
files=("${files[@]%.bats}")

# The suite's test helpers are built once on the host (Go, offline, from
# the suite's vendor tree) into its cache, which the guest reads through
# its copy of the host's /: building them under TCG would take long.
cache=${RUNC_BATS_CACHE:-/var/cache/runc-bats}
if ! ls "$cache"/helpers/*/.complete >/dev/null 2>&1; then
	echo "runc-suite-v2: building the suite's helpers on the host first"
	RUNC_BATS_DEBIAN=skip RUNC_BATS_SKIP_FILE= "$suite/run.sh" "$runc" help.bats -f '^runc -h$' >/dev/null ||
		true
	ls "$cache"/helpers/*/.complete >/dev/null 2>&1 || die "the suite's helpers did not build (see /tmp/runc-bats-logs)"
fi

results=${V2_RESULTS:-$(mktemp -d "${TMPDIR:-/tmp}/xrt-runc-suite-v2.XXXXXX")}
mkdir -p "$results"
results=$(readlink -f "$results")
echo "runc-suite-v2: results in $results"

# The guest runs copies: a rebuild on the host while the guest runs the
# repository's binary through 9p would kill it (SIGBUS).
mkdir -p "$results/bin"
cp ./xrt "$results/bin/xrt"
cp "$runc" "$results/bin/runc-ref"

status=0
for driver in $drivers; do
	case $driver in
	cgroupfs) harness=("$v2vm/run.sh") ;;
	systemd) harness=("$repo/tests/v2vm-systemd/run.sh") ;;
	*) die "unknown driver $driver (cgroupfs or systemd)" ;;
	esac
	echo "runc-suite-v2: $driver guest: ${runtimes} x ${files[*]}"
	start=$(date +%s)
	rc=0
	V2VM=$v2vm "${harness[@]}" --share "$results" --no-share --cwd "$repo" --timeout "$timeout_s" \
		-e "V2_RESULTS=$results" -e "V2_DRIVER=$driver" -e "V2_SUITE_RUNTIMES=$runtimes" \
		-e "V2_SUITE_FILES=${files[*]}" -e "V2_SUITE_FILTER=${V2_SUITE_FILTER:-}" \
		-e "V2_SUITE_REF=${V2_SUITE_REF:-all}" \
		-e "RUNC_SUITE=$suite" -e "RUNC_BATS_CACHE=$cache" \
		-e "RUNC_BATS_FILE_TIMEOUT=${RUNC_BATS_FILE_TIMEOUT:-2400}" \
		-e "BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-}" \
		-- bash tests/v2/runc-suite-guest.sh || rc=$?
	secs=$(($(date +%s) - start))
	echo "runc-suite-v2: $driver guest ran ${secs}s, exit status $rc" | tee "$results/guest-$driver.time"
	case $rc in
	0 | 1) ;;
	124) die "the $driver guest timed out after ${timeout_s}s (V2_TIMEOUT)" ;;
	125) die "the $driver guest did not boot or gave no exit status (rerun with --verbose)" ;;
	*) die "the $driver guest exited with status $rc" ;;
	esac
	for rt in $runtimes; do
		[ -s "$results/$rt-$driver/summary" ] || die "the $driver guest gave no summary for $rt"
	done
done

# Side by side: per file and driver, each runtime's counts (from this run,
# or an earlier one in the same $V2_RESULTS: V2_SUITE_RUNTIMES=runc with
# V2_SUITE_REF=xrt-failed completes a run of xrt); then each test that the
# reference passes and xrt does not.
{
	printf '%-14s %-9s' file driver
	for rt in runc xrt; do printf ' | %-34s' "$rt"; done
	printf '\n'
	for driver in cgroupfs systemd; do
		[ -s "$results/xrt-$driver/summary" ] || [ -s "$results/runc-$driver/summary" ] || continue
		for f in "${files[@]}" TOTAL; do
			printf '%-14s %-9s' "$f" "$driver"
			for rt in runc xrt; do
				printf ' | %-34s' "$(awk -v f="$f" '$1 == f { $1 = ""; sub(/^ /, ""); print }' "$results/$rt-$driver/summary" 2>/dev/null)"
			done
			printf '\n'
		done
	done
	# "ok N file: name" -> "file: name", for the tests a runtime passed
	passed() { sed -nE '/ # [sS][kK][iI][pP]/d; s/^ok [0-9]+ //p' "$results/$1-$2/results.tap" | sort; }
	for driver in cgroupfs systemd; do
		[ -f "$results/xrt-$driver/results.tap" ] && [ -f "$results/runc-$driver/results.tap" ] || continue
		gap=$(comm -23 <(passed runc "$driver") <(passed xrt "$driver"))
		if [ -n "$gap" ]; then
			echo "$driver: passed by runc, not by xrt:"
			sed 's/^/  /' <<<"$gap"
		else
			echo "$driver: xrt passes every test that runc passes"
		fi
		if [ -s "$results/runc-$driver/selection" ]; then
			echo "$driver: runc ran $(cat "$results/runc-$driver/selection")"
			continue
		fi
		more=$(comm -13 <(passed runc "$driver") <(passed xrt "$driver"))
		[ -z "$more" ] || { echo "$driver: passed by xrt, not by runc:"; sed 's/^/  /' <<<"$more"; }
	done
} | tee "$results/summary"
if grep -q 'passed by runc, not by xrt' "$results/summary"; then
	status=1
fi
exit $status
