package container

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"xrt/kernel"
)

// Kill sends sig to the container's init, through a pidfd so that a pid the
// kernel gave to another process is never signalled.
func (c *Container) Kill(sig unix.Signal) error {
	if st := c.Status(); st == Stopped {
		return fmt.Errorf("cannot kill container %q: it is not running", c.ID)
	}
	fd, err := c.pidfd()
	if err != nil {
		var missing *kernel.MissingError
		if errors.As(err, &missing) {
			return fmt.Errorf("kill container %q: %w", c.ID, err)
		}
		return fmt.Errorf("cannot kill container %q: it is not running", c.ID)
	}
	defer unix.Close(fd)
	if err := unix.PidfdSendSignal(fd, sig, nil, 0); err != nil {
		return fmt.Errorf("kill container %q with %s: %w", c.ID, unix.SignalName(sig), kernel.PidfdSendSignal.Check(err))
	}
	return nil
}
