package container

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"xrt/hooks"
	"xrt/logs"
)

// Start lets a created container's init exec its program: opening exec.fifo
// for reading releases init, which is blocked opening it for writing.
// notifySocket is the caller's NOTIFY_SOCKET: when it and the container
// have one, the returned Notifier passes READY=1 on (call Forward, after
// Unlock: it waits for the container).
func (c *Container) Start(notifySocket string) (*Notifier, error) {
	switch st := c.Status(); st {
	case Created:
	case Stopped:
		return nil, fmt.Errorf("cannot start container %q: it has stopped; delete it and create it again", c.ID)
	default:
		return nil, fmt.Errorf("cannot start container %q: it is %s, not created", c.ID, st)
	}
	n, err := c.listenNotify(notifySocket)
	if err != nil {
		return nil, err
	}
	if err := c.releaseInit(); err != nil {
		if n != nil {
			n.close()
		}
		return nil, err
	}
	if err := os.Remove(c.fifoPath()); err != nil {
		return n, fmt.Errorf("remove exec.fifo: %w", err)
	}
	if len(c.Poststart) > 0 {
		st := c.ociState(Running)
		if err := hooks.Run("poststart", c.Poststart, &st); err != nil {
			// The runtime-spec (runtime.md, start): an error, and the
			// container stopped; `run` then deletes it.
			if kerr := c.killAndWait(); kerr != nil {
				logs.Warnf("container %s: stop after a failed poststart hook: %v", c.ID, kerr)
			}
			if n != nil {
				n.close()
			}
			return nil, err
		}
	}
	return n, nil
}

// releaseInit reads the byte init writes into exec.fifo. In `run`, start can
// come before init has opened its end: a fifo with no writer reads as EOF,
// so retry until init writes or is gone.
func (c *Container) releaseInit() error {
	f, err := os.OpenFile(c.fifoPath(), os.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open exec.fifo: %w", err)
	}
	defer f.Close()
	fds := []unix.PollFd{{Fd: int32(f.Fd()), Events: unix.POLLIN}}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var b [1]byte
		n, err := unix.Read(int(f.Fd()), b[:])
		switch {
		case n == 1:
			return nil
		case err == unix.EAGAIN: // init opened its end: the byte is coming
			unix.Poll(fds, 100)
		case n == 0 && err == nil: // no writer yet, or init died
			if !c.alive() {
				return fmt.Errorf("cannot start container %q: its init exited before start", c.ID)
			}
			time.Sleep(200 * time.Microsecond)
		case err != unix.EINTR:
			return fmt.Errorf("read exec.fifo: %w", err)
		}
	}
	return fmt.Errorf("cannot start container %q: its init did not answer on exec.fifo for 30s", c.ID)
}
