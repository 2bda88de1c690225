package container

import (
	"os"
	"runtime"

	"golang.org/x/sys/unix"

	"xrt/containerinit"
)

// fastSetup is a fast init's root being built (setupFast) on a thread of
// its own, while spawn goes on with init's messages and init with its
// cgroup.
type fastSetup struct {
	done    chan struct{}
	program string
	err     error
}

// startFastSetup starts setupFast for init pid once waitRoot says the root
// filesystem is there; procfd is now the setup's. It runs on onThread, a
// locked thread that ends after it (the sealed thread), or when that is
// nil, on a new one. When the setup fails it closes planW: init, reading
// its plan, ends without a word, and spawn reports the setup's error,
// unless init failed first and said why.
func startFastSetup(cfg *containerinit.Config, pid, procfd int, planW *os.File, waitRoot, hooks func() error, onThread func(func())) *fastSetup {
	s := &fastSetup{done: make(chan struct{})}
	run := func() {
		defer close(s.done)
		if s.err = waitRoot(); s.err != nil {
			unix.Close(procfd)
		} else {
			s.program, s.err = setupFast(cfg, pid, procfd, planW, hooks)
		}
		if s.err != nil {
			planW.Close()
		}
	}
	if onThread != nil {
		onThread(run)
	} else {
		go func() {
			runtime.LockOSThread() // never unlocked: the thread exits with it
			run()
		}()
	}
	return s
}

// wait returns the program and the error once the setup is over; with no
// setup started (nil), none.
func (s *fastSetup) wait() (string, error) {
	if s == nil {
		return "", nil
	}
	<-s.done
	return s.program, s.err
}
