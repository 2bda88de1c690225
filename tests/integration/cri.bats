#!/usr/bin/env bats
# Kubernetes' path without a cluster: a private containerd with its CRI
# plugin on and a runtime handler "xrt" (io.containerd.runc.v2, BinaryName
# the built xrt behind an argv-logging wrapper), driven by crictl with the
# calls kubelet makes. The daemon has its own root, state, socket and
# network namespace; pods get their own network namespaces from CNI (the
# bridge plugin inside that private namespace: containerd 1.6 wants an
# eth0 address, so loopback alone is not enough), their images are built
# here (a static pause program as the sandbox image, busybox), and
# everything is removed at the end: pods, the daemon, its shims, mounts,
# cgroups and the network namespace.

load ../helpers
load ../engines/lib

BUSYBOX_IMAGE=xrt.test/busybox:latest
PAUSE_IMAGE=xrt.test/pause:latest

setup_file() {
	xrt_setup_file
	local bin
	for bin in containerd ctr containerd-shim-runc-v2 crictl nsenter; do
		command -v "$bin" >/dev/null || {
			echo "$bin is needed (.ci/run installs it: containerd, cri-tools' crictl)" >&2
			return 1
		}
	done
	[ -x /usr/lib/cni/bridge ] || { echo "/usr/lib/cni/bridge is needed (apt-get install containernetworking-plugins)" >&2; return 1; }
	# Short: unix socket paths are limited to 108 bytes.
	CRI=/run/xrt-cri-$$
	# The pods' cgroup parent: one tree of our own in each hierarchy.
	CGP=xrt-cri-$$
	export CRI CGP
	mkdir -p "$CRI"/{cni,logs}
	engine_netns "$CRI/netns"
	engine_wrapper "$CRI/xrt" "$CRI/argv.log"
	cat >"$CRI/cni/10-xrt.conflist" <<-EOC
		{"cniVersion": "0.4.0", "name": "xrt-pods", "plugins": [
		  {"type": "bridge", "bridge": "xrtbr0", "isGateway": false, "ipMasq": false,
		   "ipam": {"type": "host-local", "subnet": "10.254.0.0/24", "dataDir": "$CRI/ipam"}},
		  {"type": "loopback"}]}
	EOC
	cat >"$CRI/config.toml" <<-EOC
		version = 2
		root = "$CRI/root"
		state = "$CRI/state"
		[grpc]
		  address = "$CRI/c.sock"
		[ttrpc]
		  address = "$CRI/c.sock.ttrpc"
		[debug]
		  address = "$CRI/debug.sock"
		[plugins."io.containerd.internal.v1.opt"]
		  path = "$CRI/opt"
		[plugins."io.containerd.grpc.v1.cri"]
		  sandbox_image = "$PAUSE_IMAGE"
		  stream_server_address = "127.0.0.1"
		  stream_server_port = "0"
		  enable_selinux = false
		  disable_apparmor = true
		  # CAP_SYS_RESOURCE may be missing: no oom_score_adj below ours.
		  restrict_oom_score_adj = true
		  netns_mounts_under_state_dir = true
		  [plugins."io.containerd.grpc.v1.cri".containerd]
		    snapshotter = "overlayfs"
		    default_runtime_name = "xrt"
		    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.xrt]
		      runtime_type = "io.containerd.runc.v2"
		      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.xrt.options]
		        BinaryName = "$CRI/xrt"
		        Root = "$CRI/xrt-state"
		        SystemdCgroup = false
		  [plugins."io.containerd.grpc.v1.cri".cni]
		    bin_dir = "/usr/lib/cni"
		    conf_dir = "$CRI/cni"
	EOC
	cat >"$CRI/crictl.yaml" <<-EOC
		runtime-endpoint: unix://$CRI/c.sock
		image-endpoint: unix://$CRI/c.sock
		timeout: 60
	EOC
	nsenter --net="$CRI/netns" containerd --config "$CRI/config.toml" >"$CRI/containerd.log" 2>&1 &
	echo $! >"$CRI/pid"
	local i ok=
	for i in $(seq 150); do
		if crictl_ info >"$CRI/info.json" 2>/dev/null &&
			jq -e '.status.conditions[] | select(.type == "NetworkReady") | .status' "$CRI/info.json" >/dev/null; then
			ok=1
			break
		fi
		sleep 0.1
	done
	if [ -z "$ok" ]; then
		echo "containerd's CRI did not come up:" >&2
		tail -n 30 "$CRI/containerd.log" >&2
		return 1
	fi
	echo "# engine: $(containerd --version), CRI, crictl $(go version -m "$(command -v crictl)" 2>/dev/null | awk '$1 == "mod" {print $3}'), runtime $XRT" >&3
	"$TESTBIN/mkimage" --pause "$TESTBIN/pause" --archive oci "$CRI/pause.tar" >&2
	"$TESTBIN/mkimage" --archive oci "$CRI/busybox.tar" >&2
	timeout 60 ctr -a "$CRI/c.sock" -n k8s.io images import --base-name "${PAUSE_IMAGE%:*}" "$CRI/pause.tar" >&2
	timeout 60 ctr -a "$CRI/c.sock" -n k8s.io images import --base-name "${BUSYBOX_IMAGE%:*}" "$CRI/busybox.tar" >&2
}

teardown_file() {
	[ -n "${CRI:-}" ] && [ -d "$CRI" ] || return 0
	local p c
	if [ -S "$CRI/c.sock" ]; then
		for p in $(crictl_ pods -q 2>/dev/null); do
			crictl_ stopp "$p" >/dev/null 2>&1 || true
			crictl_ rmp -f "$p" >/dev/null 2>&1 || true
		done
	fi
	if [ -f "$CRI/pid" ]; then
		kill "$(cat "$CRI/pid")" 2>/dev/null || true
		wait_pid_gone "$(cat "$CRI/pid")" 10 || true
	fi
	# Shims (and containers) of this daemon that outlived it.
	kill_pids_with_arg "$CRI/c.sock"
	for c in $(ls "$CRI/xrt-state/k8s.io" 2>/dev/null); do
		"$XRT" --root "$CRI/xrt-state/k8s.io" delete -f "$c" >/dev/null 2>&1 || true
	done
	rm_cgroups "$CGP"
	if ! umount_under "$CRI"; then
		echo "teardown_file: mounts remain under $CRI; not removing it" >&2
		return 1
	fi
	rm -rf --one-file-system "$CRI"
}

setup() {
	POD_IDS=()
}

teardown() {
	local p
	for p in "${POD_IDS[@]}"; do
		crictl_ stopp "$p" >/dev/null 2>&1 || true
		crictl_ rmp -f "$p" >/dev/null 2>&1 || true
	done
}

# crictl_ ARGS...: crictl on the private daemon, in its network namespace
# (exec -it and logs stream from containerd's server on its loopback).
crictl_() {
	timeout -k 5 90 nsenter --net="$CRI/netns" crictl --config "$CRI/crictl.yaml" "$@"
}

# pod_config NAME PIDMODE [JQ-FILTER]: a pod sandbox config (JSON) in
# $BATS_TEST_TMPDIR/NAME.json; PIDMODE is CONTAINER or POD.
pod_config() {
	local pidmode=1
	[ "$2" = POD ] && pidmode=0
	jq -n --arg name "$1" --arg logs "$CRI/logs/$1" --arg cgp "/$CGP/$1" --argjson pid "$pidmode" '{
		metadata: {name: $name, namespace: "xrt", uid: ("uid-" + $name), attempt: 0},
		hostname: $name,
		log_directory: $logs,
		linux: {cgroup_parent: $cgp,
			security_context: {namespace_options: {network: 0, pid: $pid, ipc: 0}}}
	}' | jq "${3:-.}" >"$BATS_TEST_TMPDIR/$1.json"
	mkdir -p "$CRI/logs/$1"
}

# ctr_config NAME ARGS-JSON [JQ-FILTER]: a container config in
# $BATS_TEST_TMPDIR/ctr-NAME.json running ARGS-JSON.
ctr_config() {
	jq -n --arg name "$1" --arg image "$BUSYBOX_IMAGE" --argjson args "$2" '{
		metadata: {name: $name},
		image: {image: $image},
		command: $args,
		log_path: ($name + ".log"),
		linux: {}
	}' | jq "${3:-.}" >"$BATS_TEST_TMPDIR/ctr-$1.json"
}

# runp NAME: run the pod of pod_config NAME with the xrt handler; sets POD.
runp() {
	run crictl_ runp --runtime xrt "$BATS_TEST_TMPDIR/$1.json"
	echo "$output"
	[ "$status" -eq 0 ]
	POD=${lines[-1]}
	POD_IDS+=("$POD")
}

# create_start POD-NAME CTR-NAME: create and start ctr_config CTR-NAME in
# the pod, with the pod's namespace options (as kubelet copies them); sets
# CTR.
create_start() {
	local cfg=$BATS_TEST_TMPDIR/ctr-$2.json
	jq --slurpfile pod "$BATS_TEST_TMPDIR/$1.json" \
		'.linux.security_context.namespace_options = $pod[0].linux.security_context.namespace_options' \
		"$cfg" >"$cfg.new"
	mv "$cfg.new" "$cfg"
	run crictl_ create --no-pull "$POD" "$BATS_TEST_TMPDIR/ctr-$2.json" "$BATS_TEST_TMPDIR/$1.json"
	echo "$output"
	[ "$status" -eq 0 ]
	CTR=${lines[-1]}
	run crictl_ start "$CTR"
	echo "$output"
	[ "$status" -eq 0 ]
}

# cstate ID: the container's CRI state (CONTAINER_RUNNING ...).
cstate() {
	crictl_ inspect -o json "$1" | jq -r .status.state
}

# wait_cstate ID STATE [SECONDS]
wait_cstate() {
	local i
	for ((i = 0; i < ${3:-20} * 10; i++)); do
		[ "$(cstate "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	echo "container $1: state $(cstate "$1"), wanted $2" >&2
	return 1
}

# cgroup_of CTR CONTROLLER: the container's cgroup directory in that
# hierarchy, from its init's /proc/PID/cgroup.
cgroup_of() {
	local pid
	pid=$(crictl_ inspect -o json "$1" | jq -r .info.pid)
	echo "/sys/fs/cgroup/$2$(awk -F: -v c="$2" '$2 == c {print $3}' "/proc/$pid/cgroup")"
}

@test "cri: two containers share the pod's network, IPC and UTS namespaces; logs, inspect, exec -s" {
	pod_config p1 CONTAINER
	runp p1
	local spid
	spid=$(crictl_ inspectp -o json "$POD" | jq -r .info.pid)
	[ "$(crictl_ inspectp -o json "$POD" | jq -r .status.state)" = SANDBOX_READY ]
	# The pod's own network namespace (CNI's), not containerd's.
	[ "$(ns_inode "/proc/$spid/ns/net")" != "$(ns_inode "$CRI/netns")" ]

	ctr_config a '["sh", "-c", "echo out-a; echo err-a >&2; exec sleep 100000"]'
	create_start p1 a
	local a=$CTR
	ctr_config b '["sleep", "100000"]'
	create_start p1 b
	local b=$CTR
	[ "$(cstate "$a")" = CONTAINER_RUNNING ]
	[ "$(cstate "$b")" = CONTAINER_RUNNING ]

	# inspect: state, pid (a real process: the sleep), the handler.
	local apid
	apid=$(crictl_ inspect -o json "$a" | jq -r .info.pid)
	[ "$apid" -gt 0 ]
	[ "$(tr '\0' ' ' <"/proc/$apid/cmdline")" = "sleep 100000 " ]
	# xrt ran them: its state root has the pod's and both containers.
	[ -d "$CRI/xrt-state/k8s.io/$a" ]
	[ -d "$CRI/xrt-state/k8s.io/$b" ]
	[ -d "$CRI/xrt-state/k8s.io/$POD" ]

	# Namespaces: joined by path from the sandbox's.
	local ns
	for ns in net ipc uts; do
		run crictl_ exec -s "$a" readlink "/proc/self/ns/$ns"
		echo "$ns a: $output"
		[ "$output" = "$(readlink "/proc/$spid/ns/$ns")" ]
		run crictl_ exec -s "$b" readlink "/proc/self/ns/$ns"
		[ "$output" = "$(readlink "/proc/$spid/ns/$ns")" ]
	done
	# Each container has its own PID and mount namespace.
	run crictl_ exec -s "$b" readlink /proc/self/ns/pid
	[ "$output" != "$(readlink "/proc/$spid/ns/pid")" ]
	[ "$output" != "$(readlink "/proc/$apid/ns/pid")" ]
	run crictl_ exec -s "$a" hostname
	[ "$output" = p1 ]
	run crictl_ exec -s "$b" ip addr show eth0
	echo "$output"
	[[ "$output" == *"inet 10.254.0."* ]]

	# exec -s: the output, and the exit code as CRI reports it (crictl
	# itself exits 1 and names it, with the command's stderr).
	run crictl_ exec -s "$a" sh -c 'echo from-exec'
	[ "$status" -eq 0 ]
	[ "$output" = from-exec ]
	run crictl_ exec -s "$a" sh -c 'echo err-exec >&2; exit 7'
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"exited with 7: err-exec"* ]]

	# logs: the shim's log file holds both streams in CRI's format.
	run crictl_ logs "$a"
	echo "$output"
	[[ "$output" == *out-a* ]]
	[[ "$output" == *err-a* ]]
	grep -q ' stdout F out-a$' "$CRI/logs/p1/a.log"
	grep -q ' stderr F err-a$' "$CRI/logs/p1/a.log"

	# stats: the shim read the container's cgroup.
	run crictl_ stats -o json "$a"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(jq -r '.stats[0].memory.workingSetBytes.value' <<<"$output")" -gt 0 ]
	[ "$(jq -r '.stats[0].cpu.usageCoreNanoSeconds.value' <<<"$output")" -gt 0 ]
}

@test "cri: a pod with a shared PID namespace: ps in one container sees the other's processes" {
	pod_config p2 POD
	runp p2
	ctr_config a '["sleep", "100001"]'
	create_start p2 a
	local a=$CTR
	ctr_config b '["sleep", "100002"]'
	create_start p2 b
	local b=$CTR
	run crictl_ exec -s "$b" ps -o pid,args
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"sleep 100001"* ]]
	[[ "$output" == *"sleep 100002"* ]]
	# The pause program is PID 1 of the pod.
	[[ "$output" =~ (^|$'\n')\ *1\ +/pause ]]
}

@test "cri: exec -it gets a terminal; its exit code reaches crictl" {
	pod_config p3 CONTAINER
	runp p3
	ctr_config a '["sleep", "100000"]'
	create_start p3 a
	# script(1) gives crictl a terminal. crictl itself exits 1 when the
	# command fails, and names its exit code.
	run timeout 60 script -qec "nsenter --net=$CRI/netns crictl --config $CRI/crictl.yaml exec -it $CTR sh -c 'tty; [ -t 0 ] && echo stdin-is-a-tty; exit 5'" /dev/null
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"/dev/pts/"* ]]
	[[ "$output" == *stdin-is-a-tty* ]]
	[[ "$output" == *"exit code 5"* ]]
	run timeout 60 script -qec "nsenter --net=$CRI/netns crictl --config $CRI/crictl.yaml exec -it $CTR sh -c 'exit 0'" /dev/null
	[ "$status" -eq 0 ]
}

@test "cri: limits from the pod spec in the container's cgroup under the pod's parent; update --memory" {
	pod_config p4 CONTAINER '.linux.resources = {cpu_period: 100000, cpu_quota: 50000, memory_limit_in_bytes: 134217728}'
	runp p4
	ctr_config a '["sleep", "100000"]' '.linux.resources = {cpu_period: 100000, cpu_quota: 25000, cpu_shares: 256, memory_limit_in_bytes: 67108864}'
	create_start p4 a
	local mem cpu
	mem=$(cgroup_of "$CTR" memory)
	cpu=$(cgroup_of "$CTR" cpu)
	echo "memory cgroup $mem, cpu cgroup $cpu"
	# Under the pod's parent, named by the container.
	[ "$mem" = "/sys/fs/cgroup/memory/$CGP/p4/$CTR" ]
	[ "$(cat "$mem/memory.limit_in_bytes")" = 67108864 ]
	[ "$(cat "$cpu/cpu.cfs_quota_us")" = 25000 ]
	[ "$(cat "$cpu/cpu.cfs_period_us")" = 100000 ]
	[ "$(cat "$cpu/cpu.shares")" = 256 ]
	# The container sees the same.
	run crictl_ exec -s "$CTR" cat /sys/fs/cgroup/memory/memory.limit_in_bytes
	[ "$output" = 67108864 ]

	# kubelet's in-place resize: update --resources -
	run crictl_ update --memory 100663296 --cpu-quota 40000 "$CTR"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(cat "$mem/memory.limit_in_bytes")" = 100663296 ]
	[ "$(cat "$cpu/cpu.cfs_quota_us")" = 40000 ]
	[ "$(crictl_ inspect -o json "$CTR" | jq -r .status.resources.linux.memoryLimitInBytes)" = 100663296 ]
}

@test "cri: a container over its memory limit is OOM-killed: reason OOMKilled" {
	pod_config p5 CONTAINER
	runp p5
	# dd's 64 MiB buffer, filled from /dev/zero, cannot fit in 16 MiB.
	ctr_config a '["dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=4"]' '.linux.resources = {memory_limit_in_bytes: 16777216}'
	create_start p5 a
	wait_cstate "$CTR" CONTAINER_EXITED 30
	run crictl_ inspect -o json "$CTR"
	echo "$output" | jq .status
	[ "$(jq -r .status.reason <<<"$output")" = OOMKilled ]
	[ "$(jq -r .status.exitCode <<<"$output")" = 137 ]
}

@test "cri: stop sends TERM, then KILL after the grace period; rm, stopp, rmp leave nothing" {
	pod_config p6 CONTAINER
	runp p6
	local pod=$POD spid
	spid=$(crictl_ inspectp -o json "$POD" | jq -r .info.pid)
	# a: exits 0 on TERM. b: ignores TERM (PID 1 without a handler).
	ctr_config a '["sh", "-c", "trap \"echo got-term; exit 0\" TERM; while :; do sleep 0.1; done"]'
	create_start p6 a
	local a=$CTR apid
	apid=$(crictl_ inspect -o json "$a" | jq -r .info.pid)
	ctr_config b '["sleep", "100000"]'
	create_start p6 b
	local b=$CTR bpid
	bpid=$(crictl_ inspect -o json "$b" | jq -r .info.pid)
	sleep 0.3

	local t0 t1
	t0=$(date +%s%N)
	run crictl_ stop --timeout 10 "$a"
	t1=$(date +%s%N)
	echo "$output"
	[ "$status" -eq 0 ]
	# TERM ended it well before the grace period.
	[ $(((t1 - t0) / 1000000)) -lt 8000 ]
	[ "$(crictl_ inspect -o json "$a" | jq -r .status.exitCode)" = 0 ]
	run crictl_ logs "$a"
	[[ "$output" == *got-term* ]]

	t0=$(date +%s%N)
	run crictl_ stop --timeout 2 "$b"
	t1=$(date +%s%N)
	echo "$output"
	[ "$status" -eq 0 ]
	# It took the grace period, then KILL.
	[ $(((t1 - t0) / 1000000)) -ge 2000 ]
	[ "$(crictl_ inspect -o json "$b" | jq -r .status.exitCode)" = 137 ]
	[ "$(cstate "$b")" = CONTAINER_EXITED ]

	run crictl_ rm "$a" "$b"
	echo "$output"
	[ "$status" -eq 0 ]
	run crictl_ stopp "$pod"
	echo "$output"
	[ "$status" -eq 0 ]
	run crictl_ rmp "$pod"
	echo "$output"
	[ "$status" -eq 0 ]
	POD_IDS=()

	# Nothing left: no task, no shim, no xrt state, no process, no
	# cgroup, no mount.
	[ -z "$(crictl_ pods -q --name p6)" ]
	is_gone "$apid"
	is_gone "$bpid"
	is_gone "$spid"
	for id in "$pod" "$a" "$b"; do
		[ ! -e "$CRI/xrt-state/k8s.io/$id" ]
		[ -z "$(pids_with_arg "$id")" ]
		[ -z "$(mounts_under "$CRI/state/io.containerd.runtime.v2.task/k8s.io/$id")" ]
		[ -z "$(timeout 10 ctr -a "$CRI/c.sock" -n k8s.io tasks ls -q | grep -x "$id")" ]
	done
	[ -z "$(cgroups_left "$CGP/p6")" ]
	[ -z "$(mounts_under "$CRI/state/io.containerd.grpc.v1.cri/sandboxes/$pod")" ]
}

@test "cri: bad input from the engine (rootfs gone, pid file's directory missing, console socket refusing): xrt's error in crictl's output, nothing left" {
	pod_config p7 CONTAINER
	runp p7
	engine_refusing_socket "$CRI/refuse.sock"
	local f want c
	for f in rootfs pidfile console; do
		case $f in
		rootfs) want=rootfs.vanished ;;
		pidfile) want="pid file $CRI/no-such-dir/init.pid" ;;
		console) want=refuse.sock ;;
		esac
		ctr_config "bad-$f" '["true"]' '.tty = true | .stdin = true'
		run crictl_ create --no-pull "$POD" "$BATS_TEST_TMPDIR/ctr-bad-$f.json" "$BATS_TEST_TMPDIR/p7.json"
		[ "$status" -eq 0 ]
		c=${lines[-1]}
		# The runtime is called at start (the shim's create).
		echo "$f" >"$CRI/fault"
		run crictl_ start "$c"
		rm -f "$CRI/fault"
		echo "$f: status $status: $output"
		[ "$status" -ne 0 ]
		[[ "$output" == *"$want"* ]]
		run crictl_ rm "$c"
		[ "$status" -eq 0 ]
		[ ! -e "$CRI/xrt-state/k8s.io/$c" ]
		[ -z "$(cgroups_named "$c")" ]
		[ -z "$(mounts_under "$CRI/state/io.containerd.runtime.v2.task/k8s.io/$c")" ]
		[ -z "$(pids_with_arg "$c")" ]
	done
	# The pod is still fine.
	[ "$(crictl_ inspectp -o json "$POD" | jq -r .status.state)" = SANDBOX_READY ]
}

@test "cri: every flag containerd's shim sent xrt is in the capture argv.bats checks" {
	engine_check_argv containerd-cri "$CRI/argv.log"
}
