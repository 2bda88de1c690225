#!/usr/bin/env bats
# Bad input: one test per case.  Each checks the exit status, the message
# and that nothing was left behind.  The messages checked are xrt's; where
# runc words it differently the runc text is checked instead (validation
# mode), and tests for input runc accepts are xrt-only.

load ../helpers

# expect_create_error XRT_ERE [RUNC_TEXT]: create $CID from $BUNDLE must
# fail with exit 1 and a message matching XRT_ERE (an extended regular
# expression, case-insensitive) or, when validating against runc,
# containing RUNC_TEXT (default: XRT_ERE as a plain string).
expect_create_error() {
	xrt_create "$CID"
	echo "status=$status"
	echo "$output"
	[ "$status" -eq 1 ]
	if is_runc; then
		[[ "$output" == *"${2:-$1}"* ]]
	else
		grep -Eiq -e "$1" <<<"$output"
	fi
	local create_output=$output
	run xrt state "$CID"
	[ "$status" -eq 1 ]
	assert_no_leftovers
	[ -z "$(xrt list -q)" ]
	output=$create_output
}

@test "errors: invalid JSON reports the offset" {
	printf '{"ociVersion": "1.0.2", bad' >"$BUNDLE/config.json"
	expect_create_error "invalid JSON at offset" "invalid character"
}

@test "errors: config.json missing from the bundle" {
	rm "$BUNDLE/config.json"
	expect_create_error "config.json" "config.json not found"
}

@test "errors: missing ociVersion" {
	xrt_only "runc accepts a config without ociVersion"
	update_config 'del(.ociVersion)'
	expect_create_error "ociVersion is missing"
}

@test "errors: unsupported ociVersion 2.0.0" {
	xrt_only "runc does not check ociVersion"
	update_config '.ociVersion = "2.0.0"'
	expect_create_error "unsupported ociVersion"
}

@test "errors: missing rootfs" {
	update_config '.root.path = "no-such-rootfs"'
	expect_create_error "does not exist" "no such file or directory"
	[ ! -e "$BUNDLE/no-such-rootfs" ]
}

@test "errors: missing root" {
	update_config 'del(.root)'
	expect_create_error "root" "root must be specified"
}

@test "errors: missing process" {
	update_config 'del(.process)'
	expect_create_error "process" "process property must not be empty"
}

@test "errors: empty process.args" {
	update_config '.process.args = []'
	expect_create_error "process.args must not be empty" "args must not be empty"
}

@test "errors: relative process.cwd" {
	update_config '.process.cwd = "tmp"'
	expect_create_error "must be an absolute path" "Cwd must be an absolute path"
}

@test "errors: unknown namespace type" {
	update_config '.linux.namespaces += [{"type": "bogus"}]'
	expect_create_error "unknown namespace type" "does not exist"
}

@test "errors: namespace listed twice" {
	update_config '.linux.namespaces += [{"type": "pid"}]'
	expect_create_error "listed twice" "duplicated ns"
}

@test "errors: namespace path that does not exist" {
	update_config '(.linux.namespaces[] | select(.type == "network")) .path = $p' \
		--arg p "$BATS_TEST_TMPDIR/no-such-netns"
	expect_create_error "no-such-netns" "no such file or directory"
}

@test "errors: user namespace without uid mappings" {
	update_config '.linux.namespaces += [{"type": "user"}] | del(.linux.uidMappings, .linux.gidMappings)'
	expect_create_error "uid ?mappings" "no uid mappings"
}

@test "errors: hostname without a private UTS namespace" {
	update_config '.linux.namespaces |= map(select(.type != "uts")) | .hostname = "nope"'
	expect_create_error "uts namespace" "without a private UTS namespace"
}

@test "errors: unknown file system type in a mount" {
	update_config '.mounts += [{"destination": "/x", "type": "nosuchfs", "source": "none"}]'
	expect_create_error "nosuchfs" "no such device"
}

@test "errors: unknown rlimit" {
	update_config '.process.rlimits = [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]'
	expect_create_error "RLIMIT_BOGUS" "wrong rlimit value: RLIMIT_BOGUS"
}

@test "errors: a sysctl outside the container's namespaces" {
	update_config '.linux.sysctl = {"kernel.bogus_sysctl": "1"}'
	expect_create_error "kernel.bogus_sysctl" "is not in a separate kernel namespace"
}

@test "errors: wrong JSON type for a field" {
	update_config '.process.user.uid = -1'
	expect_create_error "uid" "cannot unmarshal"
}

@test "errors: executable not found fails at create time and leaves nothing" {
	set_args no-such-program --flag
	expect_create_error 'executable file not found in \$PATH' 'executable file not found in $PATH'
	[[ "$output" == *no-such-program* ]]
}

@test "errors: args[0] that is a directory fails at create time" {
	set_args /bin
	expect_create_error "permission denied|is a directory" "permission denied"
}

@test "errors: start/state/kill/delete/exec of a nonexistent container" {
	for cmd in start state kill delete; do
		run xrt "$cmd" "$CID"
		[ "$status" -eq 1 ]
		[[ "$output" == *"does not exist"* ]]
	done
	# runc's exec exits 255 when it cannot run the process.
	run xrt exec "$CID" true
	[ "$status" -eq 255 ]
	[[ "$output" == *"does not exist"* ]]
	assert_no_leftovers
}

@test "errors: create with an id in use fails with 'already exists', the first container is intact" {
	set_cmd 'while [ ! -e /go ]; do sleep 0.05; done'
	xrt_create "$CID"
	[ "$status" -eq 0 ]
	st=$(xrt state "$CID")
	BUNDLE=$BATS_TEST_TMPDIR/other
	setup_bundle "$BUNDLE"
	xrt_create "$CID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"already exists"* ]]
	[ "$(xrt state "$CID")" = "$st" ]
	[ -z "$(procs_in_dir "$BUNDLE/rootfs")" ]
}

@test "errors: messages go to stderr, nothing to stdout" {
	update_config '.process.args = []'
	CREATED_IDS+=("$CID")
	rc=0
	xrt create --bundle "$BUNDLE" "$CID" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" </dev/null || rc=$?
	[ "$rc" -eq 1 ]
	[ ! -s "$BATS_TEST_TMPDIR/out" ]
	[ -s "$BATS_TEST_TMPDIR/err" ]
}

@test "errors: the default text log format on stderr is runc's (time=... level=error msg=...)" {
	# runc compat: runc logs with logrus' text formatter on stderr, e.g.
	#   time="2024-01-01T00:00:00Z" level=error msg="runc create failed: ..."
	update_config '.process.args = []'
	CREATED_IDS+=("$CID")
	rc=0
	xrt create --bundle "$BUNDLE" "$CID" >/dev/null 2>"$BATS_TEST_TMPDIR/err" </dev/null || rc=$?
	[ "$rc" -eq 1 ]
	cat "$BATS_TEST_TMPDIR/err"
	grep -Eq '^time="[0-9T:Z+-]+" level=error msg=".*args must not be empty' "$BATS_TEST_TMPDIR/err"
}
