#!/bin/bash
# v2vm-systemd: run a command in a throw-away, pure cgroup v2 guest whose
# PID 1 is systemd (for the systemd cgroup driver's tests).
#
#   tests/v2vm-systemd/run.sh [v2vm OPTIONS] -- COMMAND [ARG...]
#
# The options, the guest and the exit status are those of ../shared/v2vm
# (its README): the same kernel, initramfs and stage 1. Only stage 2
# differs: init2.sh here prepares the disk and the shares, then execs
# systemd with a target that starts only D-Bus and one unit running
# COMMAND, which writes its status and powers the guest off. Set V2VM to
# another v2vm checkout (default: ../shared/v2vm next to the repository,
# or /work/shared/v2vm).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
v2vm=${V2VM:-}
if [ -z "$v2vm" ]; then
	for d in "$repo/../shared/v2vm" /work/shared/v2vm; do
		if [ -x "$d/run.sh" ]; then
			v2vm=$(cd "$d" && pwd)
			break
		fi
	done
fi
if [ -z "$v2vm" ] || [ ! -x "$v2vm/run.sh" ]; then
	echo "v2vm-systemd: no v2vm harness (set V2VM to the directory of v2vm's run.sh)" >&2
	exit 125
fi
if [ ! -x /lib/systemd/systemd ] || [ ! -x /usr/bin/dbus-daemon ]; then
	echo "v2vm-systemd: the guest needs systemd and dbus-daemon on this host (apt-get install systemd dbus)" >&2
	exit 125
fi
# v2vm's run.sh takes its stage scripts from its own directory: give it one
# with our stage 2.
stage=$(mktemp -d "${TMPDIR:-/tmp}/v2vm-systemd.XXXXXX")
trap 'rm -rf "$stage"' EXIT
cp "$v2vm/run.sh" "$v2vm/init1.sh" "$stage/"
cp "$here/init2.sh" "$stage/init2.sh"
st=0
"$stage/run.sh" "$@" || st=$?
exit $st
