#!/usr/bin/env bats
# Docker as it runs on today's hosts: Debian's dockerd (docker.io) on a
# pure cgroup v2 host whose PID 1 is systemd, with its default cgroup
# driver there (systemd), and xrt added as the runtime "xrt". Each
# container is then a transient scope docker-<id>.scope in system.slice
# that xrt makes over D-Bus for the shim (--systemd-cgroup, cgroupsPath
# system.slice:docker:<id>). The tests check what systemd (`systemctl
# show`) and the kernel (the scope's cgroup files) show for `docker run`'s
# --memory, --cpus and --pids-limit, `docker update`, pause/unpause,
# `docker stats`, stop and rm, and that the scope is gone at the end.
#
# dockerd runs with its own data root, exec root, socket, containerd (the
# one it spawns) and network namespace, no bridge and no firewall rules;
# the image is a busybox "docker save" archive from tests/cmd/mkimage,
# loaded with docker load (no network). Needs systemd as PID 1 on cgroup
# v2: skipped elsewhere. `make test-systemd` boots such a guest
# (tests/v2vm-systemd) and runs this file there.

load ../helpers
load ../engines/lib

IMAGE=xrt-busybox:latest

# why_not_here: why this host cannot run the file ("" where it can).
why_not_here() {
	if [ "$(cat /proc/1/comm 2>/dev/null)" != systemd ] || [ ! -d /run/systemd/system ]; then
		echo "needs systemd as PID 1 (make test-systemd boots a guest with it)"
	elif [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ]; then
		echo "Docker's systemd cgroup driver is tested on cgroup v2 hosts"
	fi
}

# Each test skips in setup: Debian's bats 1.8.2 reports a skip in
# setup_file as "setup_file failed" once teardown_file has run.
setup_file() {
	[ -z "$(why_not_here)" ] || return 0
	xrt_setup_file
	DOCKERD=${DOCKERD:-/usr/sbin/dockerd}
	DOCKER=${DOCKER:-/usr/bin/docker}
	local bin
	for bin in "$DOCKERD" "$DOCKER" containerd containerd-shim-runc-v2 nsenter; do
		command -v "$bin" >/dev/null || {
			echo "$bin is needed (.ci/run installs docker.io)" >&2
			return 1
		}
	done
	# Under /tmp (the guest's disk: overlay2 needs a real filesystem),
	# short (unix socket paths are limited to 108 bytes).
	DK=${TMPDIR:-/tmp}/xrt-sdk-$$
	export DK DOCKER DOCKERD
	mkdir -p "$DK"/{client,data,exec}
	# The trust key would go to /etc/docker otherwise.
	jq -n --arg k "$DK/key.json" '{"deprecated-key-path": $k}' >"$DK/daemon.json"
	engine_netns "$DK/netns"
	engine_wrapper "$DK/xrt" "$DK/argv.log"
	# No --exec-opt native.cgroupdriver and no --cgroup-parent: Docker's
	# defaults on a systemd host with cgroup v2 (systemd, system.slice).
	nsenter --net="$DK/netns" "$DOCKERD" --config-file "$DK/daemon.json" \
		--data-root "$DK/data" --exec-root "$DK/exec" --pidfile "$DK/dockerd.pid" \
		-H "unix://$DK/d.sock" --containerd-namespace xrt-sdk --containerd-plugins-namespace xrt-sdk-plugins \
		--bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
		--storage-driver overlay2 --add-runtime "xrt=$DK/xrt" --log-level warn \
		>"$DK/dockerd.log" 2>&1 &
	echo $! >"$DK/pid"
	# Under emulation dockerd and its containerd take a minute or more.
	local i ok=
	for i in $(seq 600); do
		if docker_ version >/dev/null 2>&1; then
			ok=1
			break
		fi
		kill -0 "$(cat "$DK/pid")" 2>/dev/null || break
		sleep 0.5
	done
	if [ -z "$ok" ]; then
		echo "dockerd did not come up:" >&2
		tail -n 30 "$DK/dockerd.log" >&2
		return 1
	fi
	echo "# engine: $("$DOCKERD" --version), runtime $XRT" >&3
	"$TESTBIN/mkimage" --archive docker --tag "$IMAGE" "$DK/busybox.tar" >&2
	docker_ load -i "$DK/busybox.tar" >&2
}

setup() {
	local why
	why=$(why_not_here)
	[ -z "$why" ] || skip "$why"
	xrt_setup
}

teardown_file() {
	[ -n "${DK:-}" ] && [ -d "$DK" ] || return 0
	local c id
	if [ -S "$DK/d.sock" ]; then
		for c in $(docker_ ps -aq --no-trunc 2>/dev/null); do
			docker_ rm -f "$c" >/dev/null 2>&1 || true
		done
	fi
	if [ -f "$DK/pid" ]; then
		kill "$(cat "$DK/pid")" 2>/dev/null || true
		wait_pid_gone "$(cat "$DK/pid")" 60 || true
	fi
	# Its containerd and shims, if they outlived it.
	kill_pids_with_arg "$DK/"
	local r
	for r in "$DK"/exec/runtime-*/xrt-sdk; do
		for c in $(ls "$r" 2>/dev/null); do
			"$XRT" --root "$r" --systemd-cgroup delete -f "$c" >/dev/null 2>&1 || true
		done
	done
	# The scopes of this file's containers, if any outlived them.
	for id in $(cat "$DK/ids" 2>/dev/null); do
		systemctl stop "docker-$id.scope" >/dev/null 2>&1 || true
	done
	if ! umount_under "$DK"; then
		echo "teardown_file: mounts remain under $DK; not removing it" >&2
		return 1
	fi
	rm -rf --one-file-system "$DK"
}

# docker_ ARGS...: the packaged client on the private daemon (generous
# limit: a docker run takes tens of seconds under emulation).
docker_() {
	DOCKER_CONFIG=$DK/client timeout -k 5 240 "$DOCKER" -H "unix://$DK/d.sock" "$@"
}

# inspect_ ID FORMAT
inspect_() {
	docker_ inspect -f "$2" "$1"
}

# show UNIT PROPERTY: the property's value as systemctl shows it.
show() {
	systemctl show "$1" -p "$2" --value
}

# xrt_state ARGS...: the runtime on the state root the shim gives it.
xrt_state() {
	"$XRT" --root "$(echo "$DK"/exec/runtime-*/xrt-sdk)" --systemd-cgroup "$@"
}

# The container the tests share: its full id (in $DK/id), its scope, and
# the scope's cgroup directory.
load_c1() {
	ID=$(cat "$DK/id")
	UNIT=docker-$ID.scope
	CG=/sys/fs/cgroup/system.slice/$UNIT
}

@test "docker (systemd driver): run --memory --cpus --pids-limit makes docker-<id>.scope with the limits as properties and cgroup files" {
	run docker_ info -f '{{.CgroupDriver}} {{.CgroupVersion}}'
	echo "$output"
	[ "$output" = "systemd 2" ]
	run docker_ run -d --runtime xrt --network none --name c1 \
		--memory 64m --cpus 0.5 --pids-limit 42 "$IMAGE" sh -c 'echo started; exec sleep 100000'
	echo "$output"
	[ "$status" -eq 0 ]
	echo "$output" >"$DK/id"
	echo "$output" >>"$DK/ids"
	load_c1
	[ "$(inspect_ c1 '{{.HostConfig.Runtime}} {{.State.Running}}')" = "xrt true" ]
	# The shim called the runtime with the systemd driver and Docker's
	# cgroupsPath.
	grep -q "	--systemd-cgroup	.*create	.*	$ID\$" "$DK/argv.log"
	[ "$(jq -r .linux.cgroupsPath "$(xrt_state state "$ID" | jq -r .bundle)/config.json")" = "system.slice:docker:$ID" ]

	pid=$(inspect_ c1 '{{.State.Pid}}')
	[ "$(awk -F: '$1 == 0 {print $3}' "/proc/$pid/cgroup")" = "/system.slice/$UNIT" ]
	systemctl show "$UNIT" -p ActiveState -p Delegate -p MemoryMax -p CPUQuotaPerSecUSec -p TasksMax
	[ "$(show "$UNIT" ActiveState)" = active ]
	[ "$(show "$UNIT" Delegate)" = yes ]
	[ "$(show "$UNIT" MemoryMax)" = 67108864 ]
	[ "$(show "$UNIT" CPUQuotaPerSecUSec)" = 500ms ]
	[ "$(show "$UNIT" TasksMax)" = 42 ]
	grep -qx "$pid" "$CG/cgroup.procs"
	[ "$(cat "$CG/memory.max")" = 67108864 ]
	[ "$(cat "$CG/cpu.max")" = "50000 100000" ]
	[ "$(cat "$CG/pids.max")" = 42 ]
	# Inside, its own cgroup (a cgroup namespace) with the same limits.
	run docker_ exec c1 sh -c 'cat /proc/self/cgroup /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '0::/\n67108864\n42')" ]
}

@test "docker (systemd driver): update changes the unit and the files; pause/unpause freeze the scope; stats reads it" {
	load_c1
	run docker_ update --memory 96m --memory-swap 192m --cpus 1.5 --pids-limit 44 c1
	echo "$output"
	[ "$status" -eq 0 ]
	systemctl show "$UNIT" -p MemoryMax -p MemorySwapMax -p CPUQuotaPerSecUSec -p TasksMax
	[ "$(show "$UNIT" MemoryMax)" = 100663296 ]
	[[ "$(show "$UNIT" CPUQuotaPerSecUSec)" =~ ^1\.50*s$ ]]
	[ "$(show "$UNIT" TasksMax)" = 44 ]
	[ "$(cat "$CG/memory.max")" = 100663296 ]
	# memory+swap 192m: 96m of swap.
	[ "$(cat "$CG/memory.swap.max")" = 100663296 ]
	[ "$(cat "$CG/cpu.max")" = "150000 100000" ]
	[ "$(cat "$CG/pids.max")" = 44 ]
	[ "$(inspect_ c1 '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}')" = "100663296 1500000000 44" ]

	docker_ pause c1
	[ "$(inspect_ c1 '{{.State.Status}} {{.State.Paused}}')" = "paused true" ]
	[ "$(xrt_state state "$ID" | jq -r .status)" = paused ]
	[ "$(cat "$CG/cgroup.freeze")" = 1 ]
	grep -qx 'frozen 1' "$CG/cgroup.events"
	[ "$(show "$UNIT" ActiveState)" = active ]
	docker_ unpause c1
	[ "$(inspect_ c1 '{{.State.Status}} {{.State.Paused}}')" = "running false" ]
	[ "$(cat "$CG/cgroup.freeze")" = 0 ]
	grep -qx 'frozen 0' "$CG/cgroup.events"

	run docker_ stats --no-stream --format '{{.MemUsage}} {{.PIDs}}' c1
	echo "$output"
	[ "$status" -eq 0 ]
	# Usage / the limit just set, and the container's processes (sleep).
	[[ "$output" =~ ^[0-9.]+[KMG]i?B\ /\ 96MiB\ [1-9] ]]
}

@test "docker (systemd driver): stop and rm: the scope, its cgroup and the runtime's state are gone" {
	load_c1
	pid=$(inspect_ c1 '{{.State.Pid}}')
	# sleep as PID 1 ignores TERM: stop kills it after the grace period.
	docker_ stop -t 1 c1
	[ "$(inspect_ c1 '{{.State.Status}} {{.State.ExitCode}}')" = "exited 137" ]
	is_gone "$pid"
	docker_ rm c1
	[ -z "$(docker_ ps -aq)" ]
	[ -z "$(xrt_state list -q)" ]
	local i state
	for i in $(seq 50); do
		state=$(show "$UNIT" ActiveState)
		[ "$state" = inactive ] && [ ! -e "$CG" ] && break
		sleep 0.2
	done
	echo "$UNIT: ActiveState=$state, cgroup: $(ls -d "$CG" 2>&1)"
	[ "$state" = inactive ]
	[ ! -e "$CG" ]
	[ -z "$(systemctl list-units --all --plain --no-legend "docker-$ID.scope")" ]
	[ -z "$(mounts_under "$DK/data/overlay2")" ]
}
