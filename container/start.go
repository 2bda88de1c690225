package container

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"xrt/hooks"
	"xrt/logs"
)

// Start lets a created container's init exec its program: opening exec.fifo
// for reading releases init, which is blocked opening it for writing.
func (c *Container) Start() error {
	switch st := c.Status(); st {
	case Created:
	case Stopped:
		return fmt.Errorf("cannot start container %q: it has stopped; delete it and create it again", c.ID)
	default:
		return fmt.Errorf("cannot start container %q: it is %s, not created", c.ID, st)
	}
	f, err := os.OpenFile(c.fifoPath(), os.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open exec.fifo: %w", err)
	}
	defer f.Close()
	// Blocking from here: init is a writer already, or gone (then EOF).
	if err := unix.SetNonblock(int(f.Fd()), false); err != nil {
		return fmt.Errorf("exec.fifo: %w", err)
	}
	var b [1]byte
	n, err := unix.Read(int(f.Fd()), b[:])
	if n != 1 {
		return fmt.Errorf("cannot start container %q: its init exited before start (%v)", c.ID, err)
	}
	if err := os.Remove(c.fifoPath()); err != nil {
		return fmt.Errorf("remove exec.fifo: %w", err)
	}
	if h := c.Spec.Hooks; h != nil {
		st := c.ociState(Running)
		if err := hooks.Run("poststart", h.Poststart, &st); err != nil {
			logs.Warnf("container %s: %v", c.ID, err)
		}
	}
	return nil
}
