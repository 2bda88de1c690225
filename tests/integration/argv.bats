#!/usr/bin/env bats
# The flags the engines send xrt, as cri.bats, docker.bats and podman.bats
# captured them (tests/engines/argv/ENGINE.txt, "COMMAND --flag" a line;
# each of those tests fails when its engine sends a flag the capture does
# not have): each is one xrt's command line defines, and a flag it does not
# define is an error that names it, never silently ignored.

load ../helpers

CAPTURES=$BATS_TEST_DIRNAME/../engines/argv

setup_file() { :; }
setup() { :; }
teardown() { :; }

# lists_flag HELP FLAG: HELP (a --help text) defines FLAG.
lists_flag() {
	grep -qE -- "^ +(-[a-z], )?(--[a-z-]+(, )?)*(^|[ ,])?$2( value)?(,| |$)" <<<"$1" ||
		grep -qE -- "(^| |,)$2( value)?(,| |$)" <<<"$(grep -E '^ +-' <<<"$1")"
}

@test "argv: a capture for each engine, not empty" {
	local e
	for e in containerd-cri docker podman; do
		[ -s "$CAPTURES/$e.txt" ]
		grep -q '^create --bundle$' "$CAPTURES/$e.txt"
	done
}

@test "argv: every flag an engine sent is one xrt's command line defines" {
	local f cmd flag help bad=0
	for f in "$CAPTURES"/*.txt; do
		while read -r cmd flag; do
			[ -n "$cmd" ] || continue
			if [ "$cmd" = global ]; then
				help=$("$XRT" --help 2>&1)
			else
				help=$("$XRT" "$cmd" --help 2>&1)
			fi
			if ! lists_flag "$help" "$flag"; then
				echo "$(basename "$f"): xrt $cmd does not define $flag" >&2
				bad=1
			fi
		done <"$f"
	done
	[ "$bad" -eq 0 ]
}

@test "argv: the check can fail: a flag xrt does not define is not found in its help" {
	refute lists_flag "$("$XRT" create --help 2>&1)" --no-such-flag
	refute lists_flag "$("$XRT" --help 2>&1)" --bundle
	lists_flag "$("$XRT" create --help 2>&1)" --bundle
	lists_flag "$("$XRT" create --help 2>&1)" -b
}

@test "argv: a flag xrt does not define is an error that names it, for each command the engines call" {
	local cmd
	for cmd in $(cat "$CAPTURES"/*.txt | awk '$1 != "global" {print $1}' | sort -u); do
		run "$XRT" --root "$BATS_TEST_TMPDIR/root" "$cmd" --xrt-no-such-flag some-id
		echo "$cmd: $status: $output"
		[ "$status" -ne 0 ]
		[[ "$output" == *xrt-no-such-flag* ]]
	done
	run "$XRT" --xrt-no-such-flag state some-id
	[ "$status" -ne 0 ]
	[[ "$output" == *xrt-no-such-flag* ]]
}

@test "argv: argv-flags.sh splits a logged call into global and command flags" {
	run "$BATS_TEST_DIRNAME/../engines/argv-flags.sh" < <(printf '%s\t' --root /r --log /run/log.json --log-format=json create --bundle /b --pid-file /p -- id; echo; printf '%s\t' --root /r kill id 9; echo)
	echo "$output"
	[ "$output" = "$(printf '%s\n' 'create --bundle' 'create --pid-file' 'global --log' 'global --log-format' 'global --root')" ]
}
