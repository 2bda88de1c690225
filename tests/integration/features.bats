#!/usr/bin/env bats
# xrt features: the runtime-spec features.md JSON, and a container that
# uses what it lists (every capability, every mount option, every seccomp
# action and operator) really runs.

load ../helpers

@test "features: valid JSON with the spec's fields" {
	run xrt features
	[ "$status" -eq 0 ]
	[ "$(jq -r .ociVersionMax <<<"$output")" = 1.3.0 ]
	[ "$(jq -r '.linux.namespaces | length' <<<"$output")" -eq 8 ]
	[ "$(jq -r '.linux.seccomp.enabled' <<<"$output")" = true ]
	[ "$(jq -r '.linux.mountExtensions.idmap.enabled' <<<"$output")" = "$(jq -r 'any(.mountOptions[]; . == "idmap")' <<<"$output")" ]
}

@test "features: a container using every listed capability, mount option and seccomp action runs" {
	xrt_only "xrt's own features"
	local f
	f=$("$XRT" features)
	# Every capability in every set the kernel allows here (the bounding
	# set of this machine may lack some: keep only what it has).
	local caps
	caps=$(jq -c '.linux.capabilities' <<<"$f")
	local have='[]' c bit bnd
	bnd=$(awk '/^CapBnd:/ {print $2}' /proc/self/status)
	for c in $(jq -r '.[]' <<<"$caps"); do
		bit=$(cap_bit "$c") || continue
		if ((((16#$bnd >> bit) & 1) == 1)); then
			have=$(jq -c --arg c "$c" '. + [$c]' <<<"$have")
		fi
	done
	update_config '.process.capabilities = {"bounding": $c, "effective": $c, "permitted": $c}' --argjson c "$have"
	# One tmpfs per mount option (remount needs an existing mount, bind a source).
	mkdir -p "$BATS_TEST_TMPDIR/src"
	local mounts
	mounts=$(jq -c --arg src "$BATS_TEST_TMPDIR/src" '[.mountOptions | to_entries[] | select(.value != "remount") |
		if (.value == "bind" or .value == "rbind") then
			{"destination": "/opts/\(.key)", "type": "bind", "source": $src, "options": [.value]}
		elif (.value == "idmap" or .value == "ridmap") then
			{"destination": "/opts/\(.key)", "type": "bind", "source": $src, "options": ["rbind", .value],
			 "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}], "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}
		else
			{"destination": "/opts/\(.key)", "type": "tmpfs", "source": "tmpfs", "options": [.value]}
		end]' <<<"$f")
	update_config '.mounts += $m' --argjson m "$mounts"
	# Every action on a syscall sh never makes; every operator on personality.
	local sc
	sc=$(jq -c '
		["acct", "swapoff", "swapon", "kexec_load", "pivot_root", "syslog", "vhangup", "quotactl", "add_key"] as $calls |
		([.linux.seccomp.actions[] | select(. != "SCMP_ACT_ALLOW" and . != "SCMP_ACT_NOTIFY")] | to_entries |
		  map({"names": [$calls[.key]], "action": .value})) as $byAction |
		(.linux.seccomp.operators | to_entries |
		  map({"names": ["personality"], "action": "SCMP_ACT_ERRNO",
		       "args": [{"index": 0, "value": (1000 + .key), "valueTwo": (1000 + .key), "op": .value}]})) as $byOp |
		{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": ($byAction + $byOp)}' <<<"$f")
	update_config '.linux.seccomp = $s' --argjson s "$sc"
	set_cmd 'ls /opts | wc -l; grep ^Seccomp: /proc/self/status'
	run xrt run -b "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" -eq "$(jq '.mountOptions | map(select(. != "remount")) | length' <<<"$f")" ]
	[[ "${lines[1]}" == "Seccomp:"*2 ]]
}

# What features claims about netDevices and checkpointing is what the code
# does: a device moves in (netdev.bats has the rest), and org.criu.config,
# listed as potentially unsafe, is passed to CRIU (checkpoint.bats, the
# --leave-running test, in the v2 guest where CRIU works).
@test "features: netDevices enabled, org.criu.config potentially unsafe, and a device really moves in" {
	run xrt features
	[ "$status" -eq 0 ]
	[ "$(jq -r '.linux.netDevices.enabled' <<<"$output")" = true ]
	[ "$(jq -c '.potentiallyUnsafeConfigAnnotations' <<<"$output")" = '["org.criu.config"]' ]
	xrt_only "xrt's own features"
	command -v ip >/dev/null || skip "ip (iproute2) is needed"
	local dev=xft$$a
	ip link add "$dev" type veth peer name "xft$$b"
	update_config '.linux.netDevices = {($d): {"name": "moved0"}}' --arg d "$dev"
	set_cmd 'cat /sys/class/net/moved0/address'
	run xrt run -b "$BUNDLE" "$CID"
	# The veth pair dies with the container's namespace (link_gone).
	local gone=0
	link_gone "xft$$b" && gone=1
	ip link del "$dev" 2>/dev/null || true
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == ??:??:??:??:??:?? ]]
	[ "$gone" = 1 ]
}
