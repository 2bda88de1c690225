#!/usr/bin/env bats
# Mounts, the root file system, masked/readonly paths and devices, as the
# container sees them.

load ../helpers

# mount_line MOUNTPOINT: the container's mountinfo line for MOUNTPOINT
# (from $output, which must hold the container's /proc/self/mountinfo).
mount_line() {
	awk -v m="$1" '$5 == m' <<<"$output" | tail -n1
}

# per-mount options (field 6) and super options (after " - fs source ").
mount_opts() { awk '{print $6}' <<<"$1"; }
super_opts() { sed -E 's/.* - [^ ]+ [^ ]+ //' <<<"$1"; }
fs_type() { sed -E 's/.* - ([^ ]+) .*/\1/' <<<"$1"; }
has_opt() { [[ ",$1," == *",$2,"* ]]; }

# fs_path PATH: PATH inside its filesystem, as mountinfo's root field
# shows a bind mount of it: the root of the host mount holding PATH, then
# the rest of PATH below that mount's point.
fs_path() {
	local p target fsroot rel
	p=$(readlink -f "$1")
	read -r target fsroot < <(findmnt -n -o TARGET,FSROOT -T "$p")
	rel=${p#"$target"}
	rel=${rel#/}
	fsroot=${fsroot%/}
	if [ -n "$rel" ]; then
		echo "$fsroot/$rel"
	else
		echo "${fsroot:-/}"
	fi
}

@test "mounts: /proc, /dev (tmpfs), /dev/pts, /dev/shm, /dev/mqueue and /sys (ro) from the default spec" {
	set_cmd 'cat /proc/self/mountinfo'
	run_in_container
	[ "$status" -eq 0 ]
	[ "$(fs_type "$(mount_line /proc)")" = proc ]
	[ "$(fs_type "$(mount_line /dev)")" = tmpfs ]
	[ "$(fs_type "$(mount_line /dev/pts)")" = devpts ]
	[ "$(fs_type "$(mount_line /dev/shm)")" = tmpfs ]
	[ "$(fs_type "$(mount_line /dev/mqueue)")" = mqueue ]
	l=$(mount_line /sys)
	[ "$(fs_type "$l")" = sysfs ]
	has_opt "$(mount_opts "$l")" ro
	has_opt "$(mount_opts "$l")" nosuid
	has_opt "$(mount_opts "$l")" noexec
	has_opt "$(mount_opts "$l")" nodev
	has_opt "$(mount_opts "$(mount_line /dev)")" nosuid
	has_opt "$(super_opts "$(mount_line /dev)")" mode=755
	# The root is the bundle's rootfs: mountinfo's root field is its path
	# inside its filesystem (the host path only when that is the host's /).
	[ "$(awk '$5 == "/" {print $4}' <<<"$output" | tail -n1)" = "$(fs_path "$BUNDLE/rootfs")" ]
	assert_no_leftovers
}

@test "mounts: bind mount with ro,nosuid,nodev,noexec" {
	mkdir -p "$BATS_TEST_TMPDIR/src"
	echo from-host >"$BATS_TEST_TMPDIR/src/file"
	update_config '.mounts += [{"destination": "/mnt/bind", "type": "bind", "source": $s,
		"options": ["bind", "ro", "nosuid", "nodev", "noexec"]}]' --arg s "$BATS_TEST_TMPDIR/src"
	set_cmd 'cat /mnt/bind/file; if touch /mnt/bind/new 2>/dev/null; then echo WRITABLE; fi; cat /proc/self/mountinfo'
	run_in_container
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = from-host ]
	[[ "$output" != *WRITABLE* ]]
	[ ! -e "$BATS_TEST_TMPDIR/src/new" ]
	opts=$(mount_opts "$(mount_line /mnt/bind)")
	for o in ro nosuid nodev noexec; do
		has_opt "$opts" "$o"
	done
	assert_no_leftovers
}

# prop_tags LINE: the optional fields of a mountinfo line (shared:N,
# master:N, ...), empty for a private mount.
prop_tags() { awk '{for (i = 7; $i != "-"; i++) printf "%s ", $i}' <<<"$1"; }

@test "mounts: shared and private bind options are what the container sees, with pivot_root and without" {
	mkdir -p "$BATS_TEST_TMPDIR/src"
	update_config '.mounts += [
		{"destination": "/mnt/shared", "type": "bind", "source": $s, "options": ["bind", "shared"]},
		{"destination": "/mnt/private", "type": "bind", "source": $s, "options": ["bind", "private"]},
		{"destination": "/mnt/default", "type": "bind", "source": $s, "options": ["bind"]}]' --arg s "$BATS_TEST_TMPDIR/src"
	set_cmd 'cat /proc/self/mountinfo'
	for pivot in "" --no-pivot; do
		run xrt run $pivot -b "$BUNDLE" "$CID"
		echo "$pivot: $output"
		[ "$status" -eq 0 ]
		[[ "$(prop_tags "$(mount_line /mnt/shared)")" == *shared:* ]]
		[ -z "$(prop_tags "$(mount_line /mnt/private)")" ]
		# The default: a slave of the host's mount (or private when the
		# host's is private), never shared with the host.
		[[ "$(prop_tags "$(mount_line /mnt/default)")" != *shared:* ]]
	done
	assert_no_leftovers
}

@test "mounts: read-write bind mount and a bind-mounted file" {
	mkdir -p "$BATS_TEST_TMPDIR/src"
	echo one-file >"$BATS_TEST_TMPDIR/single"
	update_config '.mounts += [
		{"destination": "/mnt/rw", "type": "bind", "source": $d, "options": ["rbind", "rw"]},
		{"destination": "/etc/single", "type": "bind", "source": $f, "options": ["bind", "ro"]}]' \
		--arg d "$BATS_TEST_TMPDIR/src" --arg f "$BATS_TEST_TMPDIR/single"
	set_cmd 'echo written > /mnt/rw/out; cat /etc/single; [ -f /etc/single ] && echo is-file'
	run_in_container
	[ "$status" -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/src/out")" = written ]
	[ "${lines[0]}" = one-file ]
	[ "${lines[1]}" = is-file ]
	assert_no_leftovers
}

@test "mounts: tmpfs with size and mode" {
	update_config '.mounts += [{"destination": "/mnt/small", "type": "tmpfs", "source": "tmpfs",
		"options": ["size=1m", "mode=700", "nosuid"]}]'
	set_cmd 'stat -c %a /mnt/small; cat /proc/self/mountinfo'
	run_in_container
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 700 ]
	l=$(mount_line /mnt/small)
	[ "$(fs_type "$l")" = tmpfs ]
	has_opt "$(super_opts "$l")" size=1024k
	has_opt "$(super_opts "$l")" mode=700
	has_opt "$(mount_opts "$l")" nosuid
	# Nothing of it on the host.
	[ -z "$(mounts_under "$BUNDLE")" ]
}

@test "mounts: a destination through a symlink escaping the rootfs stays inside the rootfs" {
	probe=xrtprobe-$CID
	[ ! -e "/$probe" ]
	ln -s / "$BUNDLE/rootfs/evil"
	ln -s ../../../../../../../../.. "$BUNDLE/rootfs/evil2"
	update_config '.mounts += [
		{"destination": ("/evil/" + $p), "type": "tmpfs", "source": "tmpfs"},
		{"destination": ("/evil2/" + $p + "-2"), "type": "tmpfs", "source": "tmpfs"}]' --arg p "$probe"
	set_cmd 'cat /proc/self/mountinfo'
	run_in_container
	echo "host: $(ls -d /xrtprobe* 2>&1)"
	# Whatever the runtime decided, the host root was not touched...
	[ ! -e "/$probe" ]
	[ ! -e "/$probe-2" ]
	[ "$status" -eq 0 ]
	# ...and the mounts landed in the container, under its own root.
	[ -d "$BUNDLE/rootfs/$probe" ]
	[ -d "$BUNDLE/rootfs/$probe-2" ]
	[ "$(fs_type "$(mount_line "/$probe")")" = tmpfs ]
	[ "$(fs_type "$(mount_line "/$probe-2")")" = tmpfs ]
	assert_no_leftovers
}

@test "mounts: root.readonly makes the root read-only (EROFS), /dev and /tmp mounts stay usable" {
	update_config '.root.readonly = true
		| .mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid"]}]'
	set_cmd 'touch /x; echo "touch=$?"; touch /tmp/y && echo tmp-ok; echo > /dev/null && echo dev-ok; cat /proc/self/mountinfo'
	run_in_container
	[ "$status" -eq 0 ]
	[[ "$output" == *"Read-only file system"* ]]
	[[ "$output" == *"touch=1"* ]]
	[[ "$output" == *tmp-ok* ]]
	[[ "$output" == *dev-ok* ]]
	[ ! -e "$BUNDLE/rootfs/x" ]
	has_opt "$(awk '$5 == "/" {print $6}' <<<"$output")" ro
}

@test "mounts: maskedPaths hide files (empty) and directories (empty, read-only)" {
	masked='["/proc/timer_list", "/proc/kcore", "/proc/keys", "/sys/firmware", "/proc/no-such-thing"]'
	update_config '.linux.maskedPaths = $m' --argjson m "$masked"
	set_cmd 'echo "timer_list=$(cat /proc/timer_list | wc -c)"
		[ -e /proc/kcore ] && echo "kcore=$(cat /proc/kcore 2>&1 | wc -c)"
		echo "firmware=$(ls -A /sys/firmware | wc -l)"
		touch /sys/firmware/x 2>/dev/null && echo FIRMWARE-WRITABLE
		true'
	run_in_container
	[ "$status" -eq 0 ]
	[ "$(wc -c </proc/timer_list)" -gt 0 ] # the host has content there
	[[ "$output" == *"timer_list=0"* ]]
	if [ -e /proc/kcore ]; then
		[[ "$output" == *"kcore=0"* ]]
	fi
	[[ "$output" == *"firmware=0"* ]]
	[[ "$output" != *FIRMWARE-WRITABLE* ]]
}

@test "mounts: readonlyPaths: writes fail with EROFS" {
	update_config '.linux.readonlyPaths = ["/proc/sys", "/proc/sysrq-trigger", "/proc/no-such-thing"]'
	set_cmd 'echo changed > /proc/sys/kernel/hostname; echo "rc=$?"
		[ -e /proc/sysrq-trigger ] && { echo h > /proc/sysrq-trigger; echo "sysrq=$?"; }
		hostname'
	run_in_container
	[ "$status" -eq 0 ]
	[[ "$output" == *"Read-only file system"* ]]
	[[ "$output" == *"rc=1"* ]]
	[ "${lines[-1]}" = xrt-test ]
	if [ -e /proc/sysrq-trigger ]; then
		[[ "$output" == *"sysrq=1"* ]]
	fi
}

@test "devices: the default devices exist with the right major:minor and modes" {
	set_cmd 'for d in null zero full random urandom tty; do stat -c "%n %F %t:%T %a" /dev/$d; done
		readlink /dev/ptmx; readlink /dev/fd; readlink /dev/stdin; readlink /dev/stdout; readlink /dev/stderr
		[ -c /dev/pts/ptmx ] && echo pts-ptmx'
	run_in_container
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/null character special file 1:3 666"* ]]
	[[ "$output" == *"/dev/zero character special file 1:5 666"* ]]
	[[ "$output" == *"/dev/full character special file 1:7 666"* ]]
	[[ "$output" == *"/dev/random character special file 1:8 666"* ]]
	[[ "$output" == *"/dev/urandom character special file 1:9 666"* ]]
	[[ "$output" == *"/dev/tty character special file 5:0 666"* ]]
	grep -qx 'pts/ptmx' <<<"$output"
	grep -qx '/proc/self/fd' <<<"$output"
	grep -qx '/proc/self/fd/0' <<<"$output"
	grep -qx '/proc/self/fd/1' <<<"$output"
	grep -qx '/proc/self/fd/2' <<<"$output"
	grep -qx pts-ptmx <<<"$output"
}

@test "devices: the default devices work (read zero, write null, urandom)" {
	set_cmd 'echo x > /dev/null && echo null-ok; head -c 4 /dev/zero | wc -c; head -c 16 /dev/urandom | wc -c'
	run_in_container
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = null-ok ]
	[ "${lines[1]}" = 4 ]
	[ "${lines[2]}" = 16 ]
}

@test "devices: linux.devices creates a custom node (/dev/xnull c 1 3)" {
	update_config '.linux.devices = [{"path": "/dev/xnull", "type": "c", "major": 1, "minor": 3,
		"fileMode": 432, "uid": 0, "gid": 0}]
		| .linux.resources.devices += [{"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]'
	set_cmd 'stat -c "%F %t:%T %a %u:%g" /dev/xnull; echo hi > /dev/xnull && echo write-ok'
	run_in_container
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "character special file 1:3 660 0:0" ]
	[ "${lines[1]}" = write-ok ]
}

@test "devices: a device node outside the default allow list cannot be opened" {
	# The default spec denies every device but the standard ones
	# (linux.resources.devices, enforced by the devices cgroup).  /dev/kmsg
	# (c 1 11) can be written by anyone who may open it: only the device
	# rule stops the container.  (Should it get through, it writes one
	# harmless line to the host's kernel log.)
	update_config '.linux.devices = [{"path": "/dev/xkmsg", "type": "c", "major": 1, "minor": 11, "fileMode": 438}]'
	set_cmd 'echo "xrt-test: device allow-list probe (this line should not appear)" > /dev/xkmsg && echo OPENED; true'
	run_in_container
	[ "$status" -eq 0 ]
	[[ "$output" != *OPENED* ]]
	[[ "$output" == *"Operation not permitted"* ]]
}
