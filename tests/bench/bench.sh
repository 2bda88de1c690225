#!/bin/bash
# bench.sh: a container's cost, xrt against Debian's runc and crun, side by
# side in one run, INTERLEAVED (each iteration runs every runtime once, the
# order rotating), BENCH_N times after BENCH_WARMUP warm-ups.  All runtimes
# run the same busybox rootfs with the same config.json (from "$XRT spec":
# no terminal, read-only root, ociVersion 1.0.2 so that crun 1.8 takes it)
# and each container's cgroupsPath under one cgroup of the benchmark's own.
#
# Cases (medians, wall time and CPU time):
#   create, start, delete -f   the three steps of one lifecycle of /bin/true
#   cycle       create + start + wait until /bin/true is gone + delete -f
#   run         run /bin/true in the foreground (the container is gone after)
#   limits      cycle, with a memory (64 MiB) and a pids (128) limit
#   exec        exec /bin/true into a running container
#   ps, events  ps -f json and events --stats of a container of 100 processes
#   floor       unshare -mupin --fork chroot ROOTFS /bin/true (no runtime)
#   par-run, par-delete  BENCH_PAR (100) concurrent `run -d` of a sleeping
#               container, then BENCH_PAR concurrent `delete -f`: wall time
#               of each batch and the CPU of all of it, BENCH_PAR_N times
#   scale-K     cycle with K containers already running under the same
#               --root, for each K of BENCH_SCALE ("0 100 1000"), timed
#               once the machine is quiet again after starting them (see
#               settle: BENCH_SETTLE_MIN=20 to BENCH_SETTLE=60 seconds)
#   memory      what the process waiting for `start` (xrt init, runc init,
#               crun's child) holds, with BENCH_MEM_K containers created:
#               RSS, anonymous, and private (RSS less shared pages)
#
# CPU time is user+sys of everything the step ran, whichever process it
# ended up in: the benchmark moves its shell into <cg>/shell in the cpuacct
# hierarchy (cgroup v1) or the unified one (v2), the containers' cgroups
# are <cg>/<id>, and the step's CPU is the difference of <cg>'s usage
# (cpuacct.usage, cpu.stat usage_usec) across it.  That includes the
# shell's own fork of the command (the floor shows how much that is).
#
# crun is used where it runs: it refuses cgroup v1 and hybrid hosts
# ("cgroups in hybrid mode not supported"); the output says so, and
# `make bench-v2` runs this script in the pure cgroup v2 guest of
# ../shared/v2vm where it does run (emulated: compare ratios only).
#
# Writes the figures as JSON (BENCH_JSON, default tests/bench/last.json)
# and as a markdown table (tests/bench/last.md) that also replaces the
# marked section of README.md (BENCH_README=path, or empty to skip).
#
#   XRT=path  REF_RUNC=path (/usr/sbin/runc)  CRUN=path (crun in PATH; empty: none)
#   BENCH_N=30 BENCH_WARMUP=3 BENCH_PAR=100 BENCH_PAR_N=3
#   BENCH_SCALE="0 100 1000" BENCH_SCALE_N=15 BENCH_SCALE_RUNTIMES="xrt" (add
#   runc, crun to compare: 1,000 runc containers take minutes to start)
#   BENCH_MEM_K=5  BENCH_CASES="cycle run limits exec ps events" (the
#   per-iteration cases; BENCH_PAR_N=0 and BENCH_SCALE= skip those parts)
#
# Timing uses bash's $EPOCHREALTIME (no fork for the clock).  Runs as
# root; everything it makes (containers, cgroups, state, bundles) is
# removed at exit, also when interrupted.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
XRT=${XRT:-$repo/xrt}
REF_RUNC=${REF_RUNC:-/usr/sbin/runc}
CRUN=${CRUN-$(command -v crun || true)}
N=${BENCH_N:-30}
WARMUP=${BENCH_WARMUP:-3}
PAR=${BENCH_PAR:-100}
PAR_N=${BENCH_PAR_N:-3}
SCALE=${BENCH_SCALE-0 100 1000}
SCALE_N=${BENCH_SCALE_N:-15}
SCALE_RT=${BENCH_SCALE_RUNTIMES:-xrt}
MEM_K=${BENCH_MEM_K:-5}
CASES=${BENCH_CASES:-cycle run limits exec ps events}
OUT_JSON=${BENCH_JSON:-$here/last.json}
OUT_MD=${BENCH_MD:-${OUT_JSON%.json}.md}
README=${BENCH_README-$repo/README.md}

die() {
	echo "bench: $*" >&2
	exit 1
}
say() { echo "bench: $*" >&2; }

[ "$(id -u)" -eq 0 ] || die "must run as root"
[ -x "$XRT" ] || die "runtime under test not found: $XRT (run make)"
[ -x "$REF_RUNC" ] || die "reference runtime not found: $REF_RUNC"
command -v jq >/dev/null || die "jq is needed"
command -v unshare >/dev/null || die "unshare (util-linux) is needed"
XRT=$(readlink -f "$XRT")
REF_RUNC=$(readlink -f "$REF_RUNC")

work=$(mktemp -d /tmp/xrt-bench.XXXXXX)
state_base=/run/xrt-bench-$$
cgname=xrt-bench-$$
rootfs=$work/rootfs
declare -A BIN ROOT
BIN[xrt]=$XRT
BIN[runc]=$REF_RUNC
rts=(xrt runc)
[ -n "$CRUN" ] && [ -x "$CRUN" ] && BIN[crun]=$(readlink -f "$CRUN")
for rt in xrt runc crun; do
	ROOT[$rt]=$state_base/$rt
done
mkdir -p "${ROOT[@]}" "$work/b"

# mounts_under DIR: mount points at or below DIR (host mount namespace).
mounts_under() {
	awk -v d="$1" '$5 == d || index($5, d "/") == 1 {print $5}' /proc/self/mountinfo
}

# The cgroup that holds the shell and every container: where the CPU is
# counted.  cg_mounts lists every cgroup mount point (v1 and v2), for the
# clean-up of <cg> in each.
cg_mounts() { awk '$9 == "cgroup" || $9 == "cgroup2" {print $5}' /proc/self/mountinfo; }
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
	cgmode="v2 (unified)"
	acct_mnt=/sys/fs/cgroup
	acct_file=cpu.stat
	acct_div=1
	orig_cg=$(awk -F: '$1 == "0" {print $3}' /proc/self/cgroup)
else
	if cg_mounts | grep -qx /sys/fs/cgroup/unified; then cgmode="v1 (hybrid)"; else cgmode="v1 (legacy)"; fi
	acct_mnt=$(awk '$9 == "cgroup" && $NF ~ /(^|,)cpuacct(,|$)/ {print $5; exit}' /proc/self/mountinfo)
	[ -n "$acct_mnt" ] || die "no cpuacct hierarchy mounted"
	acct_file=cpuacct.usage
	acct_div=1000
	orig_cg=$(awk -F: '$2 ~ /(^|,)cpuacct(,|$)/ {print $3}' /proc/self/cgroup)
fi
acct=$acct_mnt/$cgname/$acct_file
in_cg=

cleanup() {
	local rc=$? rt id m i
	trap - EXIT INT TERM
	# Interrupted in the middle of a batch: its runtimes finish first.
	wait 2>/dev/null || true
	for rt in "${!BIN[@]}"; do
		[ -d "${ROOT[$rt]}" ] || continue
		# Fifty at a time: a run cut short may leave a thousand.
		i=0
		for id in $(ls "${ROOT[$rt]}" 2>/dev/null); do
			"${BIN[$rt]}" --root "${ROOT[$rt]}" delete -f "$id" >/dev/null 2>&1 &
			((++i % 50)) || wait
		done
		wait
	done
	if [ -n "$in_cg" ]; then
		echo $$ >"$acct_mnt$orig_cg/cgroup.procs" 2>/dev/null || true
	fi
	# <cg> is this run's own (its name has the shell's PID): remove the
	# empty cgroups left in it, deepest first, in every hierarchy.
	for m in $(cg_mounts); do
		for ((i = 0; i < 20; i++)); do
			[ -d "$m/$cgname" ] || break
			find "$m/$cgname" -depth -type d -exec rmdir {} + 2>/dev/null || sleep 0.1
		done
		if [ -d "$m/$cgname" ]; then echo "bench: cgroup $m/$cgname remains (not empty)" >&2; fi
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

"$repo/tests/fixtures/mkbundle.sh" "$work/base" >/dev/null
mv "$work/base/rootfs" "$rootfs"
"$XRT" spec --bundle "$work" >/dev/null
# One config.json per kind; @CG@ is the container's cgroupsPath.
declare -A TMPL
tmpl() { # KIND JQ-FILTER
	TMPL[$1]=$(jq --arg root "$rootfs" '.ociVersion = "1.0.2" | .process.terminal = false |
		.process.args = ["/bin/true"] | .root = {"path": $root, "readonly": true} |
		.linux.cgroupsPath = "@CG@" | '"$2" "$work/config.json")
}
tmpl true '.'
tmpl limits '.linux.resources.memory = {"limit": 67108864} | .linux.resources.pids = {"limit": 128}'
tmpl sleep '.process.args = ["sleep", "1000000"]'
tmpl hundred '.process.args = ["sh", "-c", "for i in $(seq 99); do sleep 1000000 & done; wait"]'

# bundle KIND RT ID: makes $work/b/RT-ID/config.json, its cgroupsPath
# /<cg>/RT-ID; sets B to the bundle.
bundle() {
	B=$work/b/$2-$3
	[ -d "$B" ] || mkdir "$B"
	printf '%s\n' "${TMPL[$1]//@CG@//$cgname/$2-$3}" >"$B/config.json"
}

# The shell goes into <cg>/shell, so that every process it starts is
# counted in <cg>.  (On v2 <cg> itself can hold no process: its children
# have controllers.)
mkdir -p "$acct_mnt/$cgname/shell"
if [ "$acct_mnt" = /sys/fs/cgroup ] && [ -f /sys/fs/cgroup/cgroup.subtree_control ]; then
	ctl=$(sed 's/\([a-z_]\+\)/+\1/g' /sys/fs/cgroup/cgroup.subtree_control)
	[ -z "$ctl" ] || echo "$ctl" >"$acct_mnt/$cgname/cgroup.subtree_control" 2>/dev/null || true
fi
echo $$ >"$acct_mnt/$cgname/shell/cgroup.procs"
in_cg=1

# A fifo nobody writes to: "read -t" on it is a sleep without a fork.
mkfifo "$work/tick"
exec 9<>"$work/tick"
nap() { read -r -t "$1" -u 9 _ || true; }

# gone PID: the process no longer exists or is a zombie.
gone() {
	local st
	[ -r "/proc/$1/stat" ] || return 0
	# The process may go between the test and the open: the redirection's
	# own error is silenced too (2>/dev/null first).
	read -r _ _ st _ 2>/dev/null <"/proc/$1/stat" || return 0
	[ "$st" = Z ]
}

# mark: T (wall, µs) and C (CPU of <cg>, µs) now, without a fork.
mark() {
	local c
	T=${EPOCHREALTIME/./}
	read -r c <"$acct"
	[ "$acct_div" = 1 ] && c=${c#usage_usec }
	C=$((c / acct_div))
}

declare -A S # S[case:rt:wall|cpu] = "µs µs ..."
rec() {      # CASE RT WALL-µs CPU-µs
	S[$1:$2:wall]+="$3 "
	S[$1:$2:cpu]+="$4 "
}

# rt_do RT ARGS...: the runtime's command, quiet; dies with its error.
rt_do() {
	local rt=$1
	shift
	"${BIN[$rt]}" --root "${ROOT[$rt]}" "$@" </dev/null >/dev/null 2>"$work/err.$rt" ||
		die "$rt $* failed: $(cat "$work/err.$rt")"
}

# crun: is it there, and does it run on this host?
crun_note=
if [ -n "${BIN[crun]:-}" ]; then
	bundle true crun probe
	if "${BIN[crun]}" --root "${ROOT[crun]}" run --bundle "$B" crun-probe </dev/null >/dev/null 2>"$work/err"; then
		rts+=(crun)
	else
		crun_note="crun refuses this host: $(head -c 200 "$work/err" | tr -s '\n' ' ' | sed 's/ *$//')"
		"${BIN[crun]}" --root "${ROOT[crun]}" delete -f crun-probe >/dev/null 2>&1 || true
	fi
	"${BIN[crun]}" --root "${ROOT[crun]}" delete -f crun-probe >/dev/null 2>&1 || true
else
	crun_note="crun not installed"
fi
[ -z "$crun_note" ] || say "$crun_note; xrt against runc only"

load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# --- the per-iteration cases -------------------------------------------

# case_cycle RT IT [KIND [CASE]]: create, start, wait for /bin/true to end,
# delete -f; records create, start, delete and CASE (default cycle).
case_cycle() {
	local rt=$1 id=${4:-cycle}-$2 t0 c0 t1 c1 t2 c2 t3 c3 pid i
	bundle "${3:-true}" "$rt" "$id"
	mark
	t0=$T c0=$C
	rt_do "$rt" create --bundle "$B" --pid-file "$work/$rt-$id.pid" "$id"
	mark
	t1=$T c1=$C
	rt_do "$rt" start "$id"
	mark
	t2=$T c2=$C
	pid=$(<"$work/$rt-$id.pid")
	for ((i = 0; i < 20000; i++)); do
		gone "$pid" && break
		nap 0.0005
	done
	gone "$pid" || die "$rt: process $pid of $id did not exit"
	mark
	t3=$T c3=$C
	rt_do "$rt" delete -f "$id"
	mark
	if [ "${4:-cycle}" = cycle ]; then
		rec create "$rt" $((t1 - t0)) $((c1 - c0))
		rec start "$rt" $((t2 - t1)) $((c2 - c1))
		rec delete "$rt" $((T - t3)) $((C - c3))
	fi
	rec "${4:-cycle}" "$rt" $((T - t0)) $((C - c0))
	rm -f "$work/$rt-$id.pid"
}
case_limits() { case_cycle "$1" "$2" limits limits; }

case_run() {
	local rt=$1 id=run-$2 t0 c0
	bundle true "$rt" "$id"
	mark
	t0=$T c0=$C
	rt_do "$rt" run --bundle "$B" "$id"
	mark
	rec run "$rt" $((T - t0)) $((C - c0))
	# runc and xrt delete a foreground container when it ends; crun too.
	"${BIN[$rt]}" --root "${ROOT[$rt]}" delete -f "$id" >/dev/null 2>&1 || true
}

# timed CASE RT ARGS...: one command, timed.
timed() {
	local c=$1 rt=$2 t0 c0
	shift 2
	mark
	t0=$T c0=$C
	rt_do "$rt" "$@"
	mark
	rec "$c" "$rt" $((T - t0)) $((C - c0))
}
case_exec() { timed exec "$1" exec sleeper /bin/true; }
case_ps() { timed ps "$1" ps -f json hundred; }
case_events() { timed events "$1" events --stats hundred; }

case_floor() { # [CASE]: recorded as CASE (floor) of the runtime "floor"
	local t0 c0
	mark
	t0=$T c0=$C
	unshare -mupin --fork chroot "$rootfs" /bin/true || die "the floor failed: unshare -mupin --fork chroot $rootfs /bin/true"
	mark
	rec "${1:-floor}" floor $((T - t0)) $((C - c0))
}

# Long-lived containers for exec, ps and events; which runtimes have ps
# and events (crun 1.8 has no events --stats on every host).
declare -A HAS
for rt in "${rts[@]}"; do
	for k in sleeper hundred; do
		case " $CASES " in
		*" exec "* | *" ps "* | *" events "*) ;;
		*) continue ;;
		esac
		if [ $k = sleeper ]; then bundle sleep "$rt" $k; else bundle hundred "$rt" $k; fi
		rt_do "$rt" run -d --bundle "$B" "$k"
	done
done
for rt in "${rts[@]}"; do
	case " $CASES " in *" ps "* | *" events "*) ;; *) break ;; esac
	n=0
	for ((i = 0; i < 400; i++)); do
		n=$("${BIN[$rt]}" --root "${ROOT[$rt]}" ps -f json hundred 2>/dev/null | jq length 2>/dev/null || echo 0)
		[ "$n" -ge 100 ] && break
		nap 0.05
	done
	[ "$n" -ge 100 ] && HAS[$rt:ps]=1
	"${BIN[$rt]}" --root "${ROOT[$rt]}" events --stats hundred >/dev/null 2>&1 && HAS[$rt:events]=1
	[ "$n" -ge 100 ] || say "$rt: 'hundred' has $n processes (ps -f json): no ps figure"
done

say "$N iterations after $WARMUP warm-ups, interleaved ${rts[*]}, cases: $CASES floor"
nrt=${#rts[@]}
for ((it = 0; it < WARMUP + N; it++)); do
	for c in $CASES floor; do
		if [ "$c" = floor ]; then
			case_floor
			continue
		fi
		for ((k = 0; k < nrt; k++)); do
			rt=${rts[(it + k) % nrt]}
			case $c in ps | events) [ -n "${HAS[$rt:$c]:-}" ] || continue ;; esac
			"case_$c" "$rt" "$it"
		done
	done
	if ((it == WARMUP - 1)); then
		S=() # the warm-ups are not counted
	fi
done

# --- many containers at once -------------------------------------------

# bundles KIND RT PREFIX FROM TO: the bundles of PREFIX-FROM .. PREFIX-(TO-1).
bundles() {
	local i
	for ((i = $4; i < $5; i++)); do bundle "$1" "$2" "$3-$i"; done
}
# together RT PREFIX FROM TO ARGS...: `RT ARGS... PREFIX-i` for every i,
# all at once (run -d: --bundle of its own, added here); waits for all.
together() {
	local rt=$1 pre=$2 from=$3 to=$4 i p bad=
	local -a pids=()
	shift 4
	for ((i = from; i < to; i++)); do
		if [ "$1" = run ]; then
			"${BIN[$rt]}" --root "${ROOT[$rt]}" "$@" --bundle "$work/b/$rt-$pre-$i" "$pre-$i" </dev/null >/dev/null 2>"$work/err.$rt.$i" &
		else
			"${BIN[$rt]}" --root "${ROOT[$rt]}" "$@" "$pre-$i" </dev/null >/dev/null 2>"$work/err.$rt.$i" &
		fi
		pids[i]=$!
	done
	for i in "${!pids[@]}"; do
		wait "${pids[i]}" || bad=${bad:-$i}
	done
	[ -z "$bad" ] || die "$rt $* $pre-$bad failed: $(cat "$work/err.$rt.$bad")"
	rm -f "$work/err.$rt".*
}
# up RT PREFIX FROM TO: run -d sleepers, CHUNK (100) at a time.
up() {
	local i j
	bundles sleep "$1" "$2" "$3" "$4"
	for ((i = $3; i < $4; i += 100)); do
		j=$((i + 100 < $4 ? i + 100 : $4))
		together "$1" "$2" "$i" "$j" run -d
	done
}
down() {
	local i j
	for ((i = $3; i < $4; i += 100)); do
		j=$((i + 100 < $4 ? i + 100 : $4))
		together "$1" "$2" "$i" "$j" delete -f
	done
}

# settle: after a burst of containers started (or removed), wait until the
# machine is quiet again: BENCH_SETTLE_MIN (20) seconds, then until under
# 10% of the CPUs are busy for a second (/proc/stat), BENCH_SETTLE (60)
# seconds in all at most. The kernel finishes such a burst in the
# background (network namespaces, RCU, memory cgroups), and a cycle timed
# meanwhile measures the burst, not the count of containers: by hand,
# xrt's cycle with 1,000 running took 21.0 ms at once and 15.2 ms 30 s
# later, runc's 59.6 and 49.1, the floor's 4.7 and 3.5, though the CPUs
# were idle within a second. Prints how long it waited.
settle() {
	local t cpu u n s i w busy0 tot0 busy1 tot1 rest
	for ((t = 0; t < ${BENCH_SETTLE:-60}; t++)); do
		read -r cpu u n s i w rest </proc/stat
		busy0=$((u + n + s)) tot0=$((u + n + s + i + w))
		nap 1
		read -r cpu u n s i w rest </proc/stat
		busy1=$((u + n + s)) tot1=$((u + n + s + i + w))
		((t + 1 >= ${BENCH_SETTLE_MIN:-20} && tot1 > tot0)) || continue
		if ((100 * (busy1 - busy0) / (tot1 - tot0) < 10)); then
			t=$((t + 1))
			break
		fi
	done
	echo "$t"
}

load_mid=$(cut -d' ' -f1-3 /proc/loadavg)

if ((PAR_N > 0 && PAR > 0)); then
	say "$PAR concurrent run -d, then delete -f, $PAR_N times (after a warm-up) per runtime, interleaved"
	for ((it = 0; it <= PAR_N; it++)); do
		for ((k = 0; k < nrt; k++)); do
			rt=${rts[(it + k) % nrt]}
			bundles sleep "$rt" "p$it" 0 "$PAR"
			mark
			t0=$T c0=$C
			together "$rt" "p$it" 0 "$PAR" run -d
			mark
			t1=$T c1=$C
			together "$rt" "p$it" 0 "$PAR" delete -f
			mark
			if ((it > 0)); then
				rec par-run "$rt" $((t1 - t0)) $((c1 - c0))
				rec par-delete "$rt" $((T - t1)) $((C - c1))
			fi
		done
	done
fi

# --- cost as containers accumulate -------------------------------------
scale_rts=()
for rt in $SCALE_RT; do
	case " ${rts[*]} " in *" $rt "*) scale_rts+=("$rt") ;; esac
done
declare -A HAVE SETTLED
scale_ks=$(tr ' ' '\n' <<<"$SCALE" | grep . | sort -n | uniq | paste -sd' ' -) || true
if [ -n "$scale_ks" ] && ((${#scale_rts[@]} > 0)); then
	say "cycle with $scale_ks containers running under the same root: ${scale_rts[*]}, $SCALE_N each"
	for rt in "${scale_rts[@]}"; do HAVE[$rt]=0; done
	ns=${#scale_rts[@]}
	for K in $scale_ks; do
		for rt in "${scale_rts[@]}"; do
			((HAVE[$rt] < K)) || continue
			up "$rt" bg "${HAVE[$rt]}" "$K"
			HAVE[$rt]=$K
		done
		SETTLED[$K]=$(settle)
		for ((j = 0; j <= SCALE_N; j++)); do
			for ((k = 0; k < ns; k++)); do
				rt=${scale_rts[(j + k) % ns]}
				if ((j == 0)); then
					case_cycle "$rt" "$K-$j" true scale-warm
				else
					case_cycle "$rt" "$K-$j" true "scale-$K"
				fi
			done
			# The floor at the same count: what the kernel's own growth
			# (pids, namespaces, cgroups) costs any process.
			((j == 0)) || case_floor "scale-$K"
		done
	done
	for rt in "${scale_rts[@]}"; do
		down "$rt" bg 0 "${HAVE[$rt]}"
		unset "S[scale-warm:$rt:wall]" "S[scale-warm:$rt:cpu]"
	done
fi

# --- memory of the process waiting for start ---------------------------
declare -A MEM
if ((MEM_K > 0)); then
	for rt in "${rts[@]}"; do
		for ((i = 0; i < MEM_K; i++)); do
			bundle true "$rt" "m$i"
			rt_do "$rt" create --bundle "$B" --pid-file "$work/$rt-m$i.pid" "m$i"
		done
		pid=$(<"$work/$rt-m$((MEM_K - 1)).pid")
		# kB: Rss, Anonymous, and RSS less the pages shared with others.
		MEM[$rt]=$(awk '/^Rss:/ {r = $2} /^Anonymous:/ {a = $2} /^Shared_(Clean|Dirty):/ {s += $2}
			END {printf "%d %d %d", r, a, r - s}' "/proc/$pid/smaps_rollup")
		MEM[$rt:cmd]=$(tr '\0' ' ' <"/proc/$pid/cmdline" | head -c 60)
		for ((i = 0; i < MEM_K; i++)); do rt_do "$rt" delete -f "m$i"; done
	done
fi

load_after=$(cut -d' ' -f1-3 /proc/loadavg)


# --- results -----------------------------------------------------------

# stats: "median p10 p90 n" (ms, 3 decimals) of the µs values on stdin.
stats() {
	sort -n | awk '{v[NR] = $1}
		function q(p) { return v[int((NR - 1) * p) + 1] }
		END {
			if (NR == 0) { print "- - - 0"; exit }
			if (NR % 2) med = v[(NR + 1) / 2]; else med = (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.3f %.3f %.3f %d\n", med / 1000, q(0.1) / 1000, q(0.9) / 1000, NR
		}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f", a / b }'; }
ms() { awk -v a="$1" 'BEGIN { if (a == "-") print "-"; else printf "%.1f", a }'; }

declare -A LABEL=(
	[create]="create"
	[start]="start"
	[delete]="delete -f (stopped container)"
	[cycle]="create+start+wait+delete -f /bin/true"
	[run]="run /bin/true (foreground)"
	[limits]="cycle, memory+pids limits"
	[exec]="exec /bin/true, running container"
	[ps]="ps -f json, 100 processes"
	[events]="events --stats, 100 processes"
	[par-run]="$PAR concurrent run -d (wall)"
	[par-delete]="$PAR concurrent delete -f (wall)"
	[floor]="floor: unshare -mupin --fork chroot /bin/true"
)
order=(create start delete cycle run limits exec ps events par-run par-delete floor)
for K in ${scale_ks:-}; do
	order+=("scale-$K")
	LABEL[scale-$K]="cycle, $K running under the root"
done

: >"$work/rows"
declare -A MED CPU
for c in "${order[@]}"; do
	for rt in "${rts[@]}" floor; do
		[ -n "${S[$c:$rt:wall]:-}" ] || continue
		read -r m p10 p90 n < <(tr ' ' '\n' <<<"${S[$c:$rt:wall]}" | grep . | stats)
		read -r cm _ _ _ < <(tr ' ' '\n' <<<"${S[$c:$rt:cpu]}" | grep . | stats)
		MED[$c:$rt]=$(ms "$m")
		CPU[$c:$rt]=$(ms "$cm")
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$c" "${LABEL[$c]}" "$rt" "$m" "$p10" "$p90" "$cm" "$n" >>"$work/rows"
	done
done

kernel=$(uname -r)
cpus=$(nproc)
cpu_model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
declare -A VER
for rt in "${!BIN[@]}"; do
	# "1.1.5+ds1 runc version 1.1.5+ds1 commit: ...": the number first.
	VER[$rt]=$("${BIN[$rt]}" --version 2>/dev/null | head -n2 | paste -sd' ' - | awk '{print $3, $0}')
done
others=("${rts[@]:1}")
date=$(date -u +%Y-%m-%dT%H:%MZ)

{
	echo "Measured $date: kernel $kernel, cgroup $cgmode, $cpus CPUs${cpu_model:+ ($cpu_model)};"
	echo "load average ${load_before// /, } before, ${load_mid// /, } after the single cases, ${load_after// /, } at the end"
	echo "(the last two include the bench's own concurrent runs). Medians of $N interleaved"
	echo "iterations ($WARMUP warm-ups); $PAR_N batches of $PAR; $SCALE_N cycles at each count."
	v="xrt ${VER[xrt]%% *}, runc ${VER[runc]%% *}"
	[ -z "${BIN[crun]:-}" ] || v+=", crun ${VER[crun]%% *}"
	echo "$v."
	[ -z "$crun_note" ] || echo "No crun column: $crun_note (\`make bench-v2\` runs it in a cgroup v2 guest)."
	echo
	hdr="| case (median) | xrt ms"
	sep="|---|---"
	for rt in "${others[@]}"; do hdr+=" | $rt ms"; sep+="|---"; done
	for rt in "${others[@]}"; do hdr+=" | xrt/$rt"; sep+="|---"; done
	hdr+=" | xrt CPU ms"
	sep+="|---"
	for rt in "${others[@]}"; do hdr+=" | $rt CPU ms"; sep+="|---"; done
	for rt in "${others[@]}"; do hdr+=" | CPU xrt/$rt"; sep+="|---"; done
	echo "$hdr |"
	echo "$sep|"
	for c in "${order[@]}"; do
		if [ "$c" = floor ]; then
			[ -n "${MED[floor:floor]:-}" ] || continue
			line="| ${LABEL[floor]} | ${MED[floor:floor]}"
			for rt in "${others[@]}"; do line+=" | ${MED[floor:floor]}"; done
			for rt in "${others[@]}"; do line+=" | "; done
			line+=" | ${CPU[floor:floor]}"
			for rt in "${others[@]}"; do line+=" | ${CPU[floor:floor]}"; done
			for rt in "${others[@]}"; do line+=" | "; done
			echo "$line |"
			continue
		fi
		[ -n "${MED[$c:xrt]:-}" ] || continue
		line="| ${LABEL[$c]} | ${MED[$c:xrt]}"
		for rt in "${others[@]}"; do line+=" | ${MED[$c:$rt]:--}"; done
		for rt in "${others[@]}"; do line+=" | $(ratio "${MED[$c:xrt]}" "${MED[$c:$rt]:--}")"; done
		line+=" | ${CPU[$c:xrt]}"
		for rt in "${others[@]}"; do line+=" | ${CPU[$c:$rt]:--}"; done
		for rt in "${others[@]}"; do line+=" | $(ratio "${CPU[$c:xrt]}" "${CPU[$c:$rt]:--}")"; done
		echo "$line |"
	done
	if [ -n "${MED[floor:floor]:-}" ]; then
		echo
		f="Against the floor: xrt's cycle $(ratio "${MED[cycle:xrt]:--}" "${MED[floor:floor]}")x"
		f+=", run $(ratio "${MED[run:xrt]:--}" "${MED[floor:floor]}")x"
		for rt in "${others[@]}"; do
			f+="; $rt's $(ratio "${MED[cycle:$rt]:--}" "${MED[floor:floor]}")x and $(ratio "${MED[run:$rt]:--}" "${MED[floor:floor]}")x"
		done
		echo "$f."
	fi
	if [ -n "${scale_ks:-}" ] && [ -n "${MED[scale-${scale_ks%% *}:xrt]:-}" ]; then
		lo=${scale_ks%% *}
		hi=${scale_ks##* }
		echo "Cycle with $hi containers running against $lo: xrt $(ratio "${MED[scale-$hi:xrt]}" "${MED[scale-$lo:xrt]}")x$(for rt in "${others[@]}"; do [ -z "${MED[scale-$hi:$rt]:-}" ] || printf ', %s %sx' "$rt" "$(ratio "${MED[scale-$hi:$rt]}" "${MED[scale-$lo:$rt]}")"; done), the floor $(ratio "${MED[scale-$hi:floor]:--}" "${MED[scale-$lo:floor]:--}")x (floor at each count:$(for K in $scale_ks; do printf ' %s ms' "${MED[scale-$K:floor]:--}"; done); timed once the machine was quiet, after$(for K in $scale_ks; do printf ' %s s' "${SETTLED[$K]:--}"; done))."
	fi
	if ((MEM_K > 0)); then
		echo
		echo "| waiting for start ($MEM_K created) | process | RSS MiB | anonymous MiB | private MiB |"
		echo "|---|---|---|---|---|"
		for rt in "${rts[@]}"; do
			read -r r a p <<<"${MEM[$rt]}"
			printf '| %s | `%s` | %.1f | %.1f | %.1f |\n' "$rt" "${MEM[$rt:cmd]% }" "$(ratio "$r" 1024)" "$(ratio "$a" 1024)" "$(ratio "$p" 1024)"
		done
	fi
} >"$OUT_MD"

echo
cat "$OUT_MD"

mem_json='{}'
for rt in "${rts[@]}"; do
	[ -n "${MEM[$rt]:-}" ] || continue
	read -r r a p <<<"${MEM[$rt]}"
	mem_json=$(jq -c --arg rt "$rt" --arg cmd "${MEM[$rt:cmd]% }" --argjson r "$r" --argjson a "$a" --argjson p "$p" \
		'.[$rt] = {process: $cmd, rss_kb: $r, anonymous_kb: $a, private_kb: $p}' <<<"$mem_json")
done
vers='{}'
for rt in "${!BIN[@]}"; do
	vers=$(jq -c --arg rt "$rt" --arg p "${BIN[$rt]}" --arg v "${VER[$rt]}" '.[$rt] = {path: $p, version: $v}' <<<"$vers")
done
jq -R -s -c 'split("\n") | map(select(. != "") | split("\t") |
	{case: .[0], label: .[1], runtime: .[2],
	 wall_ms: {median: (.[3] | tonumber), p10: (.[4] | tonumber), p90: (.[5] | tonumber)},
	 cpu_ms: {median: (.[6] | tonumber)}, n: (.[7] | tonumber)})' "$work/rows" >"$work/rows.json"
jq -n --arg date "$date" --argjson n "$N" --argjson w "$WARMUP" --argjson par "$PAR" --argjson parn "$PAR_N" \
	--arg scale "${scale_ks:-}" --argjson scalen "$SCALE_N" --argjson memk "$MEM_K" \
	--arg kernel "$kernel" --arg cg "$cgmode" --argjson cpus "$cpus" --arg model "$cpu_model" \
	--arg lb "$load_before" --arg lm "$load_mid" --arg la "$load_after" --arg crun "$crun_note" \
	--argjson rts "$(printf '%s\n' "${rts[@]}" | jq -R . | jq -s -c .)" \
	--argjson vers "$vers" --argjson mem "$mem_json" --slurpfile rows "$work/rows.json" \
	'{date: $date, n: $n, warmup: $w, interleaved: true, par: $par, par_n: $parn,
	  scale: ($scale | split(" ") | map(select(. != "") | tonumber)), scale_n: $scalen,
	  machine: {kernel: $kernel, cgroup: $cg, cpus: $cpus, cpu_model: $model,
	            load_before: $lb, load_after_single_cases: $lm, load_after: $la},
	  runtimes: $rts, versions: $vers, crun_note: $crun,
	  results: $rows[0], waiting_memory: {containers: $memk, by_runtime: $mem}}' >"$OUT_JSON"
say "results written to $OUT_JSON and $OUT_MD"

# README.md: the section between the markers is this table.
[ -z "$README" ] || "$here/readme.sh" bench "$OUT_MD" "$README"
