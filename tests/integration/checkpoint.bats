#!/usr/bin/env bats
# Checkpoint and restore with CRIU: a counter keeps counting across a
# checkpoint, --leave-running, a pre-dump then a dump, a restore into a new
# cgroup, a container with a terminal (console socket), and bad input that
# must fail clearly and leave nothing behind.
#
# CRIU must work on the machine ("criu check"); Debian's CRIU 3.17 cannot
# dump on kernels as new as 6.18, so these tests skip there and run in the
# cgroup v2 guest of ../shared/v2vm (Debian's 6.1 kernel). CRIU also needs
# iptables-restore (it locks the network with it).
#
# The container's stdio are anonymous pipes or a pty: CRIU cannot dump a
# host file outside the container's mount namespace (such as the bats log).

load ../helpers

setup_file() {
	xrt_setup_file
	local why=
	if ! command -v criu >/dev/null; then
		why="criu is not installed"
	elif ! criu check >"$BATS_FILE_TMPDIR/criu-check" 2>&1; then
		why="criu check fails on this kernel ($(uname -r)): $(grep -m1 -i error "$BATS_FILE_TMPDIR/criu-check")"
	elif ! command -v iptables-restore >/dev/null; then
		why="CRIU needs iptables-restore (apt-get install iptables)"
	fi
	echo "$why" >"$BATS_FILE_TMPDIR/skip-reason"
	local root=$BATS_TEST_DIRNAME/../.. go
	go=$(command -v go || echo /usr/local/go/bin/go)
	if [ -x "$root/tests/bin/recvtty" ]; then
		cp "$root/tests/bin/recvtty" "$BATS_FILE_TMPDIR/recvtty"
	elif [ -x "$go" ]; then
		(cd "$root" && "$go" build -o "$BATS_FILE_TMPDIR/recvtty" ./tests/cmd/recvtty) >&2 || true
	fi
}

# needs_criu: skips a test that needs CRIU to dump and restore. The bad
# input tests that never reach CRIU run everywhere.
needs_criu() {
	local why
	why=$(cat "$BATS_FILE_TMPDIR/skip-reason")
	if [ -n "$why" ]; then
		skip "$why"
	fi
}

# fake_image DIR: a directory that passes for a checkpoint until CRIU reads it.
fake_image() {
	mkdir -p "$1"
	: >"$1/inventory.img"
}

setup() {
	xrt_setup
	IMG=$BATS_TEST_TMPDIR/image
	WORK=$BATS_TEST_TMPDIR/work
	# A counter kept in the shell's memory, written out every tick; /starts
	# gets a line each time the program starts from scratch.
	set_cmd 'echo start >>/starts; i=0; while :; do i=$((i+1)); echo $i >/count; sleep 0.2; done'
	setup_pipes
}

teardown() {
	xrt_teardown
}

# setup_pipes: anonymous pipes for the container's stdio: in_r/in_w,
# out_r/out_w (stdout and stderr).
setup_pipes() {
	exec {pipe}<> <(:)
	exec {in_r}</proc/self/fd/$pipe {in_w}>/proc/self/fd/$pipe
	exec {pipe}>&-
	exec {pipe}<> <(:)
	exec {out_r}</proc/self/fd/$pipe {out_w}>/proc/self/fd/$pipe
	exec {pipe}>&-
}

# piped ARGS...: the runtime with the pipes as stdio; sets status, and
# output from what it wrote (read for at most a second).
piped() {
	status=0
	timeout -k 5 "$XRT_TIMEOUT" "$XRT" --root "$ROOT" "$@" <&"$in_r" >&"$out_w" 2>&"$out_w" || status=$?
	if [ "$status" -ne 0 ]; then
		output=$(timeout 1 cat <&"$out_r" || true)
		echo "$* failed ($status): $output" >&2
	fi
}

count() { cat "$BUNDLE/rootfs/count" 2>/dev/null || echo 0; }

# wait_count_above N: until the counter is past N (30 s: the guest is slow).
wait_count_above() {
	local i
	for ((i = 0; i < 300; i++)); do
		[ "$(count)" -gt "$1" ] && return 0
		sleep 0.1
	done
	echo "counter stuck at $(count), wanted more than $1" >&2
	return 1
}

start_counter() {
	CREATED_IDS+=("$1")
	piped run -d --bundle "$BUNDLE" "$@"
	[ "$status" -eq 0 ]
	wait_count_above 2
}

# cgroup_of PID: the cgroup v2 path (or v1 pids path) of PID.
cgroup_of() {
	grep -E '^0::|:pids:' "/proc/$1/cgroup" | head -n1 | cut -d: -f3
}

@test "checkpoint and restore: the counter goes on from where it stopped" {
	needs_criu
	start_counter "$CID"
	piped checkpoint --image-path "$IMG" --work-path "$WORK" "$CID"
	[ "$status" -eq 0 ]
	[ -e "$IMG/inventory.img" ]
	[ -e "$WORK/dump.log" ]
	# Checkpointed: the container is gone, nothing counts.
	run xrt state "$CID"
	[ "$status" -ne 0 ]
	local c1
	c1=$(count)
	sleep 1
	[ "$(count)" -eq "$c1" ]

	piped restore -d --image-path "$IMG" --work-path "$WORK" --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(state_field "$CID" status)" = running ]
	wait_count_above "$c1"
	# Not started again: the same program, its memory restored.
	[ "$(wc -l <"$BUNDLE/rootfs/starts")" -eq 1 ]

	# A normal container: exec, pause, resume, kill, delete.
	run xrt exec "$CID" cat /count
	[ "$status" -eq 0 ]
	[ "$output" -ge "$c1" ]
	run xrt pause "$CID"
	[ "$status" -eq 0 ]
	[ "$(state_field "$CID" status)" = paused ]
	run xrt resume "$CID"
	[ "$status" -eq 0 ]
	[ "$(state_field "$CID" status)" = running ]
	run xrt kill "$CID" KILL
	[ "$status" -eq 0 ]
	wait_for_state "$CID" stopped 30
	run xrt delete "$CID"
	[ "$status" -eq 0 ]
	assert_no_leftovers
}

@test "checkpoint --leave-running: the container keeps running; the image restores" {
	needs_criu
	# org.criu.config (a potentially unsafe annotation, says features):
	# CRIU reads the file, whose log-file overrides xrt's dump.log.
	echo "log-file=custom.log" >"$BATS_TEST_TMPDIR/criu.conf"
	update_config '.annotations["org.criu.config"] = $f' --arg f "$BATS_TEST_TMPDIR/criu.conf"
	start_counter "$CID"
	piped checkpoint --leave-running --image-path "$IMG" "$CID"
	[ "$status" -eq 0 ]
	[ -e "$IMG/inventory.img" ]
	[ -s "$IMG/custom.log" ]
	[ ! -e "$IMG/dump.log" ]
	[ "$(state_field "$CID" status)" = running ]
	local c1
	c1=$(count)
	wait_count_above "$c1"

	run xrt delete -f "$CID"
	[ "$status" -eq 0 ]
	piped restore -d --image-path "$IMG" --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(state_field "$CID" status)" = running ]
	c1=$(count)
	wait_count_above "$c1"
	[ "$(wc -l <"$BUNDLE/rootfs/starts")" -eq 1 ]
}

@test "checkpoint --pre-dump, then a dump on top of it, then restore" {
	needs_criu
	start_counter "$CID"
	mkdir "$BATS_TEST_TMPDIR/parent"
	piped checkpoint --pre-dump --image-path "$BATS_TEST_TMPDIR/parent" "$CID"
	[ "$status" -eq 0 ]
	[ "$(state_field "$CID" status)" = running ]

	# --parent-path is relative to the image directory, as with runc.
	run xrt checkpoint --parent-path "$BATS_TEST_TMPDIR/parent" --image-path "$IMG" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--parent-path"* ]]
	[ "$(state_field "$CID" status)" = running ]

	piped checkpoint --parent-path ../parent --image-path "$IMG" "$CID"
	[ "$status" -eq 0 ]
	[ -L "$IMG/parent" ]
	local c1
	c1=$(count)
	piped restore -d --image-path "$IMG" --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	wait_count_above "$c1"
	[ "$(wc -l <"$BUNDLE/rootfs/starts")" -eq 1 ]
}

@test "restore into a new cgroup (linux.cgroupsPath changed)" {
	needs_criu
	local old=/xrtck-$$-a new=/xrtck-$$-b pid
	update_config '.linux.cgroupsPath = $p' --arg p "$old"
	start_counter "$CID"
	pid=$(state_field "$CID" pid)
	[ "$(cgroup_of "$pid")" = "$old" ]
	piped checkpoint --image-path "$IMG" "$CID"
	[ "$status" -eq 0 ]
	[ -z "$(cgroups_named "${old#/}")" ]

	update_config '.linux.cgroupsPath = $p' --arg p "$new"
	piped restore -d --image-path "$IMG" --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" "$CID"
	[ "$status" -eq 0 ]
	pid=$(cat "$BATS_TEST_TMPDIR/pid")
	[ "$pid" = "$(state_field "$CID" pid)" ]
	[ "$(cgroup_of "$pid")" = "$new" ]
	[ -z "$(cgroups_named "${old#/}")" ]
	run xrt delete -f "$CID"
	[ "$status" -eq 0 ]
	[ -z "$(cgroups_named "${new#/}")" ]
}

# tty_recv NAME: a recvtty on NAME.sock writing the pty's output to NAME.out.
tty_recv() {
	SOCK=$BATS_TEST_TMPDIR/$1.sock
	"$BATS_FILE_TMPDIR/recvtty" --once --timeout 120s --output "$BATS_TEST_TMPDIR/$1.out" "$SOCK" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/$1.err" &
	BG_PIDS+=("$!")
	wait_for_file "$SOCK"
}

@test "checkpoint and restore a container with a terminal (console socket)" {
	needs_criu
	[ -x "$BATS_FILE_TMPDIR/recvtty" ] || skip "recvtty is missing (make testbin)"
	update_config '.process.terminal = true'
	set_cmd 'i=0; while :; do i=$((i+1)); echo tick $i; echo $i >/count; sleep 0.3; done'
	tty_recv one
	CREATED_IDS+=("$CID")
	run xrt run -d --console-socket "$SOCK" --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	wait_count_above 2
	run xrt checkpoint --image-path "$IMG" "$CID"
	[ "$status" -eq 0 ]
	local c1
	c1=$(count)
	grep -q "tick" "$BATS_TEST_TMPDIR/one.out"

	tty_recv two
	run xrt restore -d --console-socket "$SOCK" --image-path "$IMG" --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(state_field "$CID" status)" = running ]
	wait_count_above $((c1 + 2))
	# The restored pty's master reached the new console socket: the ticks
	# go on there, numbered after the checkpoint's.
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q "tick $((c1 + 1))" "$BATS_TEST_TMPDIR/two.out" && break
		sleep 0.1
	done
	grep "tick $((c1 + 1))" "$BATS_TEST_TMPDIR/two.out"
	# init's stdio is still the container's pty.
	run xrt exec "$CID" readlink /proc/1/fd/0
	[ "$status" -eq 0 ]
	[[ "$output" == /dev/pts/* ]]
}

@test "checkpoint refuses a created and a stopped container" {
	CREATED_IDS+=("$CID")
	piped create --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	run xrt checkpoint --image-path "$IMG" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *created* ]]
	[ "$(state_field "$CID" status)" = created ]
	[ ! -e "$IMG" ]

	piped start "$CID"
	wait_count_above 1
	run xrt kill "$CID" KILL
	wait_for_state "$CID" stopped 30
	run xrt checkpoint --image-path "$IMG" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *stopped* ]]
	[ ! -e "$IMG" ]
}

# containerd pauses a task before it checkpoints it (and resumes it after).
@test "checkpoint of a paused container, as runc: --leave-running keeps it paused; the image restores it running" {
	needs_criu
	start_counter "$CID"
	run xrt pause "$CID"
	[ "$status" -eq 0 ]
	local c1
	c1=$(count)
	piped checkpoint --leave-running --image-path "$IMG" "$CID"
	[ "$status" -eq 0 ]
	[ -e "$IMG/inventory.img" ]
	[ "$(state_field "$CID" status)" = paused ]
	sleep 1
	[ "$(count)" -eq "$c1" ]
	run xrt resume "$CID"
	[ "$status" -eq 0 ]
	wait_count_above "$c1"

	run xrt delete -f "$CID"
	[ "$status" -eq 0 ]
	piped restore -d --image-path "$IMG" --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	# The dump was of frozen processes: the restored ones run (CRIU
	# thaws what it restores), and xrt says so.
	c1=$(count)
	wait_count_above "$c1"
	[ "$(state_field "$CID" status)" = running ]
	[ "$(wc -l <"$BUNDLE/rootfs/starts")" -eq 1 ]
}

@test "a checkpoint CRIU fails names CRIU's log and leaves the container running" {
	needs_criu
	start_counter "$CID"
	local pid
	pid=$(state_field "$CID" pid)
	# Nothing listens there: CRIU fails once it has frozen the container.
	run xrt checkpoint --page-server 127.0.0.1:1 --image-path "$IMG" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	xrt_only "xrt names CRIU's log"
	[[ "$output" == *"$IMG/dump.log"* ]]
	[ "$(state_field "$CID" status)" = running ]
	[ "$(state_field "$CID" pid)" = "$pid" ]
	local c1
	c1=$(count)
	wait_count_above "$c1"
}

@test "restore from a missing or empty image directory fails and leaves nothing" {
	run xrt restore -d --image-path "$BATS_TEST_TMPDIR/nothing" --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *nothing* ]]
	[ ! -e "$ROOT/$CID" ]
	mkdir "$BATS_TEST_TMPDIR/empty"
	run xrt restore -d --image-path "$BATS_TEST_TMPDIR/empty" --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"no checkpoint"* || "$output" == *inventory* || "$output" == *criu* ]]
	assert_no_leftovers
}

@test "restore from a corrupt image fails, names CRIU's log and leaves nothing" {
	needs_criu
	# A real image, its process state damaged.
	start_counter "$CID"
	piped checkpoint --image-path "$IMG" "$CID"
	[ "$status" -eq 0 ]
	local f
	for f in "$IMG"/core-*.img "$IMG"/pstree.img; do
		head -c 64 /dev/urandom >"$f"
	done
	run xrt restore -d --image-path "$IMG" --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	xrt_only "xrt names CRIU's log"
	[[ "$output" == *"$IMG/restore.log"* ]]
	assert_no_leftovers
	refute grep -q criu-root /proc/self/mountinfo
}

@test "restore with an id already in use fails and leaves that container alone" {
	start_counter "$CID"
	fake_image "$IMG"
	local pid
	pid=$(state_field "$CID" pid)
	run xrt restore -d --image-path "$IMG" --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"already exists"* ]]
	[ "$(state_field "$CID" status)" = running ]
	[ "$(state_field "$CID" pid)" = "$pid" ]
}

@test "without CRIU: a clear error, the container untouched, nothing made" {
	xrt_only "xrt's message"
	start_counter "$CID"
	fake_image "$IMG"
	run env PATH=/nonexistent "$XRT" --root "$ROOT" checkpoint --image-path "$BATS_TEST_TMPDIR/new" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"CRIU is not installed"* ]]
	[ "$(state_field "$CID" status)" = running ]
	[ ! -e "$BATS_TEST_TMPDIR/new" ]
	run env PATH=/nonexistent "$XRT" --root "$ROOT" restore -d --image-path "$IMG" --bundle "$BUNDLE" other
	[ "$status" -ne 0 ]
	[[ "$output" == *"CRIU is not installed"* ]]
	[ ! -e "$ROOT/other" ]
	[ -z "$(cgroups_named other)" ]
}

@test "checkpoint and restore an image-mode container: its overlay root comes back" {
	needs_criu
	[ -x "$TESTBIN/mkimage" ] || skip "tests/bin/mkimage missing: run 'make testbin'"
	local images=$BATS_TEST_TMPDIR/images store=$BUNDLE/store base=$BATS_TEST_TMPDIR/base pid c1
	mkdir -p "$images"
	"$TESTBIN/mkimage" --fixtures "$images/fix" >&2
	mkdir "$base" # no config.json: xrt's default spec, as image.bats
	# Changes to the root before the counter starts: a lower file
	# removed (a whiteout), a lower directory replaced (an opaque one),
	# a new file.
	local script='rm /data/a; rm -r /data/dir; mkdir /data/dir; echo new >/data/dir/y; echo kept >/marker
		echo start >>/starts; i=0; while :; do i=$((i+1)); echo $i >/count; sleep 0.2; done'
	CREATED_IDS+=("$CID")
	piped --store "$store" run -d --bundle "$base" --image "$images/fix" "$CID" -- sh -c "$script"
	[ "$status" -eq 0 ]
	pid=$(state_field "$CID" pid)
	# The counter is read through init's root: the overlay is mounted in
	# the container's mount namespace only.
	icount() { cat "/proc/$pid/root/count" 2>/dev/null || echo 0; }
	local i
	for ((i = 0; i < 300; i++)); do
		[ "$(icount)" -gt 2 ] && break
		sleep 0.1
	done
	[ "$(icount)" -gt 2 ]

	piped --store "$store" checkpoint --image-path "$IMG" "$CID"
	[ "$status" -eq 0 ]
	[ -s "$IMG/rootfs-diff.tar" ]
	c1=$(tar -xOf "$IMG/rootfs-diff.tar" count)
	[ "$c1" -gt 2 ]
	# The container is gone, its root with it.
	run xrt state "$CID"
	[ "$status" -ne 0 ]
	[ ! -e "$store/containers/$CID" ]
	[ -z "$(mounts_under "$store")" ]

	# Without --image the checkpoint says what it needs.
	run xrt --store "$store" restore -d --image-path "$IMG" --bundle "$base" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--image"* ]]
	[ ! -e "$ROOT/$CID" ]

	piped --store "$store" restore -d --image-path "$IMG" --bundle "$base" --image "$images/fix" "$CID"
	[ "$status" -eq 0 ]
	[ "$(state_field "$CID" status)" = running ]
	pid=$(state_field "$CID" pid)
	for ((i = 0; i < 300; i++)); do
		[ "$(icount)" -gt "$c1" ] && break
		sleep 0.1
	done
	[ "$(icount)" -gt "$c1" ]
	# The same program, not started again, on the same root: the image's
	# files under the changes it made before the checkpoint.
	[ "$(wc -l <"/proc/$pid/root/starts")" -eq 1 ]
	[ "$(cat "/proc/$pid/root/marker")" = kept ]
	[ ! -e "/proc/$pid/root/data/a" ]
	[ ! -e "/proc/$pid/root/data/dir/x" ]
	[ "$(cat "/proc/$pid/root/data/dir/y")" = new ]
	[ "$(cat "/proc/$pid/root/data/c")" = c-new ]
	# Its root is an overlay again, in its own mount namespace only.
	[ "$(awk '$5 == "/" {for (i = 7; i <= NF; i++) if ($i == "-") print $(i + 1)}' "/proc/$pid/mountinfo")" = overlay ]
	[ -d "$store/containers/$CID/upper" ]
	[ -z "$(mounts_under "$store")" ]
	run xrt --store "$store" exec "$CID" cat /marker
	[ "$status" -eq 0 ]
	[ "$output" = kept ]

	run xrt --store "$store" delete -f "$CID"
	[ "$status" -eq 0 ]
	[ ! -e "$store/containers/$CID" ]
	[ -z "$(mounts_under "$store")" ]
}

# runc's --lazy-pages test waits 2 s for the page server, too short under
# TCG for either runtime: the same flow with time to spare.
@test "checkpoint --lazy-pages --page-server, then a lazy restore under another id" {
	needs_criu
	criu check --feature uffd-noncoop >/dev/null 2>&1 || skip "CRIU has no lazy-pages support here (uffd-noncoop)"
	start_counter "$CID"
	local port=27279 st_r st_w cpt lp c1 out
	exec {pipe}<> <(:)
	exec {st_r}</proc/self/fd/$pipe {st_w}>/proc/self/fd/$pipe
	exec {pipe}>&-
	mkdir -p "$IMG"
	"$XRT" --root "$ROOT" checkpoint --lazy-pages --page-server "127.0.0.1:$port" --status-fd "$st_w" \
		--image-path "$IMG" "$CID" </dev/null >"$BATS_TEST_TMPDIR/cpt.out" 2>&1 3>&- &
	cpt=$!
	BG_PIDS+=("$cpt")
	exec {st_w}>&-
	# \0 on the status fd once CRIU serves the pages.
	out=$(timeout 120 dd bs=1 count=1 <&"$st_r" 2>/dev/null | od -An -tx1 | tr -d ' \n')
	exec {st_r}>&-
	cat "$BATS_TEST_TMPDIR/cpt.out"
	[ "$out" = 00 ]
	[ -e "$IMG/inventory.img" ]
	# Not blocked behind the checkpoint: the lock is free while CRIU serves.
	run timeout 30 "$XRT" --root "$ROOT" state "$CID"
	[ "$status" -eq 0 ]
	c1=$(count)
	criu lazy-pages --page-server --address 127.0.0.1 --port "$port" -D "$IMG" </dev/null >"$BATS_TEST_TMPDIR/lp.out" 2>&1 3>&- &
	lp=$!
	BG_PIDS+=("$lp")
	CREATED_IDS+=("$CID-r")
	piped restore -d --lazy-pages --image-path "$IMG" --bundle "$BUNDLE" "$CID-r"
	[ "$status" -eq 0 ]
	# Every page fetched, the checkpoint ends and removes the original.
	local rc=0
	wait "$cpt" || rc=$?
	cat "$BATS_TEST_TMPDIR/cpt.out" "$BATS_TEST_TMPDIR/lp.out"
	[ "$rc" -eq 0 ]
	wait "$lp" || true
	run xrt state "$CID"
	[ "$status" -ne 0 ]
	[ "$(state_field "$CID-r" status)" = running ]
	wait_count_above "$c1"
	[ "$(wc -l <"$BUNDLE/rootfs/starts")" -eq 1 ]
}
