package container

import (
	"os"
	"runtime"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"xrt/bundle"
	"xrt/containerinit"
	"xrt/logs"
)

// netnsAhead is a new network namespace made on a thread of create's own
// while create does its other work. The kernel takes about a millisecond
// to make one (the loopback device, sysctl tables, each protocol's state
// of the namespace); made by init, that millisecond is on the way to
// "created". Its lo is brought up there too, as init's root setup would.
// init joins it as it joins a namespace given by path.
type netnsAhead struct {
	file func() *os.File // waits for it; nil: making it failed, init makes its own
}

// makeNetnsAhead starts making the network namespace that s asks for, or
// returns nil when init must make it itself: as a user namespace's, or
// where this process may not.
func makeNetnsAhead(s *specs.Spec) *netnsAhead {
	if !bundle.HasNewNamespace(s, specs.NetworkNamespace) || bundle.HasNamespace(s, specs.UserNamespace) || os.Geteuid() != 0 {
		return nil
	}
	made := make(chan *os.File, 1)
	go func() {
		if err := unshareNet(made); err != nil {
			logs.Debugf("network namespace made by init: %v", err)
		}
	}()
	// No runtime.Gosched to start it: the thread that newproc wakes steals
	// it from this P within tens of microseconds, while a yield sends this
	// goroutine to the back of the global queue, where it waited 0.3 ms
	// for a thread to take it back.
	return &netnsAhead{file: sync.OnceValue(func() *os.File { return <-made })}
}

// unshareNet makes a network namespace on this goroutine's thread and
// sends it on made (nil when it could not), brings its lo up, then puts
// the thread back in the namespace it was in, so that nothing of this
// process holds the namespace once the file is closed. A thread that
// cannot go back is left locked: Go ends it when the goroutine returns.
func unshareNet(made chan<- *os.File) error {
	runtime.LockOSThread()
	orig, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		made <- nil
		return err
	}
	defer orig.Close()
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		made <- nil
		return err
	}
	ns, err := os.Open("/proc/thread-self/ns/net")
	made <- ns // nil on error; else init may go on with it meanwhile
	if err == nil {
		// What init's root setup would do, done here while init starts:
		// it finds lo up, or brings it up itself if this comes late.
		if err := containerinit.LoopbackUp(); err != nil {
			logs.Debugf("lo is brought up by init: %v", err)
		}
	}
	if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err == nil {
		runtime.UnlockOSThread()
	}
	return err
}

// get waits for the namespace: nil when init is to make it.
func (a *netnsAhead) get() *os.File {
	if a == nil {
		return nil
	}
	return a.file()
}

// close drops this process's hold on the namespace: init's is its own.
func (a *netnsAhead) close() {
	if f := a.get(); f != nil {
		f.Close()
	}
}
