package container

import (
	"errors"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"xrt/kernel"
)

// Kill sends sig to the container's init, through a pidfd so that a pid the
// kernel gave to another process is never signalled. SIGKILL to a container
// that shares the host's (or another) PID namespace goes to every process
// of its cgroup: killing its init kills nothing else, and the rest would
// leak (runc does the same).
func (c *Container) Kill(sig unix.Signal) error {
	if sig == unix.SIGKILL && !c.ownPIDNamespace() {
		if cg := c.cgroup(); cg != nil && cg.Exists() {
			if err := cg.Kill(); err != nil {
				return fmt.Errorf("kill container %q: %w", c.ID, err)
			}
			return nil
		}
	}
	if st := c.Status(); st == Stopped {
		return c.notRunning()
	}
	fd, err := c.pidfd()
	if err != nil {
		var missing *kernel.MissingError
		if errors.As(err, &missing) {
			return fmt.Errorf("kill container %q: %w", c.ID, err)
		}
		return c.notRunning()
	}
	defer unix.Close(fd)
	if err := unix.PidfdSendSignal(fd, sig, nil, 0); err != nil {
		return fmt.Errorf("kill container %q with %s: %w", c.ID, unix.SignalName(sig), kernel.PidfdSendSignal.Check(err))
	}
	return nil
}

// notRunning is runc's wording, which engines and scripts match.
func (c *Container) notRunning() error {
	return fmt.Errorf("cannot kill container %q: container not running", c.ID)
}

// ownPIDNamespace says whether the container has a PID namespace it made.
func (c *Container) ownPIDNamespace() bool {
	spec, err := c.Spec()
	if err != nil || spec.Linux == nil {
		return true // nothing known: signal init alone
	}
	for _, ns := range spec.Linux.Namespaces {
		if ns.Type == specs.PIDNamespace {
			return ns.Path == ""
		}
	}
	return false
}
