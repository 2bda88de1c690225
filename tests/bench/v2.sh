#!/bin/bash
# tests/bench/v2.sh (`make bench-v2`): bench.sh in the pure cgroup v2 guest
# of ../shared/v2vm, where crun runs (it refuses this host's hybrid
# cgroups). The guest is emulated (qemu TCG, 10-40x slower than the host
# for process-heavy work): its figures say nothing of the host, only the
# ratios between runtimes measured side by side in it mean something.
# Small defaults for that reason; BENCH_* variables pass through.
#
#   V2VM=PATH (default ../shared/v2vm/run.sh)  BENCH_V2_TIMEOUT=900
# Writes tests/bench/last-v2.json and last-v2.md, and the README's
# bench-v2 section.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
v2vm=${V2VM:-$(cd .. && pwd)/shared/v2vm/run.sh}
[ "$(id -u)" -eq 0 ] || { echo "bench-v2: must run as root" >&2; exit 1; }
[ -x "$v2vm" ] || { echo "bench-v2: no guest harness at $v2vm (V2VM=)" >&2; exit 1; }
[ -x ./xrt ] || { echo "bench-v2: build first (make xrt)" >&2; exit 1; }

out=$(mktemp -d /tmp/xrt-bench-v2.XXXXXX)
trap 'rm -rf "$out"' EXIT
# A copy: a rebuild on the host while the guest reads ./xrt over 9p would
# kill it (SIGBUS).
cp ./xrt "$out/xrt"
env=()
for v in BENCH_SCALE_RUNTIMES BENCH_MEM_K BENCH_CASES; do
	[ -z "${!v+x}" ] || env+=(-e "$v=${!v}")
done
# In the guest, the benchmark runs a copy of that copy on the guest's own
# /tmp (ext4): a --share is 9p without a page cache for reads (cache=mmap),
# and every page of xrt read from it cost so much that `xrt --version` took
# 757 ms there against 101 ms from /tmp (runc and crun come from the root
# overlay, whose pages are cached: 172 ms and 224 ms).
"$v2vm" --share "$out" --no-share --cwd "$repo" --timeout "${BENCH_V2_TIMEOUT:-900}" \
	-e "XRT_SHARED=$out/xrt" -e BENCH_N="${BENCH_N:-8}" -e BENCH_WARMUP="${BENCH_WARMUP:-1}" \
	-e BENCH_PAR="${BENCH_PAR:-20}" -e BENCH_PAR_N="${BENCH_PAR_N:-1}" \
	-e BENCH_SCALE="${BENCH_SCALE-0 20}" -e BENCH_SCALE_N="${BENCH_SCALE_N:-3}" \
	"${env[@]}" -e BENCH_README= -e "BENCH_JSON=$out/last-v2.json" \
	-- bash -c 'mkdir -p /tmp/xrt-bench-bin && cp "$XRT_SHARED" /tmp/xrt-bench-bin/xrt &&
		XRT=/tmp/xrt-bench-bin/xrt exec bash tests/bench/bench.sh'
cp "$out/last-v2.json" "$out/last-v2.md" tests/bench/
tests/bench/readme.sh bench-v2 tests/bench/last-v2.md
