#!/bin/bash
# trace.sh: where one lifecycle's time goes (tests/bench/BREAKDOWN.md).
# Runs create, start and delete -f of /bin/true (the bench's bundle) under
# `strace -f`, and prints for each phase the processes and execve it ran,
# its syscalls by kind (fsync, mount, clone, ...), and the strace -c table;
# then the Go runtime's start-up (an xrt command that does nothing, against
# a static C program) and each step under `perf stat` without strace.
#
#   XRT=path (./xrt)  RT=xrt|runc|crun (which runtime; default xrt)
#   TRACE_N=40 (samples of the start-up timings)  TRACE_OUT=dir (kept)
# Root; slows everything by strace's cost: compare counts, not times.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
XRT=$(readlink -f "${XRT:-$repo/xrt}")
RT=${RT:-xrt}
case $RT in xrt) BIN=$XRT ;; runc) BIN=/usr/sbin/runc ;; *) BIN=$(command -v "$RT") ;; esac
N=${TRACE_N:-40}
[ "$(id -u)" -eq 0 ] || { echo "trace: must run as root" >&2; exit 1; }
command -v strace >/dev/null || { echo "trace: strace is needed (apt-get install strace)" >&2; exit 1; }

work=$(mktemp -d /tmp/xrt-trace.XXXXXX)
root=/run/xrt-trace-$$
out=${TRACE_OUT:-$work/out} # kept when given
mkdir -p "$out" "$root"
cleanup() {
	"$BIN" --root "$root" delete -f t1 >/dev/null 2>&1 || true
	"$BIN" --root "$root" delete -f t2 >/dev/null 2>&1 || true
	"$BIN" --root "$root" delete -f t3 >/dev/null 2>&1 || true
	if awk -v d="$work" 'index($5, d) == 1 {f = 1} END {exit !f}' /proc/self/mountinfo; then
		echo "trace: mounts remain under $work; not removing it" >&2
		exit 1
	fi
	rm -rf --one-file-system "$work"
	rm -rf --one-file-system "$root"
}
trap cleanup EXIT
"$repo/tests/fixtures/mkbundle.sh" "$work/b" >/dev/null
"$XRT" spec --bundle "$work" >/dev/null
jq '.ociVersion = "1.0.2" | .process.terminal = false | .process.args = ["/bin/true"] | .root = {"path": "rootfs", "readonly": true}' \
	"$work/config.json" >"$work/b/config.json"

# summary FILE: processes, execve, and syscalls by kind of one strace -f -o FILE.
summary() {
	awk '
		{ pid[$1] = 1 }
		/ execve\(/ && !/ = -1 / { ex++; split($0, a, "\""); prog = prog " " a[2] }
		/ (clone|clone3|fork|vfork)\(/ && / = [0-9]+$/ { cl++ }
		/ (fsync|fdatasync|syncfs|sync_file_range)\(/ { fs++ }
		/ (mount|umount2|mount_setattr|open_tree|move_mount|fsopen|fsmount|fsconfig|pivot_root)\(/ { mnt++ }
		/ (unshare|setns)\(/ { ns++ }
		/ (openat|open)\(/ { op++ }
		/ (read|pread64)\(/ { rd++ }
		/ (write|pwrite64)\(/ { wr++ }
		/ (mmap|munmap|mprotect|madvise)\(/ { mm++ }
		/ (rt_sigaction|rt_sigprocmask|sigaltstack)\(/ { sig++ }
		/ (futex|nanosleep|clock_nanosleep|epoll_pwait|epoll_wait|sched_yield)\(/ { sy++ }
		/ (mkdir|mkdirat|rmdir|unlinkat|unlink|renameat|renameat2|rename)\(/ { fsops++ }
		{ n++ }
		END {
			printf "processes %d, execve %d (%s), clone/fork %d, syscalls %d:\n", length(pid), ex, prog, cl, n
			printf "  open %d, read %d, write %d, mmap/mprotect/madvise %d, signal set-up %d, futex/sleep/epoll %d,\n", op, rd, wr, mm, sig, sy
			printf "  mkdir/rmdir/unlink/rename %d, fsync %d, mount-family %d, unshare/setns %d\n", fsops, fs, mnt, ns
		}' "$1"
}

# lifecycle TAG ID STRACE-OPTS...: create, start, delete -f of ID, each
# under strace -f with the options, into $out/{create,start,delete}.TAG.
# strace -f waits for every process it follows: create's stays on the
# init that waits for start, so create's strace runs in the background
# until start has let init exec /bin/true and end (its file has those).
lifecycle() {
	local tag=$1 id=$2 spid i
	shift 2
	strace -f -qq "$@" -o "$out/create.$tag" "$BIN" --root "$root" create --bundle "$work/b" --pid-file "$work/$id.pid" "$id" </dev/null >/dev/null &
	spid=$!
	for ((i = 0; i < 3000; i++)); do
		[ -s "$work/$id.pid" ] && break
		sleep 0.01
	done
	[ -s "$work/$id.pid" ] || { echo "trace: create $id did not finish" >&2; kill "$spid"; exit 1; }
	sleep 0.1
	strace -f -qq "$@" -o "$out/start.$tag" "$BIN" --root "$root" start "$id" </dev/null >/dev/null
	wait "$spid"
	sleep 0.1
	strace -f -qq "$@" -o "$out/delete.$tag" "$BIN" --root "$root" delete -f "$id" </dev/null >/dev/null
}
lifecycle strace t1 -ttt
lifecycle count t2 -c
for p in create start delete; do
	echo "== $RT $p: $(summary "$out/$p.strace")"
	head -n 14 "$out/$p.count" | sed 's/^/    /'
done
[ "$RT" != xrt ] || echo "   (create's figures include init until it has exec'd /bin/true and that has exited, after start)"

# The timeline of a whole lifecycle with only the process-level calls
# traced (--seccomp-bpf: the others run at full speed), relative to the
# create's execve: where each process starts and ends.
lifecycle tl t3 --seccomp-bpf -ttt -e trace=execve,clone,clone3,vfork,exit_group,unshare,setns,pivot_root,rmdir,mkdir
t0=$(awk '/execve\(/ {print $2; exit}' "$out/create.tl")
echo
echo "== $RT timeline of one lifecycle (ms from create's execve; only these calls traced)"
for p in create start delete; do
	echo "  --- $p"
	awk -v t0="$t0" '
		/execve\(|clone|vfork|exit_group|unshare|setns|pivot_root/ {
			line = $0; sub(/^[0-9]+ +[0-9.]+ +/, "", line)
			if (length(line) > 110) line = substr(line, 1, 110) "..."
			printf "  %8.2f  pid %-7s %s\n", ($2 - t0) * 1000, $1, line
		}
		/(mkdir|rmdir)\(/ { k = ($0 ~ /mkdir/) ? "mkdir" : "rmdir"; n[k]++; if (!f[k]) f[k] = $2; l[k] = $2 }
		END { for (k in n) printf "  %s: %d calls, %.2f..%.2f ms\n", k, n[k], (f[k] - t0) * 1000, (l[k] - t0) * 1000 }' "$out/$p.tl"
done

echo
echo "== Go start-up: each of $N runs, median µs (wall; this machine, no strace)"
med() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
loop() {
	local i t0 t1 s=
	for ((i = 0; i < N; i++)); do
		t0=${EPOCHREALTIME/./}
		"$@" >/dev/null 2>&1 || true
		t1=${EPOCHREALTIME/./}
		s+="$((t1 - t0)) "
	done
	tr ' ' '\n' <<<"$s" | grep . | med
}
printf '  %-52s %8s\n' "/bin/busybox true (static C, 1 MB)" "$(loop /bin/busybox true)"
printf '  %-52s %8s\n' "xrt --version (Go runtime, flags, nothing else)" "$(loop "$XRT" --version)"
printf '  %-52s %8s\n' "xrt start of nothing (C fast path, falls to Go)" "$(loop "$XRT" --root "$root" start nosuch)"
printf '  %-52s %8s\n' "xrt delete -f of nothing (C fast path exits)" "$(loop "$XRT" --root "$root" delete -f nosuch)"
printf '  %-52s %8s\n' "xrt state of nothing (Go, one lookup)" "$(loop "$XRT" --root "$root" state nosuch)"
echo
echo "== package init (GODEBUG=inittrace=1, xrt --version): the ten slowest, and the sum"
GODEBUG=inittrace=1 "$XRT" --version 2>&1 >/dev/null | awk '/^init / {t += $5; print $5, $2}' | sort -rn | head -10 | sed 's/^/  /'
GODEBUG=inittrace=1 "$XRT" --version 2>&1 >/dev/null | awk '/^init / {t += $5; n++} END {printf "  %d packages, %.2f ms clock in all\n", n, t}'
if command -v perf >/dev/null; then
	echo
	echo "== perf stat of each step (no strace)"
	# Into a file: init keeps create's stdio, a pipe would wait for it.
	n=0
	for s in "create --bundle $work/b t1" "start t1" "delete -f t1" "--version"; do
		[ "$s" = "delete -f t1" ] && sleep 0.1
		n=$((n + 1))
		perf stat -o "$out/perf.$n" -x, -e task-clock,page-faults,context-switches "$BIN" --root "$root" $s </dev/null >/dev/null 2>&1 || true
		awk -F, -v s="$s" '{v[$3] = $1} END {printf "  %-28s task-clock %6.2f ms, page-faults %5d, context-switches %4d\n", s, v["task-clock"], v["page-faults"], v["context-switches"]}' "$out/perf.$n"
	done
fi
