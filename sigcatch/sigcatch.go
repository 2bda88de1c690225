// Package sigcatch catches, for a foreground run or exec, every signal it
// forwards to the container's process.
//
// os/signal's Notify enables each signal with a round trip to the Go
// runtime's signal thread, a goroutine locked to its own thread: four
// context switches per signal, 52 signals for "all". That cost 1.3 ms of
// wall time and 1.6 ms of CPU in a bare Go program here, and two thirds of
// a foreground run's context switches. Here one cgo call installs a C
// handler for each signal, which writes its number to a pipe that a
// goroutine reads: the signals arrive as Notify would deliver them.
//
// Even one Notify costs two threads: the runtime's signal-mask thread
// (locked) and the one its signal loop blocks. SIGPIPE, the one signal
// whose handling the runtime ties to os/signal (see Forwarded), is
// therefore marked ignored with signal.Ignore, which starts neither,
// before the handler takes it.
package sigcatch

// #cgo CFLAGS: -Wall -Wextra -O2
// #include "catch.h"
import "C"

import (
	"fmt"
	"os"
	"os/signal"

	"golang.org/x/sys/unix"
)

// Forwarded are the signals Catch takes with its handler: every signal
// os/signal's Notify delivers when given none (the runtime's _SigNotify
// ones), but SIGCHLD, SIGURG (the runtime preempts goroutines with it),
// SIGWINCH (a terminal's size, which package console follows) and
// SIGPROF (the runtime's profiler, never delivered by Notify). SIGPIPE is
// one of them: a write to a broken stdout or stderr must fail with EPIPE,
// and the runtime makes the process die of it instead unless SIGPIPE is
// Notify'd or ignored (runtime.sigpipe), so Catch ignores it first.
var Forwarded = forwarded()

func forwarded() []unix.Signal {
	sigs := []unix.Signal{
		unix.SIGHUP, unix.SIGINT, unix.SIGQUIT, unix.SIGABRT, unix.SIGUSR1,
		unix.SIGUSR2, unix.SIGALRM, unix.SIGTERM, unix.SIGCONT, unix.SIGPIPE,
		unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU, unix.SIGXCPU, unix.SIGXFSZ,
		unix.SIGVTALRM, unix.SIGIO, unix.SIGPWR,
	}
	// The real-time signals but glibc's two (32, 33) and musl's (34),
	// which the runtime keeps.
	for s := unix.Signal(35); s <= 64; s++ {
		sigs = append(sigs, s)
	}
	return sigs
}

// Catch makes every signal of Forwarded arrive on sigs from now on, until
// the process ends. A signal that finds sigs full waits for room, and more
// than a pipe's worth waiting are dropped.
func Catch(sigs chan<- os.Signal) error {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return fmt.Errorf("catch signals: pipe: %w", err)
	}
	nums := make([]C.int, len(Forwarded))
	for i, s := range Forwarded {
		nums[i] = C.int(s)
	}
	// Marked ignored for the runtime's sake; the handler below replaces
	// the SIG_IGN this sets (which a child would otherwise inherit).
	signal.Ignore(unix.SIGPIPE)
	// The write end stays open for the handler as long as the process.
	if rc := C.xrt_catch_signals(C.int(p[1]), &nums[0], C.int(len(nums))); rc < 0 {
		unix.Close(p[0])
		unix.Close(p[1])
		return fmt.Errorf("catch signals: sigaction: %w", unix.Errno(-rc))
	}
	r := os.NewFile(uintptr(p[0]), "signals")
	go func() {
		buf := make([]byte, 64)
		for {
			n, err := r.Read(buf)
			for _, b := range buf[:n] {
				sigs <- unix.Signal(b)
			}
			if err != nil {
				return
			}
		}
	}()
	return nil
}
