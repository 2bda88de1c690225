#!/usr/bin/env bats
# Container lifecycle and the runc-compatible command line: create, start,
# state, kill, delete, list, run, --pid-file, --log, --version.

load ../helpers

# A container that runs until the test creates /go in its rootfs.
wait_for_go() {
	set_cmd 'while [ ! -e /go ]; do sleep 0.05; done'
}

@test "lifecycle: create -> created, start -> running, exit -> stopped, delete" {
	wait_for_go
	xrt_create "$CID"
	[ "$status" -eq 0 ]

	run xrt state "$CID"
	[ "$status" -eq 0 ]
	[ "$(jq -r .status <<<"$output")" = created ]
	pid=$(jq -r .pid <<<"$output")
	[ "$pid" -gt 1 ]
	kill -0 "$pid"

	run xrt start "$CID"
	[ "$status" -eq 0 ]
	[ "$(state_field "$CID" status)" = running ]
	[ "$(state_field "$CID" pid)" = "$pid" ]

	touch "$BUNDLE/rootfs/go"
	wait_for_state "$CID" stopped
	# runc reports pid 0 for a stopped container.
	[ "$(state_field "$CID" pid)" = 0 ]

	run xrt delete "$CID"
	[ "$status" -eq 0 ]
	run xrt state "$CID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"does not exist"* ]]
	assert_no_leftovers
}

@test "lifecycle: start of a running container fails, of a stopped one too" {
	wait_for_go
	xrt_create "$CID"
	[ "$status" -eq 0 ]
	run xrt start "$CID"
	[ "$status" -eq 0 ]
	run xrt start "$CID"
	[ "$status" -eq 1 ]
	[ "$(state_field "$CID" status)" = running ]

	touch "$BUNDLE/rootfs/go"
	wait_for_state "$CID" stopped
	run xrt start "$CID"
	[ "$status" -eq 1 ]
	[[ "$output" == *stopped* ]]
}

@test "lifecycle: delete of a running container without --force fails" {
	wait_for_go
	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	run xrt delete "$CID"
	[ "$status" -eq 1 ]
	[ "$(state_field "$CID" status)" = running ]
	run xrt delete --force "$CID"
	[ "$status" -eq 0 ]
	assert_no_leftovers
}

@test "lifecycle: delete --force of a created container kills it" {
	wait_for_go
	xrt_create "$CID"
	[ "$status" -eq 0 ]
	pid=$(state_field "$CID" pid)
	run xrt delete -f "$CID"
	[ "$status" -eq 0 ]
	wait_pid_gone "$pid"
	assert_no_leftovers
}

@test "lifecycle: create with an id already in use fails with 'already exists'" {
	wait_for_go
	xrt_create "$CID"
	[ "$status" -eq 0 ]
	pid=$(state_field "$CID" pid)

	xrt_create "$CID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"already exists"* ]]
	# The first container is untouched.
	[ "$(state_field "$CID" status)" = created ]
	[ "$(state_field "$CID" pid)" = "$pid" ]
}

@test "lifecycle: invalid container ids are refused" {
	for id in 'a/b' '..' '.' '' '../escape' 'a b' 'a:b' 'x@y'; do
		xrt_create "$id"
		echo "id '$id': status $status: $output"
		[ "$status" -eq 1 ]
	done
	# Nothing was created anywhere near the root.
	[ -z "$(ls -A "$ROOT")" ]
	[ ! -e "$ROOT/../escape" ]
	[ -z "$(procs_in_dir "$BUNDLE/rootfs")" ]
}

@test "lifecycle: start/state/kill/delete of a nonexistent container: exit 1, 'does not exist'" {
	for cmd in start state kill delete; do
		run xrt $cmd nosuchcontainer
		echo "$cmd: status $status: $output"
		[ "$status" -eq 1 ]
		[[ "$output" == *"does not exist"* ]]
	done
}

@test "lifecycle: delete --force of a missing or deleted container exits 0" {
	run xrt delete --force nosuchcontainer
	[ "$status" -eq 0 ]

	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	wait_for_state "$CID" stopped
	run xrt delete "$CID"
	[ "$status" -eq 0 ]
	run xrt delete -f "$CID"
	[ "$status" -eq 0 ]
	run xrt delete "$CID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"does not exist"* ]]
}

@test "list: table, -q and -f json" {
	run xrt list
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	read -ra hdr <<<"${lines[0]}"
	[ "${hdr[*]}" = "ID PID STATUS BUNDLE CREATED OWNER" ]

	# runc prints null (not []) for no containers.
	run xrt list -f json
	[ "$status" -eq 0 ]
	[ "$output" = null ]

	wait_for_go
	xrt_create "${CID}a"
	[ "$status" -eq 0 ]
	xrt_create "${CID}b"
	[ "$status" -eq 0 ]
	xrt start "${CID}b"
	pida=$(state_field "${CID}a" pid)

	run xrt list
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	read -ra a <<<"${lines[1]}"
	[ "${a[0]}" = "${CID}a" ]
	[ "${a[1]}" = "$pida" ]
	[ "${a[2]}" = created ]
	[ "${a[3]}" = "$BUNDLE" ]
	[[ "${a[4]}" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$ ]]
	[ "${a[5]}" = root ]
	read -ra b <<<"${lines[2]}"
	[ "${b[0]}" = "${CID}b" ]
	[ "${b[2]}" = running ]

	run xrt list -q
	[ "$status" -eq 0 ]
	[ "$output" = "${CID}a
${CID}b" ]

	run xrt list --format json
	[ "$status" -eq 0 ]
	[ "$(jq -r 'length' <<<"$output")" = 2 ]
	[ "$(jq -r '.[0].id' <<<"$output")" = "${CID}a" ]
	[ "$(jq -r '.[0].status' <<<"$output")" = created ]
	[ "$(jq -r '.[0].pid' <<<"$output")" = "$pida" ]
	[ "$(jq -r '.[0].bundle' <<<"$output")" = "$BUNDLE" ]
	[ "$(jq -r '.[0].rootfs' <<<"$output")" = "$BUNDLE/rootfs" ]
	[ "$(jq -r '.[0].owner' <<<"$output")" = root ]
	[ "$(jq -r '.[1].status' <<<"$output")" = running ]
	[ "$(jq -r '.[0] | has("ociVersion") and has("created")' <<<"$output")" = true ]

	run xrt list -f bogus
	[ "$status" -eq 1 ]
}

@test "state: JSON has ociVersion, id, pid, status, bundle, rootfs, created, owner, annotations" {
	wait_for_go
	update_config '.annotations = {"org.xrt.test": "yes", "k": "v"}'
	xrt_create "$CID"
	[ "$status" -eq 0 ]

	run xrt state "$CID"
	[ "$status" -eq 0 ]
	st=$output
	[ "$(jq -r 'keys_unsorted | join(",")' <<<"$st")" = "ociVersion,id,pid,status,bundle,rootfs,created,annotations,owner" ]
	[ -n "$(jq -r .ociVersion <<<"$st")" ]
	[ "$(jq -r .id <<<"$st")" = "$CID" ]
	[ "$(jq -r '.pid | type' <<<"$st")" = number ]
	[ "$(jq -r .status <<<"$st")" = created ]
	[ "$(jq -r .bundle <<<"$st")" = "$BUNDLE" ]
	[ "$(jq -r .rootfs <<<"$st")" = "$BUNDLE/rootfs" ]
	# RFC 3339 with nanoseconds, UTC.
	[[ "$(jq -r .created <<<"$st")" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$ ]]
	[ "$(jq -r .owner <<<"$st")" = "" ]
	[ "$(jq -c .annotations <<<"$st")" = '{"k":"v","org.xrt.test":"yes"}' ]
	# Pretty-printed like runc (indented object, no trailing newline noise).
	[ "${lines[0]}" = "{" ]
	[[ "${lines[1]}" == '  "ociVersion": '* ]]
}

@test "state: no annotations key when the config has none (runc compat)" {
	wait_for_go
	update_config 'del(.annotations)'
	xrt_create "$CID"
	[ "$status" -eq 0 ]
	run xrt state "$CID"
	[ "$status" -eq 0 ]
	[ "$(jq -r 'keys_unsorted | join(",")' <<<"$output")" = "ociVersion,id,pid,status,bundle,rootfs,created,owner" ]
}

@test "state: persists across invocations and notices an init killed behind its back" {
	wait_for_go
	xrt_create "$CID"
	[ "$status" -eq 0 ]
	s1=$(xrt state "$CID")
	s2=$(xrt state "$CID")
	[ "$s1" = "$s2" ]
	xrt start "$CID"
	s3=$(xrt state "$CID")
	[ "$(jq -r .created <<<"$s1")" = "$(jq -r .created <<<"$s3")" ]
	[ "$(jq -r .pid <<<"$s1")" = "$(jq -r .pid <<<"$s3")" ]

	pid=$(jq -r .pid <<<"$s3")
	kill -KILL "$pid"
	wait_for_state "$CID" stopped
	run xrt delete "$CID"
	[ "$status" -eq 0 ]
	assert_no_leftovers
}

@test "create --pid-file writes the init pid" {
	wait_for_go
	xrt_create --pid-file "$BATS_TEST_TMPDIR/init.pid" "$CID"
	[ "$status" -eq 0 ]
	[ -f "$BATS_TEST_TMPDIR/init.pid" ]
	[ "$(cat "$BATS_TEST_TMPDIR/init.pid")" = "$(state_field "$CID" pid)" ]
	# Relative --pid-file is relative to the caller's cwd.
	cd "$BATS_TEST_TMPDIR"
	xrt_create --pid-file rel.pid "${CID}r"
	[ "$status" -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/rel.pid")" = "$(state_field "${CID}r" pid)" ]
}

@test "create: the bundle defaults to the cwd and relative --bundle is resolved" {
	wait_for_go
	cd "$BUNDLE"
	CREATED_IDS+=("$CID")
	xrt_detached create "$CID"
	[ "$status" -eq 0 ]
	[ "$(state_field "$CID" bundle)" = "$BUNDLE" ]

	cd "$BUNDLE/.."
	CREATED_IDS+=("${CID}b")
	xrt_detached create --bundle "$(basename "$BUNDLE")" "${CID}b"
	[ "$status" -eq 0 ]
	[ "$(state_field "${CID}b" bundle)" = "$BUNDLE" ]
}

@test "create: missing bundle fails and leaves nothing" {
	CREATED_IDS+=("$CID")
	xrt_detached create --bundle "$BATS_TEST_TMPDIR/nonexistent" "$CID"
	[ "$status" -eq 1 ]
	assert_no_leftovers
}

# The container's trap writes the signal name it got to /sig.
signal_catcher() {
	set_cmd 'for s in TERM HUP USR1 INT; do trap "echo $s > /sig; exit 0" $s; done; touch /ready; while :; do sleep 0.05; done'
}

@test "kill: 15, TERM, SIGTERM, sigterm and the default all deliver SIGTERM" {
	signal_catcher
	n=0
	for form in 15 TERM SIGTERM sigterm ''; do
		n=$((n + 1))
		id=$CID-$n
		rm -f "$BUNDLE/rootfs/sig" "$BUNDLE/rootfs/ready"
		xrt_run_d "$id"
		[ "$status" -eq 0 ]
		wait_for_file "$BUNDLE/rootfs/ready"
		if [ -n "$form" ]; then
			run xrt kill "$id" "$form"
		else
			run xrt kill "$id"
		fi
		echo "form '$form': $status $output"
		[ "$status" -eq 0 ]
		wait_for_state "$id" stopped
		[ "$(cat "$BUNDLE/rootfs/sig")" = TERM ]
		run xrt delete "$id"
		[ "$status" -eq 0 ]
	done
}

@test "kill: other signals by name and number" {
	signal_catcher
	n=0
	for pair in HUP:HUP 1:HUP SIGUSR1:USR1 10:USR1 INT:INT; do
		n=$((n + 1))
		id=$CID-$n
		rm -f "$BUNDLE/rootfs/sig" "$BUNDLE/rootfs/ready"
		xrt_run_d "$id"
		[ "$status" -eq 0 ]
		wait_for_file "$BUNDLE/rootfs/ready"
		run xrt kill "$id" "${pair%%:*}"
		[ "$status" -eq 0 ]
		wait_for_state "$id" stopped
		[ "$(cat "$BUNDLE/rootfs/sig")" = "${pair#*:}" ]
		xrt delete "$id"
	done
}

@test "kill: KILL stops a container, unknown signals fail, a stopped container cannot be signalled" {
	wait_for_go
	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	run xrt kill "$CID" BOGUS
	[ "$status" -eq 1 ]
	[ "$(state_field "$CID" status)" = running ]
	run xrt kill "$CID" KILL
	[ "$status" -eq 0 ]
	wait_for_state "$CID" stopped
	run xrt kill "$CID" KILL
	[ "$status" -eq 1 ]
	[[ "$output" == *"not running"* ]]
}

@test "kill: a created container can be killed" {
	wait_for_go
	xrt_create "$CID"
	[ "$status" -eq 0 ]
	pid=$(state_field "$CID" pid)
	run xrt kill "$CID" KILL
	[ "$status" -eq 0 ]
	wait_pid_gone "$pid"
	wait_for_state "$CID" stopped
}

@test "run: the exit code is the container's" {
	set_cmd 'exit 3'
	CREATED_IDS+=("$CID")
	run xrt run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 3 ]

	set_args false
	run xrt run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 1 ]

	set_args true
	run xrt run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	# A foreground run deletes the container when it exits.
	run xrt state "$CID"
	[ "$status" -eq 1 ]
	assert_no_leftovers
}

@test "run: stdout and stderr of the container reach the caller" {
	set_cmd 'echo to-stdout; echo to-stderr >&2'
	CREATED_IDS+=("$CID")
	xrt run --bundle "$BUNDLE" "$CID" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err"
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = to-stdout ]
	grep -qx to-stderr "$BATS_TEST_TMPDIR/err"
}

@test "run: a container killed by SIGKILL gives 137" {
	wait_for_go
	xrt_run_bg "$BATS_TEST_TMPDIR/run.log" "$CID"
	wait_for_state "$CID" running
	run xrt kill "$CID" KILL
	[ "$status" -eq 0 ]
	wait_bg "$BG_PID"
	cat "$BATS_TEST_TMPDIR/run.log"
	[ "$rc" -eq 137 ]
}

@test "run -d: returns at once, the container keeps running" {
	wait_for_go
	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	[ "$(state_field "$CID" status)" = running ]
	touch "$BUNDLE/rootfs/go"
	wait_for_state "$CID" stopped
	run xrt delete "$CID"
	[ "$status" -eq 0 ]
	assert_no_leftovers
}

@test "run: the process starts once init is set up, without exec.fifo, unless a poststart hook is to run first" {
	set_cmd 'echo ran'
	CREATED_IDS+=("$CID")
	run xrt --debug run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"init: closing the pipe to signal completion (ready, the process starts now)"* ]]
	[[ "$output" != *"waiting for start"* ]]
	[[ "$output" == *ran* ]]

	# A poststart hook runs once the process is started, before run goes
	# on: init waits on exec.fifo for run's start, as for create/start.
	update_config '.hooks = {"poststart": [{"path": "/bin/sh", "args": ["sh", "-c", "cat > \($d)/poststart.json"]}]}' \
		--arg d "$BATS_TEST_TMPDIR"
	run xrt --debug run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"init: closing the pipe to signal completion (ready, waiting for start)"* ]]
	jq -e --arg id "$CID" '.id == $id and .status == "running"' "$BATS_TEST_TMPDIR/poststart.json"

	# create keeps its split from start whatever the hooks.
	update_config 'del(.hooks)'
	set_cmd 'sleep 10'
	xrt_detached --debug --log "$BATS_TEST_TMPDIR/create.log" create --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	grep -q 'waiting for start' "$BATS_TEST_TMPDIR/create.log"
	[ "$(state_field "$CID" status)" = created ]
	run xrt delete -f "$CID"
	assert_no_leftovers
}

@test "--log FILE --log-format json: a failing create logs JSON lines with level, msg, time and the cause" {
	set_args this-command-does-not-exist
	CREATED_IDS+=("$CID")
	log=$BATS_TEST_TMPDIR/log.json
	run xrt --log "$log" --log-format json create --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 1 ]
	[ -s "$log" ]
	cat "$log"
	# Every line is a JSON object with level, msg and time.
	while IFS= read -r l; do
		[ "$(jq -r 'has("level") and has("msg") and has("time")' <<<"$l")" = true ]
	done <"$log"
	grep '"level":"error"' "$log" | grep -q 'executable file not found'
	[ "$(jq -rs '[.[] | select(.level == "error")] | length' "$log")" -ge 1 ]
	[[ "$(jq -rs '.[-1].time' "$log")" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T ]]
	assert_no_leftovers
}

@test "--version prints 'NAME version X', 'commit: Y', 'spec: ...'" {
	run "$XRT" --version
	[ "$status" -eq 0 ]
	name=$(runtime_name)
	[[ "${lines[0]}" =~ ^$name\ version\ [^\ ]+$ ]]
	[[ "${lines[1]}" =~ ^commit:\ [^\ ]+$ ]]
	if is_runc; then
		[[ "${lines[2]}" =~ ^spec:\ [0-9]+\.[0-9]+\.[0-9]+ ]]
	else
		# xrt implements runtime-spec 1.3.0.
		[ "${lines[2]}" = "spec: 1.3.0" ]
	fi
	run "$XRT" -v
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^$name\ version ]]
}

@test "engine call shape: --root R --log B/log.json --log-format json create --bundle B --pid-file B/init.pid ID" {
	wait_for_go
	CREATED_IDS+=("$CID")
	status=0
	"$XRT" --root "$ROOT" --log "$BUNDLE/log.json" --log-format json \
		create --bundle "$BUNDLE" --pid-file "$BUNDLE/init.pid" "$CID" \
		</dev/null >"$BATS_TEST_TMPDIR/out" 2>&1 || status=$?
	cat "$BATS_TEST_TMPDIR/out"
	[ "$status" -eq 0 ]
	[ "$(cat "$BUNDLE/init.pid")" = "$(state_field "$CID" pid)" ]
	"$XRT" --root "$ROOT" --log "$BUNDLE/log.json" --log-format json start "$CID"
	[ "$(state_field "$CID" status)" = running ]
	"$XRT" --root "$ROOT" --log "$BUNDLE/log.json" --log-format json kill "$CID" KILL
	wait_for_state "$CID" stopped
	"$XRT" --root "$ROOT" --log "$BUNDLE/log.json" --log-format json delete "$CID"
	# Whatever was logged is JSON lines.
	if [ -s "$BUNDLE/log.json" ]; then
		jq -e . "$BUNDLE/log.json" >/dev/null
	fi
	assert_no_leftovers
}

@test "engine call shape: --log-format=json --log F create ..." {
	wait_for_go
	CREATED_IDS+=("$CID")
	status=0
	"$XRT" --root="$ROOT" --log-format=json --log "$BATS_TEST_TMPDIR/l.json" \
		create --bundle="$BUNDLE" "$CID" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1 || status=$?
	cat "$BATS_TEST_TMPDIR/out"
	[ "$status" -eq 0 ]
	[ "$(state_field "$CID" status)" = created ]

	# The same flags with a failure: the error lands in the log as JSON.
	status=0
	"$XRT" --root="$ROOT" --log-format=json --log "$BATS_TEST_TMPDIR/l.json" \
		create --bundle="$BUNDLE" "$CID" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1 || status=$?
	[ "$status" -eq 1 ]
	jq -rs '.[] | select(.level == "error") | .msg' "$BATS_TEST_TMPDIR/l.json" | grep -q "already exists"
}

@test "unknown command: usage error, non-zero exit" {
	run "$XRT" no-such-command
	[ "$status" -ne 0 ]
	# A missing container id: exit 1 and a message (runc's is
	# '"state" requires exactly 1 argument(s)').
	run xrt state
	[ "$status" -eq 1 ]
	[ -n "$output" ]
	if is_runc; then
		[[ "$output" == *"requires exactly 1 argument"* ]]
	fi
}
