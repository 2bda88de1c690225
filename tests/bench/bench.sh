#!/bin/bash
# bench.sh: container start-up cost, xrt vs Debian's runc.
#
# Both runtimes run the same busybox bundle (one config.json, from
# "$XRT spec", process /bin/true, no terminal) on the same machine in the
# same run, INTERLEAVED (xrt, runc, xrt, runc, ...), BENCH_N times each
# after BENCH_WARMUP warm-ups.  Cases:
#   a) create + start + wait until the process is gone + delete -f
#   b) run (foreground, deletes on exit) + delete -f
#   c) as a), with a memory (64 MiB) and a pids (128) limit
#   d) exec /bin/true into a running container
#   e) ps -f json, and f) events --stats, of a container with 100 processes
# Prints the medians in ms and the xrt/runc ratio, and writes the results
# as JSON to tests/bench/last.json (BENCH_JSON to change it).
#
#   XRT=path        runtime under test (default: ./xrt at the repo root;
#                   XRT=/usr/sbin/runc gives a runc-vs-runc sanity figure)
#   REF_RUNC=path   reference (default /usr/sbin/runc)
#   BENCH_N=50 BENCH_WARMUP=5
#
# Timing uses bash's $EPOCHREALTIME (no fork for the clock).  Runs as root.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
XRT=${XRT:-$repo/xrt}
REF_RUNC=${REF_RUNC:-/usr/sbin/runc}
N=${BENCH_N:-50}
WARMUP=${BENCH_WARMUP:-5}
OUT_JSON=${BENCH_JSON:-$here/last.json}

die() {
	echo "bench: $*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "must run as root"
[ -x "$XRT" ] || die "runtime under test not found: $XRT (run make)"
[ -x "$REF_RUNC" ] || die "reference runtime not found: $REF_RUNC"
command -v jq >/dev/null || die "jq is needed"
XRT=$(readlink -f "$XRT")
REF_RUNC=$(readlink -f "$REF_RUNC")

work=$(mktemp -d /tmp/xrt-bench.XXXXXX)
state_base=/run/xrt-bench-$$
ROOT_X=$state_base/xrt
ROOT_R=$state_base/runc
mkdir -p "$ROOT_X" "$ROOT_R"
bundle=$work/bundle

# mounts_under DIR: mount points at or below DIR (host mount namespace).
mounts_under() {
	awk -v d="$1" '$5 == d || index($5, d "/") == 1 {print $5}' /proc/self/mountinfo
}

cleanup() {
	local rc=$? rt root id
	trap - EXIT INT TERM
	for rt in "$XRT:$ROOT_X" "$REF_RUNC:$ROOT_R"; do
		root=${rt#*:}
		rt=${rt%%:*}
		[ -d "$root" ] || continue
		for id in $("$rt" --root "$root" list -q 2>/dev/null) $(ls "$root" 2>/dev/null); do
			"$rt" --root "$root" delete -f "$id" >/dev/null 2>&1 || true
		done
	done
	if [ -n "$(mounts_under "$work")$(mounts_under "$state_base")" ]; then
		echo "bench: mounts remain under $work or $state_base; not removing them:" >&2
		mounts_under "$work" >&2
		mounts_under "$state_base" >&2
		exit 1
	fi
	rm -rf --one-file-system "$work" "$state_base"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$repo/tests/fixtures/mkbundle.sh" "$bundle" >/dev/null
"$XRT" spec --bundle "$work" >/dev/null
jq '.process.terminal = false | .process.args = ["/bin/true"] | .root = {"path": "rootfs", "readonly": true}' \
	"$work/config.json" >"$bundle/config.json"
# Bundles sharing the rootfs: one with limits, one that sleeps, one with
# 100 processes (for exec, ps and events; started once per runtime).
variant() { # DIR JQ-FILTER
	mkdir -p "$1"
	jq --arg root "$bundle/rootfs" ".root.path = \$root | $2" "$bundle/config.json" >"$1/config.json"
}
variant "$work/limited" '.linux.resources.memory = {"limit": 67108864} | .linux.resources.pids = {"limit": 128}'
variant "$work/sleeper" '.process.args = ["sleep", "1000000"]'
variant "$work/hundred" '.process.args = ["sh", "-c", "for i in $(seq 99); do sleep 1000000 & done; wait"]'
for rt in "$XRT:$ROOT_X" "$REF_RUNC:$ROOT_R"; do
	for b in sleeper hundred; do
		"${rt%%:*}" --root "${rt#*:}" run -d --bundle "$work/$b" "$b" </dev/null >/dev/null 2>"$work/err" ||
			die "${rt%%:*} run -d $b failed: $(cat "$work/err")"
	done
done

# A fifo nobody writes to: "read -t" on it is a sleep without a fork.
mkfifo "$work/tick"
exec 9<>"$work/tick"
nap() { read -r -t "$1" -u 9 _ || true; }

# gone PID: the process no longer exists or is a zombie.
gone() {
	local st
	[ -r "/proc/$1/stat" ] || return 0
	read -r _ _ st _ <"/proc/$1/stat" 2>/dev/null || return 0
	[ "$st" = Z ]
}


# case_create RT ROOT ID: create, start, wait for the process to end,
# delete -f.  Prints microseconds.
case_create() {
	local rt=$1 root=$2 id=$3 t0 t1 pid i
	t0=$EPOCHREALTIME
	"$rt" --root "$root" create --bundle "$bundle" --pid-file "$work/$id.pid" "$id" \
		</dev/null >/dev/null 2>"$work/err" || die "$rt create failed: $(cat "$work/err")"
	pid=$(<"$work/$id.pid")
	"$rt" --root "$root" start "$id" </dev/null >/dev/null 2>"$work/err" || die "$rt start failed: $(cat "$work/err")"
	for ((i = 0; i < 20000; i++)); do
		gone "$pid" && break
		nap 0.0005
	done
	gone "$pid" || die "$rt: process $pid of $id did not exit"
	"$rt" --root "$root" delete -f "$id" </dev/null >/dev/null 2>"$work/err" || die "$rt delete failed: $(cat "$work/err")"
	t1=$EPOCHREALTIME
	rm -f "$work/$id.pid"
	echo $(((10#${t1%.*} - 10#${t0%.*}) * 1000000 + 10#${t1#*.} - 10#${t0#*.}))
}

# case_limits: case_create on the bundle with limits.
case_limits() {
	local bundle=$work/limited
	case_create "$@"
}

# time_cmd CMD...: run it, print the microseconds it took.
time_cmd() {
	local t0 t1
	t0=$EPOCHREALTIME
	"$@" </dev/null >/dev/null 2>"$work/err" || die "$* failed: $(cat "$work/err")"
	t1=$EPOCHREALTIME
	echo $(((10#${t1%.*} - 10#${t0%.*}) * 1000000 + 10#${t1#*.} - 10#${t0#*.}))
}

case_exec() { time_cmd "$1" --root "$2" exec sleeper /bin/true; }
case_ps() { time_cmd "$1" --root "$2" ps -f json hundred; }
case_events() { time_cmd "$1" --root "$2" events --stats hundred; }

# case_run RT ROOT ID: run (foreground) then delete -f.
case_run() {
	local rt=$1 root=$2 id=$3 t0 t1
	t0=$EPOCHREALTIME
	"$rt" --root "$root" run --bundle "$bundle" "$id" </dev/null >/dev/null 2>"$work/err" || die "$rt run failed: $(cat "$work/err")"
	"$rt" --root "$root" delete -f "$id" </dev/null >/dev/null 2>"$work/err" || die "$rt delete failed: $(cat "$work/err")"
	t1=$EPOCHREALTIME
	echo $(((10#${t1%.*} - 10#${t0%.*}) * 1000000 + 10#${t1#*.} - 10#${t0#*.}))
}

# stats: median p10 p90 min max (ms, 3 decimals) of the microsecond values on stdin.
stats() {
	sort -n | awk '{v[NR] = $1}
		function q(p,   i) { i = int((NR - 1) * p) + 1; return v[i] }
		END {
			if (NR % 2) med = v[(NR + 1) / 2]; else med = (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.3f %.3f %.3f %.3f %.3f\n", med / 1000, q(0.1) / 1000, q(0.9) / 1000, v[1] / 1000, v[NR] / 1000
		}'
}

# The 100 processes must all be there before ps and events are timed.
for rt in "$XRT:$ROOT_X" "$REF_RUNC:$ROOT_R"; do
	for ((i = 0; i < 400; i++)); do
		n=$("${rt%%:*}" --root "${rt#*:}" ps -f json hundred | jq length)
		[ "$n" -ge 100 ] && break
		nap 0.05
	done
	[ "$n" -ge 100 ] || die "${rt%%:*}: the container 'hundred' has $n processes, not 100"
done

cases=(create run limits exec ps events)
declare -A samples
for c in "${cases[@]}"; do
	samples[$c:xrt]=
	samples[$c:runc]=
done

echo "bench: $N iterations after $WARMUP warm-ups, interleaved xrt/runc..." >&2
for ((it = 0; it < WARMUP + N; it++)); do
	for c in "${cases[@]}"; do
		# Alternate which runtime goes first.
		if ((it % 2 == 0)); then order=(xrt runc); else order=(runc xrt); fi
		for who in "${order[@]}"; do
			if [ "$who" = xrt ]; then rt=$XRT root=$ROOT_X; else rt=$REF_RUNC root=$ROOT_R; fi
			us=$("case_$c" "$rt" "$root" "b$it-$c-$who")
			if ((it >= WARMUP)); then
				samples[$c:$who]+="$us "
			fi
		done
	done
done

kernel=$(uname -r)
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
	cgmode="v2 (unified)"
elif grep -q ' /sys/fs/cgroup/unified cgroup2 ' /proc/self/mountinfo 2>/dev/null ||
	awk '$5 == "/sys/fs/cgroup/unified"' /proc/self/mountinfo | grep -q .; then
	cgmode="v1 (hybrid)"
else
	cgmode="v1 (legacy)"
fi
cpus=$(nproc)
cpu_model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
xrt_ver=$("$XRT" --version 2>/dev/null | head -n2 | paste -sd' ' -)
runc_ver=$("$REF_RUNC" --version 2>/dev/null | head -n2 | paste -sd' ' -)

echo
echo "machine:  kernel $kernel, cgroup $cgmode, $cpus CPUs${cpu_model:+ ($cpu_model)}"
echo "xrt:      $XRT: $xrt_ver"
echo "runc:     $REF_RUNC: $runc_ver"
echo "samples:  $N per runtime and case, after $WARMUP warm-ups, interleaved"
echo
printf '%-38s %10s %10s %9s\n' "case (median)" "xrt ms" "runc ms" "xrt/runc"
printf '%-38s %10s %10s %9s\n' "--------------------------------------" "----------" "----------" "---------"

results='[]'
for c in "${cases[@]}"; do
	read -r xm xp10 xp90 xmin xmax < <(tr ' ' '\n' <<<"${samples[$c:xrt]}" | grep . | stats)
	read -r rm rp10 rp90 rmin rmax < <(tr ' ' '\n' <<<"${samples[$c:runc]}" | grep . | stats)
	ratio=$(awk -v a="$xm" -v b="$rm" 'BEGIN {printf "%.3f", a / b}')
	case $c in
	create) label="create+start+wait+delete -f /bin/true" ;;
	run) label="run /bin/true + delete -f" ;;
	limits) label="as create, memory+pids limits" ;;
	exec) label="exec /bin/true, running container" ;;
	ps) label="ps -f json, 100 processes" ;;
	events) label="events --stats, 100 processes" ;;
	esac
	printf '%-38s %10.2f %10.2f %9.2f\n' "$label" "$xm" "$rm" "$ratio"
	results=$(jq -c --arg c "$c" --arg l "$label" \
		--argjson xm "$xm" --argjson xp10 "$xp10" --argjson xp90 "$xp90" --argjson xmin "$xmin" --argjson xmax "$xmax" \
		--argjson rm "$rm" --argjson rp10 "$rp10" --argjson rp90 "$rp90" --argjson rmin "$rmin" --argjson rmax "$rmax" \
		--argjson ratio "$ratio" \
		'. + [{case: $c, label: $l, ratio_median: $ratio,
			xrt_ms: {median: $xm, p10: $xp10, p90: $xp90, min: $xmin, max: $xmax},
			runc_ms: {median: $rm, p10: $rp10, p90: $rp90, min: $rmin, max: $rmax}}]' <<<"$results")
done

jq -n --argjson n "$N" --argjson w "$WARMUP" --arg kernel "$kernel" --arg cg "$cgmode" \
	--argjson cpus "$cpus" --arg model "$cpu_model" \
	--arg xp "$XRT" --arg xv "$xrt_ver" --arg rp "$REF_RUNC" --arg rv "$runc_ver" \
	--arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --argjson results "$results" \
	'{date: $date, n: $n, warmup: $w, interleaved: true,
	  machine: {kernel: $kernel, cgroup: $cg, cpus: $cpus, cpu_model: $model},
	  xrt: {path: $xp, version: $xv}, runc: {path: $rp, version: $rv},
	  results: $results}' >"$OUT_JSON"
echo
echo "results written to $OUT_JSON"
