# Shared by the engine tests (cri.bats, docker.bats, podman.bats): a
# private network namespace for a daemon, the argv-logging wrapper every
# engine calls as its runtime, and the check that the flags an engine sent
# are the ones recorded in tests/engines/argv/ENGINE.txt.

ENGINES_DIR="$(cd "$BATS_TEST_DIRNAME/../engines" && pwd)"

# engine_netns FILE: a new network namespace, bind-mounted on FILE, with lo
# up. The daemon runs in it, so nothing it (or CNI) does reaches the host.
engine_netns() {
	: >"$1"
	unshare --net="$1" ip link set lo up
}

# engine_wrapper FILE LOG: a runtime wrapper at FILE that appends its argv
# (one call a line, arguments separated by a tab) to LOG, then execs xrt.
# When the file "fault" beside LOG names a fault, a create call is given
# the bad input an engine might send (the log keeps what the engine sent):
#   rootfs   the bundle's rootfs is gone (config.json's root.path names a
#            directory that does not exist)
#   pidfile  --pid-file in a directory that does not exist
#   console  --console-socket a socket that refuses (refuse.sock beside LOG)
engine_wrapper() {
	local dir
	dir=$(dirname "$2")
	cat >"$1" <<-EOW
		#!/bin/bash
		( IFS='	'; printf '%s\n' "\$*" ) >>"$2"
		fault=\$(cat "$dir/fault" 2>/dev/null)
		args=("\$@")
		if [ -n "\$fault" ] && [[ " \$* " == *" create "* ]]; then
			for ((i = 0; i < \${#args[@]} - 1; i++)); do
				case "\$fault:\${args[i]}" in
				pidfile:--pid-file) args[i + 1]=$dir/no-such-dir/init.pid ;;
				console:--console-socket) args[i + 1]=$dir/refuse.sock ;;
				rootfs:--bundle | rootfs:-b)
					jq '.root.path = "rootfs.vanished"' "\${args[i + 1]}/config.json" >"\${args[i + 1]}/config.json.new" &&
						mv "\${args[i + 1]}/config.json.new" "\${args[i + 1]}/config.json" ;;
				esac
			done
		fi
		exec "$XRT" "\${args[@]}"
	EOW
	chmod 0755 "$1"
}

# engine_refusing_socket PATH: a unix socket at PATH that refuses every
# connection (its listener, recvtty, is killed and cannot unlink it).
engine_refusing_socket() {
	"$TESTBIN/recvtty" --timeout 30s "$1" >/dev/null 2>&1 &
	local pid=$! i
	for ((i = 0; i < 100; i++)); do
		[ -S "$1" ] && break
		sleep 0.05
	done
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null || true
	[ -S "$1" ]
}

# engine_flags LOG: the flags of the calls in LOG, one "COMMAND --flag"
# a line ("global --flag" before the command), sorted, without values.
engine_flags() {
	"$ENGINES_DIR/argv-flags.sh" <"$1"
}

# engine_check_argv ENGINE LOG: every flag the engine sent (LOG) is listed
# in tests/engines/argv/ENGINE.txt, the capture argv.bats checks against
# xrt's command line. With XRT_ARGV_UPDATE=1 the capture is rewritten.
engine_check_argv() {
	local want=$ENGINES_DIR/argv/$1.txt got
	got=$(engine_flags "$2")
	[ -n "$got" ] || { echo "no runtime call was logged in $2" >&2; return 1; }
	if [ "${XRT_ARGV_UPDATE:-}" = 1 ]; then
		{
			printf '%s\n' "$got"
			cat "$want" 2>/dev/null || true
		} | grep . | sort -u >"$want.new"
		mv "$want.new" "$want"
	fi
	local missing
	missing=$(comm -23 <(printf '%s\n' "$got") <(sort -u "$want"))
	if [ -n "$missing" ]; then
		echo "$1 sent flags not in $want (check them with xrt, then XRT_ARGV_UPDATE=1):" >&2
		echo "$missing" >&2
		return 1
	fi
}

# pids_with_arg STRING: processes whose command line contains STRING (the
# pattern reaches grep through a file, so grep does not find itself).
pids_with_arg() {
	grep -lF -f <(printf '%s\n' "$1") /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3 | grep -vx "$$" || true
}

# kill_pids_with_arg STRING: SIGKILL each process whose command line
# contains STRING (a private socket or directory: only this test's).
kill_pids_with_arg() {
	local p
	for p in $(pids_with_arg "$1"); do
		kill -KILL "$p" 2>/dev/null || true
	done
}

# umount_under DIR: detach every mount at or below DIR, deepest first;
# fails if any remains.
umount_under() {
	local m
	for m in $(mounts_under "$1" | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
	[ -z "$(mounts_under "$1")" ]
}

# rm_cgroups NAME: remove the (empty) cgroup trees NAME in each hierarchy,
# deepest first.
rm_cgroups() {
	local d
	for d in /sys/fs/cgroup/*/"$1" /sys/fs/cgroup/unified/"$1"; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	return 0
}

# cgroups_left NAME: the cgroup directories still under NAME.
cgroups_left() {
	find /sys/fs/cgroup/*/"$1" /sys/fs/cgroup/unified/"$1" -mindepth 1 -type d 2>/dev/null || true
}
