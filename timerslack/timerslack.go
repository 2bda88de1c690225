// Package timerslack gives the Go runtime's sysmon thread a coarse timer
// slack, and every other thread the one the process started with.
//
// sysmon sleeps 20us at a time for as long as a goroutine runs, and the
// kernel stretches each sleep by the thread's timer slack (50us by
// default): a `run` woke it about 100 times, at several microseconds of CPU
// each on a VM, where arming a timer exits to the hypervisor. With 1ms of
// slack it wakes about ten times (perf stat of its nanosleeps), and a `run`
// took 12% less CPU (interleaved A/B). Only sysmon: the scheduler's other
// threads also sleep on timers (a thread about to steal a new goroutine
// naps 3us first), and with 1ms of slack a goroutine started to work in
// parallel started a millisecond late. The threads that fork keep the caller's slack, which timer slack
// passes on through fork and execve: the container's processes, hooks,
// ps and CRIU get what they would get under runc.
//
// See timerslack.c. Import it from package main for its effect.
package timerslack

// #cgo CFLAGS: -Wall -Wextra -O2 -I${SRCDIR}/../nsenter
// #cgo LDFLAGS: -Wl,--wrap=pthread_create
// #include "timerslack.h"
import "C"

// sysmonSlack is the slack of the Go runtime's sysmon thread, in ns.
const sysmonSlack = C.XRT_TIMERSLACK_NS

// caller is the slack the process started with, and false when it left
// its threads' slack alone (xrt init and exec's process, a real-time
// caller, or one whose slack is at least sysmonSlack).
func caller() (int, bool) {
	c := int(C.xrt_timerslack_caller)
	return c, c >= 0
}
