# Shared helpers for the xrt integration tests (bats).
#
#   XRT=/path/to/runtime   runtime under test (default: the xrt binary built
#                          at the repository root by "make").  Set
#                          XRT=/usr/sbin/runc to validate a test against runc.
#   REF_RUNC=/usr/sbin/runc  reference runtime (for comparisons).
#
# Every test gets its own state directory ($ROOT, passed as --root), its own
# bundle ($BUNDLE, under $BATS_TEST_TMPDIR) and its own container id ($CID).
# xrt_teardown deletes every container of $ROOT, ends only processes the
# test started (by PID) or that live inside one of the test's bundles, and
# makes sure no mount is left under the test's directories before anything
# is removed.
#
# Conventions for test writers:
#  * "run xrt ..." for commands that do not leave a process behind (state,
#    start, kill, delete, list, foreground run).  Its output is stdout and
#    stderr together, as with any bats "run".
#  * xrt_create / xrt_detached for create and "run -d": the container
#    inherits the runtime's stdio, so its stdio must not be the pipe that
#    bats reads (the capture would wait for the container to exit).  They
#    set $status, $output and $lines like "run", and the container's own
#    output keeps going to $DETACHED_LOG.

# The binary under test, made absolute so tests may cd anywhere.
XRT="${XRT:-$BATS_TEST_DIRNAME/../../xrt}"
if [[ "$XRT" == */* ]]; then
	XRT="$(readlink -f "$XRT" 2>/dev/null || echo "$XRT")"
elif command -v "$XRT" >/dev/null 2>&1; then
	XRT="$(command -v "$XRT")"
fi
REF_RUNC="${REF_RUNC:-/usr/sbin/runc}"
FIXTURES="$(cd "$BATS_TEST_DIRNAME/../fixtures" && pwd)"
# Helper programs built from tests/cmd by "make testbin".
TESTBIN="${TESTBIN:-$(cd "$BATS_TEST_DIRNAME/.." && pwd)/bin}"
BUSYBOX="${BUSYBOX:-/bin/busybox}"
XRT_TEST_STATE_BASE="${XRT_TEST_STATE_BASE:-/run/xrt-test}"
# Every runtime call is limited (a hung runtime must fail a test, not hang
# the suite), and so is every test (bats kills it, then runs teardown).
XRT_TIMEOUT="${XRT_TIMEOUT:-60}"
: "${BATS_TEST_TIMEOUT:=180}"
export XRT REF_RUNC XRT_TIMEOUT BATS_TEST_TIMEOUT

# ---------------------------------------------------------------------------
# Which runtime is under test

# is_runc: true when the runtime under test is runc (validation mode).
is_runc() {
	[[ "$(basename "$XRT")" == runc* ]]
}

# xrt_only REASON: skip the test when validating against runc.  Used by
# tests that check xrt's exact messages or behaviour where runc differs.
xrt_only() {
	if is_runc; then
		skip "xrt-only: $*"
	fi
}

# runtime_name: the word the runtime prints in its messages.
runtime_name() {
	if is_runc; then echo runc; else echo xrt; fi
}

# kernel_at_least MAJOR MINOR: the running kernel is that release or later.
kernel_at_least() {
	local maj min
	IFS=. read -r maj min _ <<<"$(uname -r)"
	[ "$maj" -gt "$1" ] || { [ "$maj" -eq "$1" ] && [ "${min%%[!0-9]*}" -ge "$2" ]; }
}

# requires_cap CAP_NAME: skip unless CAP_NAME is in our bounding set.
requires_cap() {
	local name=$1 bit
	bit=$(cap_bit "$name") || return 1
	local bnd
	bnd=$(awk '/^CapBnd:/ {print $2}' /proc/self/status)
	if ((((16#$bnd >> bit) & 1) == 0)); then
		skip "$name is not in this machine's capability bounding set"
	fi
}

# ---------------------------------------------------------------------------
# File- and test-level setup

xrt_setup_file() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "the integration tests must run as root" >&2
		return 1
	fi
	if [ ! -x "$XRT" ]; then
		echo "runtime under test not found: $XRT (run 'make' or set XRT=)" >&2
		return 1
	fi
	local base=$BATS_FILE_TMPDIR/base
	if [ ! -d "$base/rootfs" ]; then
		"$FIXTURES/mkbundle.sh" "$base" "$BUSYBOX" >&2
	fi
	if [ ! -f "$base/config.json" ]; then
		"$XRT" spec --bundle "$base" >&2
	fi
}

xrt_setup() {
	ROOT=$XRT_TEST_STATE_BASE/$BATS_TEST_NUMBER-$$
	BUNDLE=$BATS_TEST_TMPDIR/bundle
	CID=xt$BATS_TEST_NUMBER-$$
	BUNDLES=()
	BG_PIDS=()
	HOST_MOUNTS=()
	CREATED_IDS=()
	DETACHED_N=0
	DETACHED_LOG=
	mkdir -p "$ROOT"
	chmod 0711 "$XRT_TEST_STATE_BASE" "$ROOT"
	setup_bundle "$BUNDLE"
}

xrt_teardown() {
	teardown_containers
}

# Defaults; a .bats file may define its own setup/teardown that call these.
setup_file() { xrt_setup_file; }
setup() { xrt_setup; }
teardown() { xrt_teardown; }

# setup_bundle [DIR]: a fresh busybox bundle in DIR (default $BUNDLE) with
# a config.json from "$XRT spec", made deterministic: sh -c 'echo hello',
# no terminal, writable rootfs, hostname xrt-test.
setup_bundle() {
	local dir=${1:-$BUNDLE}
	local base=$BATS_FILE_TMPDIR/base
	if [ ! -d "$base/rootfs" ]; then
		"$FIXTURES/mkbundle.sh" "$base" "$BUSYBOX" >&2
	fi
	if [ ! -f "$base/config.json" ]; then
		"$XRT" spec --bundle "$base" >&2
	fi
	mkdir -p "$dir"
	cp -a "$base/rootfs" "$dir/rootfs"
	jq '.process.terminal = false
	    | .process.args = ["sh", "-c", "echo hello"]
	    | .root = {"path": "rootfs", "readonly": false}
	    | .hostname = "xrt-test"' \
		"$base/config.json" >"$dir/config.json"
	BUNDLES+=("$dir")
}

# update_config FILTER [JQ-ARGS...] : edit $BUNDLE/config.json in place
# (use BUNDLE=... update_config ... for another bundle).
update_config() {
	local filter=$1
	shift
	local cfg=$BUNDLE/config.json
	jq "$@" "$filter" "$cfg" >"$cfg.new"
	mv "$cfg.new" "$cfg"
}

# set_args ARG...: set process.args.
set_args() {
	# (not "jq --args": jq would take an argument like -c as its option)
	local args='[]' a
	for a in "$@"; do
		args=$(jq -cn --argjson l "$args" --arg a "$a" '$l + [$a]')
	done
	update_config '.process.args = $a' --argjson a "$args"
}

# set_cmd 'shell command': process.args = sh -c 'shell command'.
set_cmd() {
	set_args sh -c "$1"
}

# ---------------------------------------------------------------------------
# Running the runtime

# xrt ARGS...: the runtime under test with this test's --root (killed
# after $XRT_TIMEOUT seconds: exit status 124).
xrt() {
	timeout -k 5 "$XRT_TIMEOUT" "$XRT" --root "$ROOT" "$@"
}

# xrt_detached ARGS...: like "run xrt ARGS..." but with stdio on a file;
# for create and "run -d" (see the top of this file).
xrt_detached() {
	DETACHED_N=$((DETACHED_N + 1))
	DETACHED_LOG=$BATS_TEST_TMPDIR/detached.$DETACHED_N.log
	status=0
	timeout -k 5 "$XRT_TIMEOUT" "$XRT" --root "$ROOT" "$@" </dev/null >"$DETACHED_LOG" 2>&1 || status=$?
	output=$(cat "$DETACHED_LOG")
	mapfile -t lines <<<"$output"
	return 0
}

# xrt_create [CREATE-OPTIONS...] ID: create from $BUNDLE.
xrt_create() {
	CREATED_IDS+=("${@: -1}")
	xrt_detached create --bundle "$BUNDLE" "$@"
}

# xrt_run_d [RUN-OPTIONS...] ID: run -d from $BUNDLE.
xrt_run_d() {
	CREATED_IDS+=("${@: -1}")
	xrt_detached run -d --bundle "$BUNDLE" "$@"
}

# xrt_run_bg LOG [RUN-OPTIONS...] ID: foreground "run" in the background,
# output to LOG; sets BG_PID (also remembered for teardown).
xrt_run_bg() {
	local log=$1
	shift
	CREATED_IDS+=("${@: -1}")
	"$XRT" --root "$ROOT" run --bundle "$BUNDLE" "$@" </dev/null >"$log" 2>&1 &
	BG_PID=$!
	BG_PIDS+=("$BG_PID")
}

# run_in_container: a foreground run of $BUNDLE as $CID, its output in
# $output and $status, and both echoed for the failure report.
run_in_container() {
	CREATED_IDS+=("$CID")
	run xrt run --bundle "$BUNDLE" "$CID"
	echo "status=$status"
	echo "$output"
}

# status_field NAME: a /proc/self/status field from $output ("CapEff" ...).
status_field() {
	awk -v f="$1:" '$1 == f {print $2}' <<<"$output"
}

# state_field ID FIELD: one field of "state" (jq -r).
state_field() {
	xrt state "$1" 2>/dev/null | jq -r ".$2"
}

# wait_for_state ID STATE [SECONDS]: poll until the container's status is
# STATE (STATE "gone" waits until state fails).  Fails on timeout.
wait_for_state() {
	local id=$1 want=$2 secs=${3:-10} i cur
	for ((i = 0; i < secs * 20; i++)); do
		if cur=$(xrt state "$id" 2>/dev/null | jq -r .status 2>/dev/null); then
			[ "$cur" = "$want" ] && return 0
		elif [ "$want" = gone ]; then
			return 0
		fi
		sleep 0.05
	done
	echo "container $id: wanted state $want, last seen '${cur:-}'" >&2
	return 1
}

# wait_for_file FILE [SECONDS]: until FILE exists.
wait_for_file() {
	local f=$1 secs=${2:-10} i
	for ((i = 0; i < secs * 20; i++)); do
		[ -e "$f" ] && return 0
		sleep 0.05
	done
	echo "timed out waiting for $f" >&2
	return 1
}

# wait_pid_gone PID [SECONDS]
wait_pid_gone() {
	local pid=$1 secs=${2:-10} i
	for ((i = 0; i < secs * 20; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.05
	done
	echo "process $pid still alive" >&2
	return 1
}

# is_gone PID: the process does not exist or is a zombie.
is_gone() {
	local st
	[ -r "/proc/$1/stat" ] || return 0
	read -r _ _ st _ <"/proc/$1/stat" 2>/dev/null || return 0
	[ "$st" = Z ]
}

# wait_bg PID [SECONDS]: wait for a background child of the test (e.g.
# BG_PID of xrt_run_bg) and put its exit status in $rc; fails, instead of
# hanging, if it has not exited in time.
wait_bg() {
	local pid=$1 secs=${2:-20} i
	for ((i = 0; i < secs * 20; i++)); do
		is_gone "$pid" && break
		sleep 0.05
	done
	if ! is_gone "$pid"; then
		echo "background process $pid still running after ${secs}s" >&2
		return 1
	fi
	rc=0
	wait "$pid" || rc=$?
}

# refute CMD [ARGS...]: fails when CMD succeeds. Where "! CMD" is not a
# test's last line, bats does not count its status: "! grep -q x f" there
# passes either way.
refute() {
	if "$@"; then
		echo "refute: succeeded: $*" >&2
		return 1
	fi
}

# ---------------------------------------------------------------------------
# Namespaces

# link_gone NAME: waits up to 2 s for network device NAME to leave the
# host. A namespace's virtual devices go when the kernel tears it down,
# from a work queue, some milliseconds after its last user.
link_gone() {
	local i
	for i in $(seq 200); do
		[ -e "/sys/class/net/$1" ] || return 0
		sleep 0.01
	done
	echo "link_gone: $1 is still there" >&2
	return 1
}

# host_ns TYPE: the host's namespace link text, e.g. "net:[4026531840]".
host_ns() {
	readlink "/proc/self/ns/$1"
}

# host_ns_inode TYPE: inode number of the host's namespace TYPE.
host_ns_inode() {
	stat -L -c %i "/proc/self/ns/$1"
}

# ns_inode PATH: inode number of a namespace file (/proc/PID/ns/x or a
# bind-mounted namespace file).
ns_inode() {
	stat -L -c %i "$1"
}

# make_netns FILE: a new network namespace bind-mounted on FILE (undone
# by teardown).
make_netns() {
	local f=$1
	: >"$f"
	HOST_MOUNTS+=("$f")
	unshare --net="$f" true
}

# ---------------------------------------------------------------------------
# Capabilities

# cap_bit CAP_NAME: the capability's bit number (from the kernel's list).
cap_bit() {
	local names=(CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER
		CAP_FSETID CAP_KILL CAP_SETGID CAP_SETUID CAP_SETPCAP
		CAP_LINUX_IMMUTABLE CAP_NET_BIND_SERVICE CAP_NET_BROADCAST
		CAP_NET_ADMIN CAP_NET_RAW CAP_IPC_LOCK CAP_IPC_OWNER CAP_SYS_MODULE
		CAP_SYS_RAWIO CAP_SYS_CHROOT CAP_SYS_PTRACE CAP_SYS_PACCT
		CAP_SYS_ADMIN CAP_SYS_BOOT CAP_SYS_NICE CAP_SYS_RESOURCE
		CAP_SYS_TIME CAP_SYS_TTY_CONFIG CAP_MKNOD CAP_LEASE CAP_AUDIT_WRITE
		CAP_AUDIT_CONTROL CAP_SETFCAP CAP_MAC_OVERRIDE CAP_MAC_ADMIN
		CAP_SYSLOG CAP_WAKE_ALARM CAP_BLOCK_SUSPEND CAP_AUDIT_READ
		CAP_PERFMON CAP_BPF CAP_CHECKPOINT_RESTORE)
	local i
	for i in "${!names[@]}"; do
		if [ "${names[$i]}" = "$1" ]; then
			echo "$i"
			return 0
		fi
	done
	echo "unknown capability $1" >&2
	return 1
}

# cap_mask CAP_NAME...: the /proc/PID/status hex (16 digits) for the set.
cap_mask() {
	local mask=0 c b
	for c in "$@"; do
		b=$(cap_bit "$c") || return 1
		mask=$((mask | (1 << b)))
	done
	printf '%016x\n' "$mask"
}

# chmod o+x every directory from the bats run dir down to $1, so that an
# unprivileged (host) uid can reach the bundle.
open_path_to() {
	local d=$1
	while [ "$d" != / ] && [[ "$d" == "$BATS_RUN_TMPDIR"* ]]; do
		chmod o+x "$d"
		d=$(dirname "$d")
	done
}

# ---------------------------------------------------------------------------
# Leftovers and cleanup

# mounts_under DIR: mount points (host mount namespace) at or below DIR.
mounts_under() {
	local dir
	dir=$(readlink -f "$1" 2>/dev/null || echo "$1")
	awk -v d="$dir" '$5 == d || index($5, d "/") == 1 {print $5}' /proc/self/mountinfo
}

# procs_in_dir DIR: PIDs whose root or cwd is DIR or below it.  Roots are
# compared by device:inode (a pivoted root reads as "/" from the host).
# Two finds instead of a fork per process: this runs in every teardown.
procs_in_dir() {
	local dir=$1 want
	[ -d "$dir" ] || return 0
	want=$(stat -c %d:%i "$dir") || return 0
	{
		find -L /proc/[0-9]*/root -maxdepth 0 -printf '%D:%i %p\n' 2>/dev/null |
			awk -v w="$want" '$1 == w {split($2, a, "/"); print a[3]}'
		find /proc/[0-9]*/cwd -maxdepth 0 -printf '%l\t%p\n' 2>/dev/null |
			awk -F'\t' -v d="$dir" '$1 == d || index($1, d "/") == 1 {split($2, a, "/"); print a[3]}'
	} | sort -un
}

# cgroups_named ID: cgroup directories named ID (v1 hierarchies and the
# unified one), at the depths the runtimes use by default.
cgroups_named() {
	find /sys/fs/cgroup -mindepth 2 -maxdepth 6 -type d -name "$1" 2>/dev/null
}

# assert_no_leftovers [ID]: nothing remains of container ID (default $CID):
# no state dir, no mount of a bundle, no process inside a bundle, no cgroup.
assert_no_leftovers() {
	local id=${1:-$CID} bad=0 b m p
	if [ -e "$ROOT/$id" ]; then
		echo "leftover state directory $ROOT/$id" >&2
		bad=1
	fi
	for b in "${BUNDLES[@]}"; do
		m=$(mounts_under "$b")
		if [ -n "$m" ]; then
			echo "leftover mounts under $b: $m" >&2
			bad=1
		fi
		p=$(procs_in_dir "$b/rootfs")
		if [ -n "$p" ]; then
			echo "leftover processes in $b/rootfs: $p" >&2
			bad=1
		fi
	done
	m=$(cgroups_named "$id")
	if [ -n "$m" ]; then
		echo "leftover cgroups: $m" >&2
		bad=1
	fi
	return $bad
}

# teardown_containers: delete every container of $ROOT, end what the test
# started, undo host mounts, and only then remove $ROOT.  Fails the test if
# anything had leaked.
teardown_containers() {
	[ -n "${ROOT:-}" ] || return 0
	local bad=0 id ids p b m i
	cd / || true

	ids=$({
		timeout -k 2 15 "$XRT" --root "$ROOT" list -q 2>/dev/null
		ls -1 "$ROOT" 2>/dev/null
		printf '%s\n' "${CREATED_IDS[@]}"
	} | grep -E '^[A-Za-z0-9_+.-]+$' | grep -vx -e . -e .. | sort -u)
	for id in $ids; do
		if ! timeout -k 2 15 "$XRT" --root "$ROOT" delete --force "$id" </dev/null >/dev/null 2>&1; then
			if [ -e "$ROOT/$id" ]; then
				echo "teardown: delete --force $id failed or timed out" >&2
				bad=1
			fi
		fi
	done

	# Foreground "run" processes this test started.
	for p in "${BG_PIDS[@]}"; do
		for ((i = 0; i < 40; i++)); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.05
		done
		if kill -0 "$p" 2>/dev/null; then
			kill -KILL "$p" 2>/dev/null || true
		fi
		wait "$p" 2>/dev/null || true
	done

	# Anything still running inside one of our bundles leaked.
	for b in "${BUNDLES[@]}"; do
		p=$(procs_in_dir "$b/rootfs")
		if [ -n "$p" ]; then
			echo "teardown: killing leaked processes in $b/rootfs: $p" >&2
			# shellcheck disable=SC2086
			kill -KILL $p 2>/dev/null || true
			bad=1
		fi
	done

	# Mounts the test made on purpose (namespace files and the like).
	for ((i = ${#HOST_MOUNTS[@]} - 1; i >= 0; i--)); do
		umount "${HOST_MOUNTS[$i]}" 2>/dev/null || umount -l "${HOST_MOUNTS[$i]}" 2>/dev/null || true
	done

	# Nothing may stay mounted below our directories; detach what did
	# (deepest first) before bats removes them.
	for b in "$BATS_TEST_TMPDIR" "$ROOT"; do
		m=$(mounts_under "$b" | sort -r)
		if [ -n "$m" ]; then
			echo "teardown: leftover mounts under $b:" $m >&2
			bad=1
			for p in $m; do
				umount -l "$p" 2>/dev/null || true
			done
		fi
	done

	if [ -z "$(mounts_under "$ROOT")" ] && [ -z "$(mounts_under "$BATS_TEST_TMPDIR")" ]; then
		rm -rf --one-file-system "$ROOT"
		rmdir "$XRT_TEST_STATE_BASE" 2>/dev/null || true
	else
		echo "teardown: mounts remain, NOT removing $ROOT" >&2
		bad=1
	fi

	for id in $ids; do
		m=$(cgroups_named "$id")
		if [ -n "$m" ]; then
			echo "teardown: leftover cgroups for $id: $m" >&2
			bad=1
			for p in $m; do rmdir "$p" 2>/dev/null || true; done
		fi
	done
	return $bad
}
