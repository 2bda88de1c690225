#!/usr/bin/env bats
# One regression test per known container-runtime attack, each written so
# that it fails on an implementation with the hole.  Older ones live beside
# the feature they attack:
#   CVE-2019-5736  /proc/self/exe overwrite ...... security.bats ("/proc/1/exe")
#   CVE-2019-19921 /proc symlink in the rootfs ... security.bats ("symlink /proc")
#   CVE-2022-29162 inheritable caps after exec ... exec.bats ("--cap") and below

load ../helpers

# escape_check: a shell snippet that climbs from the cwd as far as it can
# and says whether it is still inside the container (the rootfs has the
# marker file, the host does not).
escape_check='cd ../../../../../../../../..; if [ -e /.xrt-cve-marker ] && [ -e ./.xrt-cve-marker ]; then echo INSIDE; else echo ESCAPED; ls; fi'

@test "CVE-2024-21626: process.cwd /proc/self/fd/N (a leaked fd) never reaches the host at create" {
	touch "$BUNDLE/rootfs/.xrt-cve-marker"
	local n
	for n in 3 4 5 6 7 8 9 10 11 12; do
		update_config '.process.cwd = $c' --arg c "/proc/self/fd/$n"
		set_cmd "$escape_check"
		run xrt run -b "$BUNDLE" "$CID-$n"
		echo "fd $n: $status $output"
		[[ "$output" != *ESCAPED* ]]
		# Refused (nothing left), or ran inside.
		[ "$status" -ne 0 ] || [[ "$output" == *INSIDE* ]]
		assert_no_leftovers "$CID-$n"
	done
}

@test "CVE-2024-21626: exec --cwd /proc/self/fd/N never reaches the host" {
	touch "$BUNDLE/rootfs/.xrt-cve-marker"
	set_cmd 'exec sleep 100000'
	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	local n
	for n in 3 4 5 6 7 8 9 10 11 12; do
		run xrt exec --cwd "/proc/self/fd/$n" "$CID" sh -c "$escape_check"
		echo "fd $n: $status $output"
		[[ "$output" != *ESCAPED* ]]
		[ "$status" -ne 0 ] || [[ "$output" == *INSIDE* ]]
	done
	# Only stdio (and ls's own fd) are open in an exec'd process.
	run xrt exec "$CID" ls /proc/self/fd
	[ "$(echo $output)" = "0 1 2 3" ]
}

@test "CVE-2021-30465: a mount destination swapped to a symlink during create stays inside the rootfs" {
	# A racer (the "other container" of the attack) keeps swapping
	# race/sub between a directory and a symlink to /.  Followed in the
	# host's context the tmpfs would land on /mnt outside the rootfs and
	# vanish at pivot_root; it must be visible inside, at one place or the
	# other, or create must fail.
	update_config '.mounts += [{"destination": "/race/sub/mnt", "type": "tmpfs", "source": "tmpfs", "options": ["size=64k"]}]'
	set_cmd 'awk '"'"'$9 == "tmpfs" && ($5 == "/race/sub/mnt" || $5 == "/mnt") {print "FOUND", $5}'"'"' /proc/self/mountinfo'
	local r=$BUNDLE/rootfs/race
	mkdir -p "$r"
	(
		set +e
		while :; do
			rm -rf "$r/sub.new"
			# Not mkdir -p: it chdirs into what it makes, and a racer
			# caught with its cwd in the rootfs reads as a leftover.
			mkdir "$r/sub.new" && mkdir "$r/sub.new/mnt"
			mv -T "$r/sub.new" "$r/sub" 2>/dev/null
			ln -sfn / "$r/sub.tmp"
			mv -T "$r/sub.tmp" "$r/sub" 2>/dev/null
		done
	) &
	BG_PIDS+=($!)
	local i found=0
	for i in $(seq 15); do
		run xrt run -b "$BUNDLE" "$CID-$i"
		echo "try $i: $status $output"
		if [ "$status" -eq 0 ]; then
			[[ "$output" == *FOUND* ]]
			found=$((found + 1))
		fi
		assert_no_leftovers "$CID-$i"
	done
	kill "${BG_PIDS[-1]}"
	wait "${BG_PIDS[-1]}" 2>/dev/null || true
	echo "ran $found of 15"
}

@test "CVE-2025-31133: /dev/null replaced by a symlink before masking fails closed" {
	# Without the /dev tmpfs, /dev comes from the rootfs: its null points
	# at core_pattern, which masking (bind of /dev/null) would make writable.
	update_config '.mounts |= map(select(.destination != "/dev"))'
	rm -f "$BUNDLE/rootfs/dev/null"
	ln -s /proc/sys/kernel/core_pattern "$BUNDLE/rootfs/dev/null"
	local before
	before=$(cat /proc/sys/kernel/core_pattern)
	set_cmd 'echo "|/bin/evil" > /proc/sys/kernel/core_pattern; echo RAN'
	run xrt run -b "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" != *RAN* ]]
	[[ "$output" == *"/dev/null"* ]]
	[ "$(cat /proc/sys/kernel/core_pattern)" = "$before" ]
	assert_no_leftovers
}

@test "CVE-2025-52565: /dev/console as a symlink is refused, never bound over its target" {
	update_config '.mounts |= map(select(.destination != "/dev")) | .process.terminal = true'
	ln -s /proc/sys/kernel/core_pattern "$BUNDLE/rootfs/dev/console"
	local before
	before=$(cat /proc/sys/kernel/core_pattern)
	set_cmd 'echo RAN'
	CREATED_IDS+=("$CID")
	run timeout 30 script -qec "$XRT --root $ROOT run -b $BUNDLE $CID" /dev/null
	echo "$output"
	[[ "$output" != *RAN* ]]
	[[ "$output" == *"/dev/console"* ]]
	[ "$(cat /proc/sys/kernel/core_pattern)" = "$before" ]
	assert_no_leftovers
}

@test "rootfs /dev as a symlink to a host path: nothing is created on the host" {
	local host=$BATS_TEST_TMPDIR/host-dev
	mkdir -p "$host"
	rm -rf "$BUNDLE/rootfs/dev"
	ln -s "$host" "$BUNDLE/rootfs/dev"
	set_cmd 'ls /dev'
	run xrt run -b "$BUNDLE" "$CID"
	echo "$output"
	[ -z "$(ls -A "$host")" ]
	[ -z "$(mounts_under "$host")" ]
	assert_no_leftovers
}

@test "CVE-2022-29162: exec --cap never adds to the inheritable set" {
	# The exec'd process keeps the config's inheritable set (as runc 1.5
	# does); the capability --cap adds is not made inheritable, so it
	# cannot reach a program across execve.
	update_config '.process.capabilities |= (.bounding += ["CAP_CHOWN"] | .permitted += ["CAP_CHOWN"] | .effective += ["CAP_CHOWN"] | .inheritable = ["CAP_CHOWN"] | .ambient = ["CAP_CHOWN"])'
	set_cmd 'exec sleep 100000'
	xrt_run_d "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	run xrt exec --cap CAP_NET_ADMIN "$CID" grep -E '^Cap(Inh|Amb|Eff)' /proc/self/status
	echo "$output"
	[ "$status" -eq 0 ]
	# CAP_CHOWN (bit 0) only: the config's, never CAP_NET_ADMIN (bit 12).
	[[ "$output" == *"CapInh:"*"0000000000000001"* ]]
	[[ "$output" == *"CapAmb:"*"0000000000000001"* ]]
	local eff
	eff=$(awk '/^CapEff/ {print $2}' <<<"$output")
	(( (16#$eff >> 12) & 1 ))
}
