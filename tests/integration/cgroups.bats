#!/usr/bin/env bats
# Cgroups: where the container's cgroup is (default /xrt/<id>, absolute and
# relative linux.cgroupsPath), the limits of linux.resources as the host and
# the container see them, their enforcement (pids, memory/OOM, devices), bad
# resources refused at create, and the commands that work on the cgroup:
# pause/resume, ps, events, update, kill --all.
#
# The file runs on cgroup v1 (and hybrid) and on pure cgroup v2 hosts
# (`make test-v2` boots one). Tests that read one version's files say so
# with requires_v1 / requires_v2; the others go through cg_dir, which
# knows both layouts. The "cgroups v2:" tests cover the v2 controllers.
#
# Paths are read from /proc/<init>/cgroup so that the tests also run against
# runc (whose default is /<id>, relative to the caller's cgroup); the exact
# /xrt/<id> default is checked for xrt only.

load ../helpers

# Names of the parent cgroup directories made by the cgroupsPath tests
# (unique to the test): teardown removes the directories of that name
# wherever they are, if empty; the runtimes leave parents behind (runc too,
# in the name=systemd hierarchy as well).
EXTRA_CGROUP_NAMES=()

# Freezer cgroups of paused containers: thawed by teardown before it
# deletes (a SIGKILL does not end a frozen process).
THAW_DIRS=()

setup() {
	xrt_setup
}

teardown() {
	local rc=0 i
	for i in "${THAW_DIRS[@]}"; do
		if [ "$(cat "$i/freezer.state" 2>/dev/null)" = FROZEN ]; then
			echo "teardown: thawing $i" >&2
			echo THAWED >"$i/freezer.state" || true
		fi
		if [ "$(cat "$i/cgroup.freeze" 2>/dev/null)" = 1 ]; then
			echo "teardown: thawing $i" >&2
			echo 0 >"$i/cgroup.freeze" || true
		fi
	done
	xrt_teardown || rc=$?
	for i in "${EXTRA_CGROUP_NAMES[@]}"; do
		find /sys/fs/cgroup -mindepth 2 -maxdepth 6 -type d -name "$i" 2>/dev/null |
			awk '{print length, $0}' | sort -rn | cut -d' ' -f2- |
			while read -r d; do rmdir "$d" 2>/dev/null || true; done
	done
	return $rc
}

# is_v2: the host is pure cgroup v2 (one hierarchy at /sys/fs/cgroup).
is_v2() {
	[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]
}

# requires_v1 WHY / requires_v2 WHY: skip unless the host's cgroups are
# of that version (WHY: what the test reads).
requires_v1() {
	if is_v2; then skip "cgroup v1 only: $*"; fi
}
requires_v2() {
	is_v2 || skip "cgroup v2 only: $*"
}

# v1_controllers: the v1 controllers the host has mounted (one a line;
# none on a pure v2 host).
v1_controllers() {
	awk -F: '$1 != 0 && $2 != "" && $2 !~ /^name=/ {print $2}' /proc/self/cgroup | tr , '\n' | sort
}

# hierarchies: the v1 controllers, then "unified" for the cgroup2 tree
# (on a pure v2 host, only that).
hierarchies() {
	v1_controllers
	echo unified
}

# cg_root CTL: the host's mount point of the hierarchy of controller CTL
# ("unified": the cgroup2 tree; on a pure v2 host every CTL is in it).
cg_root() {
	if is_v2; then
		echo /sys/fs/cgroup
	else
		echo "/sys/fs/cgroup/$1"
	fi
}

# cg_path PID CTL: PID's cgroup path in the hierarchy of controller CTL
# ("unified" for the cgroup2 hierarchy; on a pure v2 host, any CTL).
cg_path() {
	if [ "$2" = unified ] || is_v2; then
		awk -F: '$1 == 0 {print $3}' "/proc/$1/cgroup"
	else
		awk -F: -v c="$2" '{n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3}' "/proc/$1/cgroup"
	fi
}

# cg_dir PID CTL: the host directory of PID's cgroup for controller CTL.
cg_dir() {
	local p
	p=$(cg_path "$1" "$2")
	[ -n "$p" ] || return 1
	echo "$(cg_root "$2")$p"
}

# last_cpu: the highest online CPU number.
last_cpu() {
	sed 's/.*[-,]//' /sys/devices/system/cpu/online
}

# blkio_weight_file DIR: blkio.weight or, with BFQ, blkio.bfq.weight.
blkio_weight_file() {
	local f
	for f in blkio.weight blkio.bfq.weight; do
		if [ -e "$1/$f" ]; then
			echo "$f"
			return 0
		fi
	done
	return 1
}

# with_cgroupns: make sure the config asks for a cgroup namespace (xrt's
# default spec does, runc's does not).
with_cgroupns() {
	update_config '.linux.namespaces |= (map(select(.type != "cgroup")) + [{"type": "cgroup"}])'
}

# A container that runs until the test creates /go in its rootfs.
wait_for_go() {
	set_cmd ': >/ready; while [ ! -e /go ]; do sleep 0.05; done'
}

# wait_sleepers PID N: until PID has N children that exec'd sleep.
wait_sleepers() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(pgrep -P "$1" -x sleep | wc -l)" -eq "$2" ] && return 0
		sleep 0.05
	done
	echo "process $1: not $2 sleep children" >&2
	return 1
}

# create_must_fail XRT_ERE [RUNC_TEXT]: create $CID must fail (exit 1) with
# a message matching XRT_ERE (or containing RUNC_TEXT with runc) and leave
# no state, no process, no cgroup.
create_must_fail() {
	xrt_create "$CID"
	echo "status=$status"
	echo "$output"
	[ "$status" -eq 1 ]
	if is_runc; then
		[[ "$output" == *"${2:-$1}"* ]]
	else
		grep -Eiq -e "$1" <<<"$output"
	fi
	run xrt state "$CID"
	[ "$status" -eq 1 ]
	[ -z "$(xrt list -q)" ]
	assert_no_leftovers
}

@test "cgroups: the container has a cgroup in every hierarchy (/xrt/<id> by default) and delete removes it" {
	wait_for_go
	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	pid=$(state_field "$CID" pid)
	dirs=()
	for ctl in $(hierarchies); do
		p=$(cg_path "$pid" "$ctl")
		echo "$ctl: $p"
		[[ "$p" == */"$CID" ]]
		if ! is_runc; then
			[ "$p" = "/xrt/$CID" ]
		fi
		d=$(cg_root "$ctl")$p
		[ -d "$d" ]
		grep -qx "$pid" "$d/cgroup.procs"
		dirs+=("$d")
	done
	if is_v2; then
		# One hierarchy: /proc/PID/cgroup is the single "0::" line.
		[ "${#dirs[@]}" -eq 1 ]
		[ "$(cat "/proc/$pid/cgroup")" = "0::$(cg_path "$pid" unified)" ]
	else
		[ "${#dirs[@]}" -ge 5 ]
	fi

	touch "$BUNDLE/rootfs/go"
	wait_for_state "$CID" stopped
	# Stopped but not deleted: the cgroup is still there (empty).
	[ -d "${dirs[0]}" ]
	run xrt delete "$CID"
	[ "$status" -eq 0 ]
	for d in "${dirs[@]}"; do
		[ ! -e "$d" ]
	done
	assert_no_leftovers
}

@test "cgroups: a created container is already in its cgroup with its limits" {
	wait_for_go
	update_config '.linux.resources.pids = {"limit": 37}'
	xrt_create "$CID"
	[ "$status" -eq 0 ]
	pid=$(state_field "$CID" pid)
	d=$(cg_dir "$pid" pids)
	[ "$(cat "$d/pids.max")" = 37 ]
	grep -qx "$pid" "$d/cgroup.procs"
	# Nothing of the program ran yet.
	[ ! -e "$BUNDLE/rootfs/ready" ]
}

@test "cgroups: absolute linux.cgroupsPath is used below every hierarchy's root" {
	base=xrt-bats-abs-$$
	EXTRA_CGROUP_NAMES+=("$base")
	update_config '.linux.cgroupsPath = $p' --arg p "/$base/$CID"
	wait_for_go
	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	pid=$(state_field "$CID" pid)
	for ctl in $(hierarchies); do
		[ "$(cg_path "$pid" "$ctl")" = "/$base/$CID" ]
		grep -qx "$pid" "$(cg_root "$ctl")/$base/$CID/cgroup.procs"
	done
	run xrt delete --force "$CID"
	[ "$status" -eq 0 ]
	for ctl in $(hierarchies); do
		[ ! -e "$(cg_root "$ctl")/$base/$CID" ]
	done
	assert_no_leftovers
}

@test "cgroups: relative linux.cgroupsPath goes below /xrt" {
	sub=xrt-bats-rel-$$
	EXTRA_CGROUP_NAMES+=("$sub")
	update_config '.linux.cgroupsPath = $p' --arg p "$sub/$CID"
	wait_for_go
	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	pid=$(state_field "$CID" pid)
	dirs=()
	for ctl in $(hierarchies); do
		p=$(cg_path "$pid" "$ctl")
		echo "$ctl: $p"
		[[ "$p" == */"$sub/$CID" ]]
		dirs+=("$(cg_root "$ctl")$p")
		if ! is_runc; then
			[ "$p" = "/xrt/$sub/$CID" ]
		fi
	done
	run xrt delete --force "$CID"
	[ "$status" -eq 0 ]
	for d in "${dirs[@]}"; do
		[ ! -e "$d" ]
	done
	assert_no_leftovers
}

@test "cgroups: limits of linux.resources, as the host and the container see them" {
	requires_v1 "v1 file names; cgroups v2 tests cover v2's"
	with_cgroupns
	update_config '.linux.resources += {
		"memory": {"limit": 50331648},
		"pids": {"limit": 42},
		"cpu": {"shares": 512, "quota": 30000, "period": 200000, "cpus": $cpu},
		"blockIO": {"weight": 300}}' --arg cpu "$(last_cpu)"
	set_cmd 'cd /sys/fs/cgroup
		cat memory/memory.limit_in_bytes pids/pids.max cpu/cpu.shares cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us cpuset/cpuset.cpus
		grep Cpus_allowed_list /proc/self/status
		: >/ready; while [ ! -e /go ]; do sleep 0.05; done'
	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	wait_for_file "$BUNDLE/rootfs/ready"
	pid=$(state_field "$CID" pid)

	# The host's view.
	[ "$(cat "$(cg_dir "$pid" memory)/memory.limit_in_bytes")" = 50331648 ]
	[ "$(cat "$(cg_dir "$pid" pids)/pids.max")" = 42 ]
	cpu=$(cg_dir "$pid" cpu)
	[ "$(cat "$cpu/cpu.shares")" = 512 ]
	[ "$(cat "$cpu/cpu.cfs_quota_us")" = 30000 ]
	[ "$(cat "$cpu/cpu.cfs_period_us")" = 200000 ]
	[ "$(cat "$(cg_dir "$pid" cpuset)/cpuset.cpus")" = "$(last_cpu)" ]
	blkio=$(cg_dir "$pid" blkio)
	if f=$(blkio_weight_file "$blkio"); then
		# blkio.bfq.weight reads "default 300".
		[[ "$(cat "$blkio/$f")" =~ (^|\ )300$ ]]
	fi

	# The container's view: its own cgroup, the same values.
	mapfile -t out <"$DETACHED_LOG"
	printf '%s\n' "${out[@]}"
	[ "${out[0]}" = 50331648 ]
	[ "${out[1]}" = 42 ]
	[ "${out[2]}" = 512 ]
	[ "${out[3]}" = 30000 ]
	[ "${out[4]}" = 200000 ]
	[ "${out[5]}" = "$(last_cpu)" ]
	[[ "${out[6]}" =~ Cpus_allowed_list:[[:space:]]+$(last_cpu)$ ]]
}

@test "cgroups: inside a cgroup namespace /proc/self/cgroup shows / and /sys/fs/cgroup is the container's cgroup" {
	with_cgroupns
	update_config '.linux.resources.pids = {"limit": 23}'
	d=pids/
	if is_v2; then d=; fi
	set_cmd "cat /proc/self/cgroup; echo pids.max=\$(cat /sys/fs/cgroup/${d}pids.max); echo procs=\$(cat /sys/fs/cgroup/${d}cgroup.procs | tr '\n' ' ')"
	CREATED_IDS+=("$CID")
	run xrt run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	n=0
	for l in "${lines[@]}"; do
		case $l in
		pids.max=*) [ "$l" = pids.max=23 ] ;;
		# sh (pid 1), cat and tr of the pipeline: only the container's.
		procs=*) [[ "$l" =~ ^procs=1\ [0-9\ ]*$ ]] ;;
		*:*:*)
			n=$((n + 1))
			[[ "$l" == *:/ ]]
			;;
		esac
	done
	if is_v2; then
		[ "$n" -eq 1 ]
	else
		[ "$n" -ge 5 ]
	fi
	[[ "$output" == *pids.max=23* ]]
}

@test "cgroups: pids.limit stops forks beyond the limit" {
	update_config '.linux.resources.pids = {"limit": 5}'
	# busybox sh gives up ("can't fork") at the first failed fork; /n is
	# the number of sleeps started: 4 with sh itself in a limit of 5.
	set_cmd 'for i in 1 2 3 4 5 6 7 8 9 10; do sleep 30 & echo $i > /n; done; echo all-forked'
	CREATED_IDS+=("$CID")
	run xrt run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"can't fork"* ]]
	[[ "$output" != *all-forked* ]]
	[ "$(cat "$BUNDLE/rootfs/n")" = 4 ]

	# The same program without the limit forks all ten.
	update_config 'del(.linux.resources.pids)'
	run xrt run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[[ "$output" == *all-forked* ]]
	[ "$(cat "$BUNDLE/rootfs/n")" = 10 ]
	assert_no_leftovers
}

@test "cgroups: memory limit: a process that grows past it is OOM-killed and events reports oom" {
	requires_v1 "memory.limit_in_bytes, memory.oom_control; cgroups v2 has its own"
	update_config '.linux.resources.memory = {"limit": 16777216}'
	# With swap on the host, memory+swap is limited too (else the process
	# would go on in swap).
	if [ -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ] && [ "$(awk 'NR > 1' /proc/swaps | wc -l)" -gt 0 ]; then
		update_config '.linux.resources.memory.swap = 16777216'
	fi
	set_cmd 'while [ ! -e /go ]; do sleep 0.05; done; tail /dev/zero; echo $? > /tailrc; while :; do sleep 0.1; done'
	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	pid=$(state_field "$CID" pid)
	mem=$(cg_dir "$pid" memory)
	[ "$(cat "$mem/memory.limit_in_bytes")" = 16777216 ]

	timeout -k 5 60 "$XRT" --root "$ROOT" events --interval 1s "$CID" >"$BATS_TEST_TMPDIR/events" 2>&1 &
	ev=$!
	BG_PIDS+=("$ev")
	sleep 0.5
	touch "$BUNDLE/rootfs/go"
	wait_for_file "$BUNDLE/rootfs/tailrc" 20
	# tail was killed by SIGKILL (128+9); the init survived it.
	[ "$(cat "$BUNDLE/rootfs/tailrc")" = 137 ]
	[ "$(state_field "$CID" status)" = running ]
	grep -Eq '^oom_kill [1-9]' "$mem/memory.oom_control"
	[ "$(cat "$mem/memory.max_usage_in_bytes")" -le 16777216 ]

	# Until the oom event and a stats line after it came (1s interval).
	for ((i = 0; i < 100; i++)); do
		sed -n '/"type":"oom"/,$p' "$BATS_TEST_TMPDIR/events" | grep -q '"type":"stats"' && break
		sleep 0.1
	done
	kill "$ev" 2>/dev/null || true
	wait "$ev" 2>/dev/null || true
	grep '"type":"oom"' "$BATS_TEST_TMPDIR/events" | head -n1 >"$BATS_TEST_TMPDIR/oom"
	cat "$BATS_TEST_TMPDIR/oom"
	[ "$(jq -r .type "$BATS_TEST_TMPDIR/oom")" = oom ]
	[ "$(jq -r .id "$BATS_TEST_TMPDIR/oom")" = "$CID" ]
	# The other lines are stats of this container, with the OOM kill in
	# the memory failure count.
	grep -v '"type":"oom"' "$BATS_TEST_TMPDIR/events" | tail -n1 >"$BATS_TEST_TMPDIR/stats"
	[ "$(jq -r '.type + " " + .id' "$BATS_TEST_TMPDIR/stats")" = "stats $CID" ]
	[ "$(jq -r .data.memory.usage.failcnt "$BATS_TEST_TMPDIR/stats")" -gt 0 ]
}

# The device the devices tests use: /dev/loop-control's numbers (c 10:237)
# under another name, not one of the devices a container gets by default;
# opening it needs no capability.
requires_test_device() {
	if [ "$(stat -c %t:%T /dev/loop-control 2>/dev/null)" != a:ed ]; then
		skip "no /dev/loop-control (c 10:237) on this host"
	fi
}

@test "cgroups: devices: a device node without an allow rule cannot be opened; access is per r/w" {
	requires_test_device
	update_config '.linux.devices = [{"path": "/dev/testdev", "type": "c", "major": 10, "minor": 237, "fileMode": 438}]'
	set_cmd 'ls -l /dev/testdev >/dev/null && echo exists
		(: </dev/testdev) 2>&1 && echo read-ok
		(: >/dev/testdev) 2>&1 && echo write-ok
		true'
	CREATED_IDS+=("$CID")
	run xrt run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *exists* ]]
	[[ "$output" == *"Operation not permitted"* ]]
	[[ "$output" != *read-ok* ]]
	[[ "$output" != *write-ok* ]]

	# Allowed for reading only.
	update_config '.linux.resources.devices += [{"allow": true, "type": "c", "major": 10, "minor": 237, "access": "r"}]'
	run xrt run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *read-ok* ]]
	[[ "$output" != *write-ok* ]]
	[[ "$output" == *"Operation not permitted"* ]]

	# Allowed for reading and writing.
	update_config '.linux.resources.devices[-1].access = "rw"'
	run xrt run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *read-ok* ]]
	[[ "$output" == *write-ok* ]]
	assert_no_leftovers
}

@test "cgroups: devices.list of the container's cgroup holds the rules" {
	requires_v1 "devices.list (v2 has an eBPF program, checked by the access test)"
	update_config '.linux.resources.devices += [{"allow": true, "type": "c", "major": 10, "minor": 237, "access": "r"}]'
	wait_for_go
	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	pid=$(state_field "$CID" pid)
	list=$(cat "$(cg_dir "$pid" devices)/devices.list")
	echo "$list"
	grep -qx 'c 10:237 r' <<<"$list"
	# Default deny: no "a *:* rwm".
	refute grep -q '^a ' <<<"$list"
	grep -qx 'c 1:3 rwm' <<<"$list" # /dev/null
}

# --- bad resources: refused at create, nothing left -------------------------

@test "cgroups: cpu shares 1 is refused at create" {
	update_config '.linux.resources.cpu = {"shares": 1}'
	create_must_fail 'cpu shares 1 out of range' 'cpu-shares is 2'
}

@test "cgroups: blkio weight 5 is refused at create" {
	xrt_only "runc writes the weight to blkio.bfq.weight, which takes 1..1000"
	update_config '.linux.resources.blockIO = {"weight": 5}'
	create_must_fail 'blkio weight 5 out of range'
}

@test "cgroups: cpuset cpus not online on this host are refused at create" {
	last=$(last_cpu)
	bad="$((last + 7))-$((last + 8))"
	update_config '.linux.resources.cpu = {"cpus": $c}' --arg c "$bad"
	create_must_fail "$bad.*not in this host's online CPUs" 'numerical result out of range'
}

@test "cgroups: a device rule of type x is refused at create" {
	update_config '.linux.resources.devices += [{"allow": true, "type": "x", "major": 1, "minor": 3, "access": "rwm"}]'
	create_must_fail 'must be a, b or c' 'invalid cgroup device type'
}

@test "cgroups: a limit the kernel refuses (rt runtime above the parent's) fails create in its words, and leaves nothing" {
	requires_v1 "cpu.rt_runtime_us (v2 has no RT group scheduling files)"
	[ -f /sys/fs/cgroup/cpu/cpu.rt_runtime_us ] || skip "this kernel has no RT group scheduling"
	# The v1 hierarchies are made, and limited, while init starts: the
	# write fails then, and create must wait for it before cleaning up.
	update_config '.linux.resources.cpu = {"realtimeRuntime": 900000, "realtimePeriod": 1000000}'
	create_must_fail 'cpu.rt_runtime_us.*invalid argument' 'invalid argument'
}

@test "cgroups: cgroupsPath with .. is refused at create" {
	xrt_only "runc cleans the path and accepts it"
	for p in "../$CID" "/xrt-bats-$$/../$CID" "a/../../$CID"; do
		update_config '.linux.cgroupsPath = $p' --arg p "$p"
		create_must_fail 'must not contain .*\.\.'
		[ ! -e "/sys/fs/cgroup/pids/xrt-bats-$$" ]
	done
}

@test "cgroups: a cgroupsPath another container's processes are in is refused, and that container is untouched" {
	xrt_only "runc 1.1 joins the cgroup"
	base=xrt-bats-shared-$$
	EXTRA_CGROUP_NAMES+=("$base")
	update_config '.linux.cgroupsPath = $p | .process.args = ["sleep", "1000"]' --arg p "/$base/$CID"
	xrt_create "$CID"
	[ "$status" -eq 0 ]
	pid=$(state_field "$CID" pid)
	xrt_create "$CID-2"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"cgroup /$base/$CID is in use by 1 process(es) of another container: give this one its own linux.cgroupsPath"* ]]
	[ ! -e "$ROOT/$CID-2" ]
	# The first is still there, in its cgroup, and starts.
	kill -0 "$pid"
	grep -q "/$base/$CID" "/proc/$pid/cgroup"
	run xrt start "$CID"
	[ "$status" -eq 0 ]
	[ "$(state_field "$CID" status)" = running ]
	run xrt delete -f "$CID"
	[ "$status" -eq 0 ]
	assert_no_leftovers
}

@test "cgroups: linux.resources.unified on a cgroup v1 host is refused at create" {
	if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
		skip "this host is cgroup v2"
	fi
	update_config '.linux.resources.unified = {"memory.high": "10000000"}'
	create_must_fail 'unified' 'cannot use unified on cgroup v1'
}

# --- pause / resume -----------------------------------------------------------

@test "pause/resume: a paused container makes no progress, resume lets it go on" {
	set_cmd 'i=0; while :; do i=$((i + 1)); echo $i > /cnt.new; mv /cnt.new /cnt; sleep 0.02; done'
	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	wait_for_file "$BUNDLE/rootfs/cnt"
	pid=$(state_field "$CID" pid)
	freezer=$(cg_dir "$pid" freezer)
	THAW_DIRS+=("$freezer")

	run xrt pause "$CID"
	[ "$status" -eq 0 ]
	[ "$(state_field "$CID" status)" = paused ]
	if is_v2; then
		# cgroup.freeze asked, cgroup.events says it is done.
		[ "$(cat "$freezer/cgroup.freeze")" = 1 ]
		grep -qx 'frozen 1' "$freezer/cgroup.events"
	else
		[ "$(cat "$freezer/freezer.state")" = FROZEN ]
	fi
	c1=$(cat "$BUNDLE/rootfs/cnt")
	sleep 0.5
	c2=$(cat "$BUNDLE/rootfs/cnt")
	[ "$c1" = "$c2" ]
	# A paused container cannot be paused again, and list shows it paused.
	run xrt pause "$CID"
	[ "$status" -ne 0 ]
	[ "$(xrt list | awk -v id="$CID" '$1 == id {print $3}')" = paused ]

	run xrt resume "$CID"
	[ "$status" -eq 0 ]
	[ "$(state_field "$CID" status)" = running ]
	if is_v2; then
		[ "$(cat "$freezer/cgroup.freeze")" = 0 ]
		grep -qx 'frozen 0' "$freezer/cgroup.events"
	else
		[ "$(cat "$freezer/freezer.state")" = THAWED ]
	fi
	for ((i = 0; i < 100; i++)); do
		[ "$(cat "$BUNDLE/rootfs/cnt")" -gt "$c2" ] && break
		sleep 0.05
	done
	[ "$(cat "$BUNDLE/rootfs/cnt")" -gt "$c2" ]

	# Resuming a running container fails.
	run xrt resume "$CID"
	[ "$status" -ne 0 ]
}

@test "pause/resume: a paused container can be deleted with --force" {
	wait_for_go
	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	pid=$(state_field "$CID" pid)
	THAW_DIRS+=("$(cg_dir "$pid" freezer)")
	run xrt pause "$CID"
	[ "$status" -eq 0 ]
	run xrt delete --force "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	wait_pid_gone "$pid"
	assert_no_leftovers
}

# --- ps -------------------------------------------------------------------------

@test "ps: table and json list exactly the container's processes" {
	set_cmd 'sleep 1000 & sleep 1001 & : >/ready; wait'
	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	wait_for_file "$BUNDLE/rootfs/ready"
	pid=$(state_field "$CID" pid)
	wait_sleepers "$pid" 2
	want=$(sort -n "$(cg_dir "$pid" pids)/cgroup.procs" | tr '\n' ' ')
	echo "cgroup.procs: $want"
	[ "$(wc -w <<<"$want")" -eq 3 ]

	run xrt ps -f json "$CID"
	[ "$status" -eq 0 ]
	echo "$output"
	[ "$(jq -r 'sort | map(tostring) | join(" ")' <<<"$output") " = "$want" ]

	run xrt ps "$CID"
	[ "$status" -eq 0 ]
	echo "$output"
	read -ra hdr <<<"${lines[0]}"
	[ "${hdr[0]}" = UID ]
	[ "${hdr[1]}" = PID ]
	[ "${#lines[@]}" -eq 4 ]
	got=$(for l in "${lines[@]:1}"; do read -ra f <<<"$l"; echo "${f[1]}"; done | sort -n | tr '\n' ' ')
	[ "$got" = "$want" ]
	grep -q 'sleep 1000$' <<<"$output"
	grep -q 'sleep 1001$' <<<"$output"
}

# --- events ---------------------------------------------------------------------

@test "events --stats: one JSON line with cpu, memory and pids of the container" {
	update_config '.linux.resources += {"memory": {"limit": 67108864}, "pids": {"limit": 99}}'
	set_cmd 'sleep 1000 & : >/ready; i=0; while [ $i -lt 20000 ]; do i=$((i + 1)); done; wait'
	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	wait_for_file "$BUNDLE/rootfs/ready"
	run xrt events --stats "$CID"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	ev=${lines[0]}
	[ "$(jq -r .type <<<"$ev")" = stats ]
	[ "$(jq -r .id <<<"$ev")" = "$CID" ]
	[ "$(jq -r '.data.pids.current' <<<"$ev")" -eq 2 ]
	[ "$(jq -r '.data.pids.limit' <<<"$ev")" -eq 99 ]
	[ "$(jq -r '.data.memory.usage.limit' <<<"$ev")" -eq 67108864 ]
	[ "$(jq -r '.data.memory.usage.usage' <<<"$ev")" -gt 0 ]
	[ "$(jq -r '.data.cpu.usage.total' <<<"$ev")" -gt 0 ]
}

@test "events: of a nonexistent container fails" {
	run xrt events --stats "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]]
}

# --- update ---------------------------------------------------------------------

@test "update: each flag changes the running container's cgroup" {
	requires_v1 "v1 file names; cgroups v2: update covers v2's"
	with_cgroupns
	update_config '.linux.resources += {"memory": {"limit": 67108864}, "pids": {"limit": 50},
		"cpu": {"shares": 1024, "quota": 50000, "period": 100000, "cpus": $cpus}, "blockIO": {"weight": 500}}' \
		--arg cpus "$(cat /sys/devices/system/cpu/online)"
	wait_for_go
	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	pid=$(state_field "$CID" pid)
	mem=$(cg_dir "$pid" memory)
	cpu=$(cg_dir "$pid" cpu)
	blkio=$(cg_dir "$pid" blkio)

	run xrt update --memory 33554432 "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(cat "$mem/memory.limit_in_bytes")" = 33554432 ]

	run xrt update --pids-limit 17 "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(cat "$(cg_dir "$pid" pids)/pids.max")" = 17 ]

	run xrt update --cpu-period 200000 --cpu-quota 40000 "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(cat "$cpu/cpu.cfs_period_us")" = 200000 ]
	[ "$(cat "$cpu/cpu.cfs_quota_us")" = 40000 ]

	# runc 1.1 spells it --cpu-share.
	if is_runc; then
		run xrt update --cpu-share 256 "$CID"
	else
		run xrt update --cpu-shares 256 "$CID"
	fi
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(cat "$cpu/cpu.shares")" = 256 ]

	run xrt update --cpuset-cpus 0 "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(cat "$(cg_dir "$pid" cpuset)/cpuset.cpus")" = 0 ]
	grep -Eq '^Cpus_allowed_list:[[:space:]]+0$' "/proc/$pid/status"

	if f=$(blkio_weight_file "$blkio"); then
		run xrt update --blkio-weight 700 "$CID"
	echo "$output"
		[ "$status" -eq 0 ]
		[[ "$(cat "$blkio/$f")" =~ (^|\ )700$ ]]
	fi

	# The other values were left alone by each update.
	[ "$(cat "$mem/memory.limit_in_bytes")" = 33554432 ]
	[ "$(cat "$cpu/cpu.shares")" = 256 ]

	# The container sees the new values, and so does events --stats.
	run xrt exec "$CID" sh -c 'cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/memory/memory.limit_in_bytes'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 17 ]
	[ "${lines[1]}" = 33554432 ]
	run xrt events --stats "$CID"
	[ "$status" -eq 0 ]
	[ "$(jq -r .data.pids.limit <<<"$output")" = 17 ]
	[ "$(jq -r .data.memory.usage.limit <<<"$output")" = 33554432 ]
}

@test "update --cpu-share (runc's spelling of the flag) is accepted" {
	wait_for_go
	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	pid=$(state_field "$CID" pid)
	run xrt update --cpu-share 384 "$CID"
	tail -n 3 <<<"$output"
	[ "$status" -eq 0 ]
	if is_v2; then
		# 384 shares: weight 47 in runc 1.5's conversion (1024 -> 100).
		[ "$(cat "$(cg_dir "$pid" cpu)/cpu.weight")" = 47 ]
	else
		[ "$(cat "$(cg_dir "$pid" cpu)/cpu.shares")" = 384 ]
	fi
}

@test "update --resources - (JSON on stdin, as dockerd sends) and --resources FILE" {
	requires_v1 "v1 file names; cgroups v2: update --resources covers v2's"
	wait_for_go
	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	pid=$(state_field "$CID" pid)
	mem=$(cg_dir "$pid" memory)
	cpu=$(cg_dir "$pid" cpu)
	pids=$(cg_dir "$pid" pids)

	status=0
	xrt update --resources - "$CID" <<<'{"memory": {"limit": 41943040}, "pids": {"limit": 33},
		"cpu": {"shares": 300, "quota": 20000, "period": 100000}}' || status=$?
	[ "$status" -eq 0 ]
	[ "$(cat "$mem/memory.limit_in_bytes")" = 41943040 ]
	[ "$(cat "$pids/pids.max")" = 33 ]
	[ "$(cat "$cpu/cpu.shares")" = 300 ]
	[ "$(cat "$cpu/cpu.cfs_quota_us")" = 20000 ]

	echo '{"pids": {"limit": 44}, "memory": {"limit": 46137344}}' >"$BATS_TEST_TMPDIR/res.json"
	run xrt update -r "$BATS_TEST_TMPDIR/res.json" "$CID"
	[ "$status" -eq 0 ]
	[ "$(cat "$pids/pids.max")" = 44 ]
	[ "$(cat "$mem/memory.limit_in_bytes")" = 46137344 ]
	# Not in the file: unchanged.
	[ "$(cat "$cpu/cpu.shares")" = 300 ]

	# Bad JSON is an error and changes nothing.
	echo '{"pids": {"limit": "many"}}' >"$BATS_TEST_TMPDIR/bad.json"
	run xrt update -r "$BATS_TEST_TMPDIR/bad.json" "$CID"
	[ "$status" -ne 0 ]
	[ "$(cat "$pids/pids.max")" = 44 ]
}

@test "update: a lowered pids limit is enforced on the running container" {
	update_config '.linux.resources.pids = {"limit": 100}'
	set_cmd 'while [ ! -e /go ]; do sleep 0.05; done; for i in 1 2 3 4 5 6; do sleep 30 & echo $i > /n; done; echo all-forked > /n'
	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	run xrt update --pids-limit 3 "$CID"
	[ "$status" -eq 0 ]
	touch "$BUNDLE/rootfs/go"
	wait_for_state "$CID" stopped
	# sh + 2 sleeps = 3: the third fork failed.
	[ "$(cat "$BUNDLE/rootfs/n")" = 2 ]
}

@test "update: cpuset cpus that are not online fail and leave the old value" {
	update_config '.linux.resources.cpu = {"cpus": "0"}'
	wait_for_go
	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	pid=$(state_field "$CID" pid)
	last=$(last_cpu)
	run xrt update --cpuset-cpus "$((last + 7))" "$CID"
	[ "$status" -ne 0 ]
	[ "$(cat "$(cg_dir "$pid" cpuset)/cpuset.cpus")" = 0 ]
}

@test "update: of a nonexistent container fails" {
	run xrt update --pids-limit 10 "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]]
}

# --- kill --all -------------------------------------------------------------------

@test "kill --all: signals every process of the container, not only the init" {
	# In a pid namespace the init ignores a SIGTERM it has no handler for;
	# its children do not.
	set_cmd 'sleep 1000 & sleep 1001 & : >/ready; while :; do sleep 0.05; done'
	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	wait_for_file "$BUNDLE/rootfs/ready"
	pid=$(state_field "$CID" pid)
	for ((i = 0; i < 100; i++)); do
		[ "$(pgrep -P "$pid" -x sleep -a | awk '$3 ~ /^100[01]$/' | wc -l)" -eq 2 ] && break
		sleep 0.05
	done
	kids=$(pgrep -P "$pid" -x sleep -a | awk '$3 ~ /^100[01]$/ {print $1}')
	[ "$(wc -w <<<"$kids")" -eq 2 ]

	# Without --all only the init gets the signal (and ignores it).
	run xrt kill "$CID" TERM
	[ "$status" -eq 0 ]
	sleep 0.3
	for k in $kids; do kill -0 "$k"; done

	run xrt kill --all "$CID" TERM
	[ "$status" -eq 0 ]
	for k in $kids; do wait_pid_gone "$k"; done
	[ "$(state_field "$CID" status)" = running ]
	kill -0 "$pid"

	run xrt kill -a "$CID" KILL
	[ "$status" -eq 0 ]
	wait_for_state "$CID" stopped
	run xrt delete "$CID"
	[ "$status" -eq 0 ]
	assert_no_leftovers
}

@test "kill --all: without a pid namespace every process dies, the init's children too" {
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	set_cmd 'sleep 1000 & sleep 1001 & : >/ready; wait'
	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	wait_for_file "$BUNDLE/rootfs/ready"
	pid=$(state_field "$CID" pid)
	procs=$(cat "$(cg_dir "$pid" pids)/cgroup.procs")
	[ "$(wc -w <<<"$procs")" -eq 3 ]
	# The init (a shell in "wait") may exit on its own once its children
	# are killed, before its turn: still a success.
	run xrt kill --all "$CID" KILL
	echo "$output"
	[ "$status" -eq 0 ]
	for p in $procs; do wait_pid_gone "$p"; done
	wait_for_state "$CID" stopped
}

# --- cgroup v2 ------------------------------------------------------------------

# run_and_wait: xrt_run_d $CID with a program that says ready (/ready) and
# waits for /go; sets pid and cg (the host directory of its cgroup).
run_and_wait() {
	wait_for_go
	xrt_run_d "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	wait_for_file "$BUNDLE/rootfs/ready"
	pid=$(state_field "$CID" pid)
	cg=$(cg_dir "$pid" unified)
	echo "cgroup: $cg"
	[ -d "$cg" ]
}

# block_dev: MAJ:MIN of a whole disk of this host (for io.max).
block_dev() {
	local d
	for d in /sys/block/*; do
		case ${d##*/} in loop* | ram* | zram*) continue ;; esac
		cat "$d/dev"
		return 0
	done
	return 1
}

@test "cgroups v2: cpu weight, max, burst and idle" {
	requires_v2 "cpu.weight, cpu.max, cpu.max.burst, cpu.idle"
	update_config '.linux.resources.cpu = {"shares": 512, "quota": 30000, "period": 200000, "burst": 10000}'
	run_and_wait
	# 512 shares: weight 59 in runc 1.5's conversion (1024 -> 100).
	[ "$(cat "$cg/cpu.weight")" = 59 ]
	[ "$(cat "$cg/cpu.max")" = "30000 200000" ]
	[ "$(cat "$cg/cpu.max.burst")" = 10000 ]
	[ "$(cat "$cg/cpu.idle")" = 0 ]
	run xrt delete --force "$CID"
	[ "$status" -eq 0 ]

	# An idle group: SCHED_IDLE for the whole cgroup.
	update_config '.linux.resources.cpu = {"idle": 1}'
	run_and_wait
	[ "$(cat "$cg/cpu.idle")" = 1 ]
	[ "$(cat "$cg/cpu.max")" = "max 100000" ]
}

@test "cgroups v2: cpuset cpus and mems, as the host and the container see them" {
	requires_v2 "cpuset.cpus, cpuset.mems"
	with_cgroupns
	update_config '.linux.resources.cpu = {"cpus": $c, "mems": "0"}' --arg c "$(last_cpu)"
	set_cmd 'cat /sys/fs/cgroup/cpuset.cpus.effective; grep Cpus_allowed_list /proc/self/status; : >/ready; while [ ! -e /go ]; do sleep 0.05; done'
	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	wait_for_file "$BUNDLE/rootfs/ready"
	pid=$(state_field "$CID" pid)
	cg=$(cg_dir "$pid" unified)
	[ "$(cat "$cg/cpuset.cpus")" = "$(last_cpu)" ]
	[ "$(cat "$cg/cpuset.mems")" = 0 ]
	[ "$(cat "$cg/cpuset.cpus.effective")" = "$(last_cpu)" ]
	mapfile -t out <"$DETACHED_LOG"
	printf '%s\n' "${out[@]}"
	[ "${out[0]}" = "$(last_cpu)" ]
	[[ "${out[1]}" =~ Cpus_allowed_list:[[:space:]]+$(last_cpu)$ ]]
}

@test "cgroups v2: memory max, low, swap.max and, through unified, min and high" {
	requires_v2 "memory.max, memory.low, memory.min, memory.high, memory.swap.max"
	# swap is memory + swap (runc's meaning): memory.swap.max gets the difference.
	update_config '.linux.resources.memory = {"limit": 67108864, "reservation": 33554432, "swap": 83886080}
		| .linux.resources.unified = {"memory.min": "8388608", "memory.high": "50331648"}'
	run_and_wait
	[ "$(cat "$cg/memory.max")" = 67108864 ]
	[ "$(cat "$cg/memory.low")" = 33554432 ]
	[ "$(cat "$cg/memory.min")" = 8388608 ]
	[ "$(cat "$cg/memory.high")" = 50331648 ]
	if [ -e "$cg/memory.swap.max" ]; then
		[ "$(cat "$cg/memory.swap.max")" = 16777216 ]
	fi
}

@test "cgroups v2: pids.max and io weight and io.max per device" {
	requires_v2 "pids.max, io.weight, io.max"
	dev=$(block_dev) || skip "no block device on this host"
	update_config '.linux.resources.pids = {"limit": 31}
		| .linux.resources.blockIO = {"weight": 300, "throttleReadBpsDevice": [{"major": $ma, "minor": $mi, "rate": 1048576}],
			"throttleWriteIOPSDevice": [{"major": $ma, "minor": $mi, "rate": 100}]}' \
		--argjson ma "${dev%:*}" --argjson mi "${dev#*:}"
	run_and_wait
	[ "$(cat "$cg/pids.max")" = 31 ]
	if [ -e "$cg/io.bfq.weight" ]; then
		[[ "$(cat "$cg/io.bfq.weight")" =~ (^|\ )300$ ]]
	else
		# 1 + (300 - 10) * 9999 / (1000 - 10)
		grep -qx 'default 2930' "$cg/io.weight"
	fi
	grep -qx "$dev rbps=1048576 wbps=max riops=max wiops=100" "$cg/io.max"
}

@test "cgroups v2: the OOM kill shows in memory.events and events reports oom" {
	requires_v2 "memory.events"
	update_config '.linux.resources.memory = {"limit": 16777216, "swap": 16777216}'
	set_cmd 'while [ ! -e /go ]; do sleep 0.05; done; tail /dev/zero; echo $? > /tailrc; while :; do sleep 0.1; done'
	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	pid=$(state_field "$CID" pid)
	cg=$(cg_dir "$pid" unified)
	[ "$(cat "$cg/memory.max")" = 16777216 ]
	timeout -k 5 120 "$XRT" --root "$ROOT" events --interval 1s "$CID" >"$BATS_TEST_TMPDIR/events" 2>&1 &
	ev=$!
	BG_PIDS+=("$ev")
	# events counts the OOM kills it starts with: the first stats line
	# says it has (a slow guest may take seconds to start it).
	for ((i = 0; i < 600; i++)); do
		grep -q '"type":"stats"' "$BATS_TEST_TMPDIR/events" && break
		sleep 0.1
	done
	touch "$BUNDLE/rootfs/go"
	wait_for_file "$BUNDLE/rootfs/tailrc" 60
	[ "$(cat "$BUNDLE/rootfs/tailrc")" = 137 ]
	grep -Eq '^oom_kill [1-9]' "$cg/memory.events"
	for ((i = 0; i < 200; i++)); do
		grep -q '"type":"oom"' "$BATS_TEST_TMPDIR/events" && break
		sleep 0.1
	done
	kill "$ev" 2>/dev/null || true
	wait "$ev" 2>/dev/null || true
	cat "$BATS_TEST_TMPDIR/events"
	grep '"type":"oom"' "$BATS_TEST_TMPDIR/events" | head -n1 >"$BATS_TEST_TMPDIR/oom"
	[ "$(jq -r .id "$BATS_TEST_TMPDIR/oom")" = "$CID" ]
}

@test "cgroups v2: update changes memory.max, pids.max, cpu.max, cpu.weight, cpuset.cpus and io weight" {
	requires_v2 "v2 file names"
	update_config '.linux.resources += {"memory": {"limit": 67108864}, "pids": {"limit": 50},
		"cpu": {"shares": 1024, "quota": 50000, "period": 100000}}'
	run_and_wait
	run xrt update --memory 33554432 --pids-limit 17 --cpu-period 200000 --cpu-quota 40000 --cpu-share 256 --cpuset-cpus 0 "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(cat "$cg/memory.max")" = 33554432 ]
	[ "$(cat "$cg/pids.max")" = 17 ]
	[ "$(cat "$cg/cpu.max")" = "40000 200000" ]
	# 256 shares: weight 35 in runc 1.5's conversion (1024 -> 100).
	[ "$(cat "$cg/cpu.weight")" = 35 ]
	[ "$(cat "$cg/cpuset.cpus")" = 0 ]
	grep -Eq '^Cpus_allowed_list:[[:space:]]+0$' "/proc/$pid/status"

	status=0
	xrt update --resources - "$CID" <<<'{"memory": {"limit": 41943040}, "pids": {"limit": 33}, "unified": {"memory.high": "37748736"}}' || status=$?
	[ "$status" -eq 0 ]
	[ "$(cat "$cg/memory.max")" = 41943040 ]
	[ "$(cat "$cg/memory.high")" = 37748736 ]
	[ "$(cat "$cg/pids.max")" = 33 ]
	# Left alone.
	[ "$(cat "$cg/cpu.max")" = "40000 200000" ]

	run xrt events --stats "$CID"
	[ "$status" -eq 0 ]
	[ "$(jq -r .data.pids.limit <<<"$output")" = 33 ]
	[ "$(jq -r .data.memory.usage.limit <<<"$output")" = 41943040 ]
}

@test "cgroups v2: kill --all ends processes in the container's sub-cgroups too (cgroup.kill)" {
	requires_v2 "cgroup.kill"
	with_cgroupns
	# A writable cgroup mount, so that the container can make a sub-cgroup
	# and move a process there.
	update_config '.mounts |= map(if .type == "cgroup" then .options -= ["ro"] else . end)
		| .linux.namespaces |= map(select(.type != "pid"))'
	set_cmd 'sleep 1000 & mkdir /sys/fs/cgroup/sub && echo $! > /sys/fs/cgroup/sub/cgroup.procs && : >/ready; wait'
	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	wait_for_file "$BUNDLE/rootfs/ready"
	pid=$(state_field "$CID" pid)
	cg=$(cg_dir "$pid" unified)
	kid=$(cat "$cg/sub/cgroup.procs")
	[ -n "$kid" ]
	[ "$(cat "/proc/$kid/cgroup")" = "0::$(cg_path "$pid" unified)/sub" ]
	run xrt kill --all "$CID" KILL
	echo "$output"
	[ "$status" -eq 0 ]
	wait_pid_gone "$kid"
	wait_for_state "$CID" stopped
	run xrt delete "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ ! -e "$cg" ]
	assert_no_leftovers
}

@test "cgroups v2: in a cgroup namespace /sys/fs/cgroup is the container's own cgroup (mountinfo root /)" {
	requires_v2 "one cgroup2 mount"
	with_cgroupns
	set_cmd 'cat /proc/self/cgroup; grep " /sys/fs/cgroup " /proc/self/mountinfo; ls /sys/fs/cgroup; : >/ready; while [ ! -e /go ]; do sleep 0.05; done'
	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	wait_for_file "$BUNDLE/rootfs/ready"
	pid=$(state_field "$CID" pid)
	cat "$DETACHED_LOG"
	[ "$(sed -n 1p "$DETACHED_LOG")" = "0::/" ]
	line=$(sed -n 2p "$DETACHED_LOG")
	[ "$(awk '{print $4}' <<<"$line")" = / ]
	[[ "$line" == *" - cgroup2 "* ]]
	# Its own files only: no other container's cgroup, no xrt/ parent.
	grep -qx cgroup.procs "$DETACHED_LOG"
	refute grep -qx xrt "$DETACHED_LOG"
	refute grep -qx init.scope "$DETACHED_LOG"
	# From the host: the container's cgroup.
	[ "$(cat "/proc/$pid/cgroup")" = "0::$(cg_path "$pid" unified)" ]
	if ! is_runc; then
		[ "$(cat "/proc/$pid/cgroup")" = "0::/xrt/$CID" ]
	fi
}

@test "cgroups v2: without a cgroup namespace the container sees the host's tree, and the host's cgroup2 options stay (nsdelegate)" {
	requires_v2 "cgroup2 superblock options"
	update_config '.linux.namespaces |= map(select(.type != "cgroup"))'
	set_cmd 'grep " /sys/fs/cgroup " /proc/self/mountinfo; cat /proc/self/cgroup'
	before=$(grep ' /sys/fs/cgroup ' /proc/self/mountinfo | sed 's/.* - //')
	CREATED_IDS+=("$CID")
	run xrt run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(awk '{print $4}' <<<"${lines[0]}")" = / ]
	[[ "${lines[1]}" == 0::*/"$CID" ]]
	# A cgroup2 mount made from the host's cgroup namespace would have
	# reset the superblock's options (nsdelegate) for the whole host.
	after=$(grep ' /sys/fs/cgroup ' /proc/self/mountinfo | sed 's/.* - //')
	echo "host before: $before"
	echo "host after:  $after"
	[ "$before" = "$after" ]
}

@test "cgroups v2: a cgroup2 mount made inside the container shows its own cgroup" {
	requires_v2 "cgroup2"
	with_cgroupns
	update_config '.process.capabilities |= with_entries(.value += ["CAP_SYS_ADMIN"] | .value |= unique)
		| .linux.resources.pids = {"limit": 29}'
	set_cmd 'mkdir -p /mnt/cg && mount -t cgroup2 none /mnt/cg && grep " /mnt/cg " /proc/self/mountinfo && cat /mnt/cg/pids.max'
	CREATED_IDS+=("$CID")
	run xrt run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(awk '{print $4}' <<<"${lines[0]}")" = / ]
	[[ "${lines[0]}" == *" - cgroup2 "* ]]
	[ "${lines[1]}" = 29 ]
	assert_no_leftovers
}

@test "cgroups v2: a container with a user namespace is created, in its cgroup, with its own /sys/fs/cgroup" {
	requires_v2 "cgroup2"
	with_cgroupns
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
		| .linux.resources.pids = {"limit": 27}'
	chown -R 200000:200000 "$BUNDLE/rootfs"
	open_path_to "$BUNDLE"
	set_cmd 'cat /proc/self/cgroup; grep " /sys/fs/cgroup " /proc/self/mountinfo; cat /sys/fs/cgroup/pids.max; : >/ready; while [ ! -e /go ]; do sleep 0.05; done'
	xrt_run_d "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	wait_for_file "$BUNDLE/rootfs/ready"
	pid=$(state_field "$CID" pid)
	cat "$DETACHED_LOG"
	[ "$(sed -n 1p "$DETACHED_LOG")" = "0::/" ]
	[ "$(sed -n 2p "$DETACHED_LOG" | awk '{print $4}')" = / ]
	[ "$(sed -n 3p "$DETACHED_LOG")" = 27 ]
	[ "$(cat "$(cg_dir "$pid" unified)/pids.max")" = 27 ]
	grep -qx "$pid" "$(cg_dir "$pid" unified)/cgroup.procs"
	run xrt delete --force "$CID"
	[ "$status" -eq 0 ]
	assert_no_leftovers

	# Without a cgroup namespace the view is the host's tree, as a fresh
	# mount would show it (a bind: the kernel refuses the mount there).
	update_config '.linux.namespaces |= map(select(.type != "cgroup"))'
	set_cmd 'grep " /sys/fs/cgroup " /proc/self/mountinfo; ls /sys/fs/cgroup'
	CREATED_IDS+=("$CID")
	run xrt run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(awk '{print $4}' <<<"${lines[0]}")" = / ]
	[[ "$output" == *cgroup.procs* ]]
	assert_no_leftovers
}

@test "cgroups v2: linux.resources.unified writes the files, and a key of a controller the host lacks is refused" {
	requires_v2 "resources.unified"
	update_config '.linux.resources.unified = {"pids.max": "13", "memory.oom.group": "1"}'
	run_and_wait
	[ "$(cat "$cg/pids.max")" = 13 ]
	[ "$(cat "$cg/memory.oom.group")" = 1 ]
	run xrt delete --force "$CID"
	[ "$status" -eq 0 ]

	update_config '.linux.resources.unified = {"nosuch.max": "1"}'
	create_must_fail 'nosuch' 'nosuch'
}

@test "cgroups v2: update --memory -1 lifts memory.swap.max too" {
	requires_v2 "memory.swap.max"
	update_config '.linux.resources.memory = {"limit": 52428800, "swap": 96468992}'
	run_and_wait
	[ -e "$cg/memory.swap.max" ] || skip "no swap accounting (memory.swap.max)"
	[ "$(cat "$cg/memory.swap.max")" = $((96468992 - 52428800)) ]
	# Found by runc's update.bats in the v2 guest: the swap limit stayed.
	run xrt update --memory -1 "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(cat "$cg/memory.max")" = max ]
	[ "$(cat "$cg/memory.swap.max")" = max ]
}

@test "cgroups v2: checkBeforeUpdate refuses a limit below the usage, memory+swap first, in runc's words" {
	requires_v2 "memory.current"
	run_and_wait
	status=0
	output=$("$XRT" --root "$ROOT" update -r - "$CID" 2>&1 <<<'{"memory": {"limit": 1024, "checkBeforeUpdate": true}}') || status=$?
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"rejecting memory limit 1024 below"* ]]
	status=0
	output=$("$XRT" --root "$ROOT" update -r - "$CID" 2>&1 <<<'{"memory": {"limit": 1024, "swap": 2048, "checkBeforeUpdate": true}}') || status=$?
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"rejecting memory+swap limit 2048 below"* ]]
	[ "$(cat "$cg/memory.max")" = max ]
	[ "$(state_field "$CID" status)" = running ]
}

@test "cgroups v2: a unified value of several lines (io.max) is written a line at a time" {
	requires_v2 "io.max"
	dev=$(block_dev) || skip "no block device on this host"
	# The kernel takes one device a write: the two lines set two keys of
	# one device, which only two writes give (one write is EINVAL).
	update_config '.linux.resources.unified = {"io.max": ($d + " riops=333\n" + $d + " wiops=444\n")}' --arg d "$dev"
	run_and_wait
	grep -qx "$dev rbps=max wbps=max riops=333 wiops=444" "$cg/io.max"
}

@test "cgroups v2: exec joins init's sub-cgroup once the container's cgroup has controllers for its children" {
	requires_v2 "cgroup.subtree_control"
	with_cgroupns
	update_config '.mounts |= map(if .type == "cgroup" then .options -= ["ro"] else . end)'
	# init is one process, never forking: nothing of it can stay behind in
	# the container's own cgroup once it has moved to /foo.
	set_cmd ': >/ready; exec sleep 100000'
	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	wait_for_file "$BUNDLE/rootfs/ready"
	cg=$(cg_dir "$(state_field "$CID" pid)" unified)
	[ -d "$cg" ]
	run xrt exec "$CID" cat /proc/self/cgroup
	[ "$status" -eq 0 ]
	[ "$output" = "0::/" ]
	# init and this shell to /foo, then memory for the children: the
	# container's own cgroup may hold no process any more. Anything of
	# xrt's exec left there would make the write fail (EBUSY).
	run xrt exec "$CID" sh -euc 'mkdir /sys/fs/cgroup/foo
		echo 1 >/sys/fs/cgroup/foo/cgroup.procs; echo $$ >/sys/fs/cgroup/foo/cgroup.procs
		cat /sys/fs/cgroup/cgroup.procs; echo +memory >/sys/fs/cgroup/cgroup.subtree_control'
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qw memory "$cg/cgroup.subtree_control"
	# runc's cgroups.bats: the exec falls back to init's cgroup (it failed
	# with EBUSY from CLONE_INTO_CGROUP).
	run xrt exec "$CID" cat /proc/self/cgroup
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "0::/foo" ]
}
