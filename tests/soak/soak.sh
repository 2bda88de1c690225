#!/bin/bash
# soak.sh: leak checks over many container lifecycles (issue: 1,000 cycles
# leak nothing; a create killed at any point is cleaned by delete -f).
#
#   SOAK_CYCLES=N   create/start/wait/delete cycles (default 1000); every
#                   fourth one in image mode, every tenth one with an exec
#   SOAK_KILLS=N    creates killed with SIGKILL after a random delay, each
#                   followed by delete -f (default 200)
#
# Leaks checked after each phase: mounts (mountinfo lines), cgroup
# directories named like our containers, state directories, store
# container directories, processes left in the bundle, and the fds of a
# long-lived foreground `xrt run` (sampled while it waits, must not grow).
# Prints one summary line per phase; exits non-zero on any leak.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
XRT=${XRT:-$repo/xrt}
CYCLES=${SOAK_CYCLES:-1000}
KILLS=${SOAK_KILLS:-200}
[ "$(id -u)" -eq 0 ] || { echo "soak: must run as root" >&2; exit 1; }

work=$(mktemp -d /tmp/xrt-soak.XXXXXX)
ROOT=/run/xrt-soak-$$
STORE=$work/store
PREFIX=soak$$-
mkdir -p "$ROOT"
bundle=$work/bundle

mounts_under() {
	awk -v d="$1" '$5 == d || index($5, d "/") == 1 {print $5}' /proc/self/mountinfo
}

cleanup() {
	local rc=$? id
	trap - EXIT
	for id in $(ls "$ROOT" 2>/dev/null); do
		"$XRT" --root "$ROOT" --store "$STORE" delete -f "$id" >/dev/null 2>&1 || true
	done
	if [ -n "$(mounts_under "$work")$(mounts_under "$ROOT")" ]; then
		echo "soak: mounts remain under $work or $ROOT; not removing them" >&2
		exit 1
	fi
	rm -rf --one-file-system "$work" "$ROOT"
	exit "$rc"
}
trap cleanup EXIT

"$repo/tests/fixtures/mkbundle.sh" "$bundle" >/dev/null
"$XRT" spec -b "$bundle"
jq '.process.terminal = false | .process.args = ["true"] | .root.readonly = false' "$bundle/config.json" >"$bundle/c" && mv "$bundle/c" "$bundle/config.json"
if [ -x "$repo/tests/bin/mkimage" ]; then
	"$repo/tests/bin/mkimage" --fixtures "$work/image" >&2
fi

# snapshot: what could leak, as one comparable text.
snapshot() {
	{
		echo "mounts $(wc -l </proc/self/mountinfo)"
		echo "cgroups $(find /sys/fs/cgroup -mindepth 2 -maxdepth 4 -type d -name "$PREFIX*" 2>/dev/null | wc -l)"
		echo "states $(ls -A "$ROOT" | wc -l)"
		echo "store $(ls -A "$STORE/containers" 2>/dev/null | wc -l) tmp $(ls -A "$STORE/tmp" 2>/dev/null | wc -l)"
		echo "procs $(find -L /proc/[0-9]*/root -maxdepth 0 -samefile "$bundle/rootfs" 2>/dev/null | wc -l)"
	}
}

fail=0
check() {
	local phase=$1 now
	now=$(snapshot)
	if [ "$now" != "$base" ]; then
		echo "soak: LEAK after $phase:" >&2
		diff <(echo "$base") <(echo "$now") >&2 || true
		fail=1
	fi
}

base=$(snapshot)
start=$(date +%s)
fdcounts=()
for i in $(seq "$CYCLES"); do
	id=$PREFIX$i
	if [ -d "$work/image" ] && [ $((i % 4)) -eq 0 ]; then
		"$XRT" --root "$ROOT" --store "$STORE" run --image "$work/image" "$id" -- true >/dev/null
	elif [ $((i % 10)) -eq 1 ]; then
		# A long-lived foreground run: sample its fds while it waits.
		jq '.process.args = ["sleep", "0.3"]' "$bundle/config.json" >"$work/sleep.json"
		mkdir -p "$work/sb" && cp "$work/sleep.json" "$work/sb/config.json"
		ln -sfn "$bundle/rootfs" "$work/sb/rootfs"
		"$XRT" --root "$ROOT" run -b "$work/sb" "$id" &
		rp=$!
		sleep 0.15
		fdcounts+=("$(ls /proc/$rp/fd 2>/dev/null | wc -l)")
		"$XRT" --root "$ROOT" exec "$id" true 2>/dev/null || true
		wait "$rp"
	else
		"$XRT" --root "$ROOT" create -b "$bundle" "$id" </dev/null >/dev/null
		"$XRT" --root "$ROOT" start "$id"
		while [ "$("$XRT" --root "$ROOT" state "$id" | jq -r .status)" = running ]; do sleep 0.005; done
		"$XRT" --root "$ROOT" delete "$id"
	fi
done
check "$CYCLES cycles"
distinct=$(printf '%s\n' "${fdcounts[@]}" | sort -u | wc -l)
if [ "$distinct" -gt 1 ]; then
	echo "soak: the fds of a foreground run changed across cycles: ${fdcounts[*]}" >&2
	fail=1
fi
echo "soak: $CYCLES cycles in $(($(date +%s) - start)) s: $( [ $fail -eq 0 ] && echo no leaks || echo LEAKS) (foreground run fds: ${fdcounts[0]:-n/a})"

start=$(date +%s)
for i in $(seq "$KILLS"); do
	id=${PREFIX}k$i
	if [ -d "$work/image" ] && [ $((i % 2)) -eq 0 ]; then
		"$XRT" --root "$ROOT" --store "$STORE" create --image "$work/image" "$id" -- sleep 100 </dev/null >/dev/null 2>&1 &
	else
		"$XRT" --root "$ROOT" create -b "$bundle" "$id" </dev/null >/dev/null 2>&1 &
	fi
	cp=$!
	# 0 to ~40 ms: from before the state dir to after init is ready.
	sleep "0.0$((RANDOM % 40 + 1))"
	kill -KILL "$cp" 2>/dev/null || true
	wait "$cp" 2>/dev/null || true
	"$XRT" --root "$ROOT" --store "$STORE" delete -f "$id"
done
# An init whose parent was killed mid-handshake exits on its own.
sleep 0.5
check "$KILLS killed creates"
echo "soak: $KILLS creates killed at random points, each then delete -f, in $(($(date +%s) - start)) s: $( [ $fail -eq 0 ] && echo no leaks || echo LEAKS)"
[ $fail -eq 0 ] || ls -la "$STORE/tmp" >&2
exit $fail
