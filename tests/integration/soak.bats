#!/usr/bin/env bats
# The short soak of CI (the full one is "make soak"): lifecycles (plain,
# image mode, foreground run with exec) and creates killed with SIGKILL at
# random points, each followed by delete -f, leak nothing: no mount, no
# cgroup, no state or store directory, no process, no growing fd count.

load ../helpers

@test "soak: 100 lifecycles and 40 killed creates leak nothing" {
	run env XRT="$XRT" SOAK_CYCLES=100 SOAK_KILLS=40 "$BATS_TEST_DIRNAME/../soak/soak.sh"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"100 cycles"*"no leaks"* ]]
	[[ "$output" == *"40 creates killed"*"no leaks"* ]]
}
