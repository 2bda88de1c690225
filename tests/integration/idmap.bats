#!/usr/bin/env bats
# Idmapped mounts (mount_setattr MOUNT_ATTR_IDMAP): "idmap"/"ridmap" with
# the container's user namespace mappings, or a mount's own uidMappings and
# gidMappings; the files' owners as the container sees them and as they land
# on the host.  The parent prepares the mount (init, inside a user
# namespace, could not): these tests check the container's view.

load ../helpers

setup() {
	xrt_setup
	SRC=$BATS_TEST_TMPDIR/src
	mkdir -p "$SRC"
	echo data >"$SRC/root-file"
	echo app >"$SRC/app-file"
	chown 1000:1000 "$SRC/app-file"
	chmod 0777 "$SRC"
}

# userns_config: a user namespace mapping container 0-65535 to host 100000-.
userns_config() {
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	chown -R 100000:100000 "$BUNDLE/rootfs"
	open_path_to "$BUNDLE"
}

@test "idmap: with the container's user namespace mapping, host owners show as themselves and writes land as host root" {
	userns_config
	update_config '.mounts += [{"destination": "/plain", "type": "bind", "source": $s, "options": ["rbind"]},
		{"destination": "/mapped", "type": "bind", "source": $s, "options": ["rbind", "idmap"]}]' --arg s "$SRC"
	set_cmd 'stat -c "%n %u:%g" /plain/root-file /mapped/root-file /mapped/app-file; touch /mapped/new && echo wrote'
	run xrt run -b "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	# Unmapped, host root is nobody; idmapped, it is root.
	[ "${lines[0]}" = "/plain/root-file 65534:65534" ]
	[ "${lines[1]}" = "/mapped/root-file 0:0" ]
	[ "${lines[2]}" = "/mapped/app-file 1000:1000" ]
	[ "${lines[3]}" = wrote ]
	# The container's root wrote through the idmapped mount: host uid 0.
	[ "$(stat -c %u:%g "$SRC/new")" = 0:0 ]
}

@test "idmap: a mount's own uidMappings/gidMappings, without a user namespace" {
	update_config '.mounts += [{"destination": "/mapped", "type": "bind", "source": $s, "options": ["rbind", "idmap"],
		"uidMappings": [{"containerID": 0, "hostID": 2000, "size": 1}, {"containerID": 1000, "hostID": 3000, "size": 1}],
		"gidMappings": [{"containerID": 0, "hostID": 2000, "size": 1}, {"containerID": 1000, "hostID": 3000, "size": 1}]}]' --arg s "$SRC"
	set_cmd 'stat -c "%n %u:%g" /mapped/root-file /mapped/app-file'
	run xrt run -b "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "/mapped/root-file 2000:2000" ]
	[ "${lines[1]}" = "/mapped/app-file 3000:3000" ]
	# Only the container's mount is mapped: the host's files are unchanged.
	[ "$(stat -c %u "$SRC/root-file")" = 0 ]
}

@test "idmap: ridmap maps submounts of an rbind too" {
	# The submount is a tmpfs, which has idmapped mounts from Linux 6.3.
	kernel_at_least 6 3 || skip "tmpfs has no idmapped mounts before Linux 6.3 (this is $(uname -r))"
	mkdir -p "$SRC/sub"
	mount -t tmpfs -o size=1m tmpfs "$SRC/sub"
	HOST_MOUNTS+=("$SRC/sub")
	echo s >"$SRC/sub/f"
	update_config '.mounts += [{"destination": "/r", "type": "bind", "source": $s, "options": ["rbind", "ridmap"],
		"uidMappings": [{"containerID": 0, "hostID": 2000, "size": 1}], "gidMappings": [{"containerID": 0, "hostID": 2000, "size": 1}]}]' --arg s "$SRC"
	set_cmd 'stat -c "%n %u" /r/root-file /r/sub/f'
	run xrt run -b "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "/r/root-file 2000" ]
	[ "${lines[1]}" = "/r/sub/f 2000" ]
}

@test "idmap: the source may be made by earlier mounts, and shared propagation is kept (user namespace)" {
	userns_config
	mkdir -p "$BUNDLE/rootfs/stage"
	# /stage/inner exists only once the first mount is made: the idmapped
	# mount is made when init reaches it, in the container's mount namespace.
	mkdir -p "$SRC/inner"
	echo inner >"$SRC/inner/file"
	update_config '.mounts += [{"destination": "/stage", "type": "bind", "source": $s, "options": ["rbind"]},
		{"destination": "/mapped", "type": "bind", "source": $r, "options": ["rbind", "idmap", "shared"]}]' \
		--arg s "$SRC" --arg r "$BUNDLE/rootfs/stage/inner"
	set_cmd 'cat /mapped/file; stat -c %u /mapped/file; grep " /mapped " /proc/self/mountinfo'
	run xrt run -b "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = inner ]
	[ "${lines[1]}" = 0 ]
	[[ "${lines[2]}" == *idmapped* ]]
	[[ "${lines[2]}" == *" shared:"* ]]
	[ ! -e "$BUNDLE/rootfs/stage/inner" ]
}

@test "idmap: bad idmapped mounts fail create clearly and leave nothing" {
	local bad
	for bad in \
		'{"destination": "/m", "type": "tmpfs", "source": "tmpfs", "options": ["idmap"]}' \
		'{"destination": "/m", "type": "bind", "source": "'"$SRC"'", "options": ["rbind", "idmap"]}' \
		'{"destination": "/m", "type": "bind", "source": "'"$SRC"'", "options": ["rbind"], "uidMappings": [{"containerID": 0, "hostID": 1, "size": 1}]}'; do
		setup_bundle "$BUNDLE.$RANDOM"
		BUNDLE=${BUNDLES[-1]} update_config '.mounts += [$m]' --argjson m "$bad"
		BUNDLE=${BUNDLES[-1]} xrt_create "$CID"
		echo "$bad: $output"
		[ "$status" -ne 0 ]
		[[ "$output" == *idmap* || "$output" == *Mappings* ]]
		assert_no_leftovers
	done
}
