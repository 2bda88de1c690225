package container

import (
	"fmt"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// sealer starts init already sealed (CVE-2019-5736, see nsenter.c): from a
// thread of its own that first enters a private mount namespace where the
// xrt binary is bound read-only over itself, so that init is born in that
// namespace and execs the binary through the read-only mount. nsenter then
// finds /proc/self/exe read-only and skips its own seal, which would cost a
// second execve on every container start. The namespace also becomes the
// container's (nsenter reuses it), so nothing is spent twice.
type sealer struct {
	self   string   // the binary's path, bound read-only at the same path
	hostns *os.File // our mount namespace, for init to return to
	// jobs run on the sealed thread once init has started (see thread),
	// until close.
	jobs chan func()
}

// newSealer returns nil when there is nothing to seal (the binary is on a
// read-only mount already) or we may not (an unprivileged user: nsenter
// seals with a memfd copy then).
func newSealer() (*sealer, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	var st unix.Statfs_t
	if err := unix.Statfs("/proc/self/exe", &st); err == nil && st.Flags&unix.ST_RDONLY != 0 {
		return nil, nil
	}
	self, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	hostns, err := os.Open("/proc/thread-self/ns/mnt")
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return &sealer{self: self, hostns: hostns, jobs: make(chan func(), 1)}, nil
}

// close lets the sealed thread end once its jobs are done.
func (s *sealer) close() {
	s.hostns.Close()
	close(s.jobs)
}

// thread runs f on the sealed thread, once init has started: a thread
// that is already locked and out of our namespace, and ends after its
// jobs, spares a fast init's setup a thread of its own.
func (s *sealer) thread(f func()) { s.jobs <- f }

// start starts cs on the sealed thread, with cs.path the binary's own
// path (through /proc/self/exe, a magic link, execve would reach the
// binary through our writable mount instead). Then, when after is not
// nil, the thread runs it in the sealed namespace and reports on done,
// then the jobs given to thread.
func (s *sealer) start(cs *childSpec, after func() error) (*childProc, <-chan error, error) {
	var c *childProc
	errc := make(chan error, 1)
	afterc := make(chan error, 1)
	go func() {
		// Never unlocked: the thread, in its own mount namespace, ends
		// with this goroutine instead of going back to the scheduler.
		runtime.LockOSThread()
		if err := s.enter(); err != nil {
			errc <- err
			return
		}
		cs.path = s.self
		var err error
		if c, err = startChild(cs); err != nil {
			errc <- err
			return
		}
		errc <- nil
		if after != nil {
			afterc <- after()
		}
		for job := range s.jobs {
			job()
		}
	}()
	if err := <-errc; err != nil {
		return nil, nil, err
	}
	if after == nil {
		return c, nil, nil
	}
	return c, afterc, nil
}

func (s *sealer) enter() error {
	if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
		return fmt.Errorf("seal: unshare mount namespace: %w", err)
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_SLAVE, ""); err != nil {
		return fmt.Errorf("seal: make / rslave: %w", err)
	}
	if err := unix.Mount(s.self, s.self, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("seal: bind %s: %w", s.self, err)
	}
	var want, got unix.Stat_t
	if err := unix.Stat("/proc/self/exe", &want); err != nil {
		return fmt.Errorf("seal: %w", err)
	}
	if err := unix.Stat(s.self, &got); err != nil {
		return fmt.Errorf("seal: %w", err)
	}
	if want.Dev != got.Dev || want.Ino != got.Ino {
		return fmt.Errorf("seal: %s was replaced while xrt ran; run it again", s.self)
	}
	if err := unix.Mount("", s.self, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV, ""); err != nil {
		return fmt.Errorf("seal: remount %s read-only: %w", s.self, err)
	}
	return nil
}
