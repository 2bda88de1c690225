package container

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"xrt/bundle"
	"xrt/cgroups"
	"xrt/hooks"
	"xrt/kernel"
	"xrt/logs"
)

// Delete removes a stopped (or, with force, any) container: its init and
// processes, its state directory, then runs the poststop hooks.
func (c *Container) Delete(force bool) error {
	st := c.Status()
	if st != Stopped && st != Created && !force {
		return fmt.Errorf("cannot delete container %q: it is %s; stop it first or use --force", c.ID, st)
	}
	if err := c.destroy(); err != nil {
		return err
	}
	if len(c.Poststop) > 0 {
		state := c.ociState(Stopped)
		if err := hooks.Run("poststop", c.Poststop, &state); err != nil {
			logs.Warnf("container %s: %v", c.ID, err)
		}
	}
	return nil
}

// destroy kills init if it still runs and removes the state directory.
func (c *Container) destroy() error {
	if err := c.killAndWait(); err != nil {
		return err
	}
	if err := c.removeCgroup(); err != nil {
		return err
	}
	if err := c.detachHostMounts(); err != nil {
		return err
	}
	if err := c.cleanupRoot(StateDir(filepath.Dir(c.dir), c.ID)); err != nil {
		return fmt.Errorf("remove the root filesystem of container %q: %w", c.ID, err)
	}
	if err := os.RemoveAll(c.dir); err != nil {
		return fmt.Errorf("remove state directory %s: %w", c.dir, err)
	}
	return nil
}

// killAndWait SIGKILLs init (and so its whole pid namespace) and waits until
// it has exited, reaping it when it is our child.
func (c *Container) killAndWait() error {
	fd, err := c.pidfd()
	if err != nil {
		return nil // already gone
	}
	defer unix.Close(fd)
	if err := unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0); err != nil && err != unix.ESRCH {
		return fmt.Errorf("kill container %q: %w", c.ID, kernel.PidfdSendSignal.Check(err))
	}
	// A frozen process cannot die: thaw a paused container after the kill.
	if cg := c.cgroup(); cg != nil {
		if st, err := cg.State(); err == nil && st != cgroups.Thawed {
			if err := cg.Thaw(); err != nil {
				return fmt.Errorf("thaw container %q to kill it: %w", c.ID, err)
			}
		}
	}
	// A pidfd polls readable once the process has exited.
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		n, err := unix.Poll(fds, int(time.Until(deadline).Milliseconds()))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("wait for container %q: %w", c.ID, err)
		}
		if n > 0 {
			var info unix.Siginfo
			unix.Waitid(unix.P_PIDFD, fd, &info, unix.WEXITED|unix.WNOHANG, nil)
			return nil
		}
	}
	return fmt.Errorf("container %q: init %d did not exit 10s after SIGKILL", c.ID, c.Pid)
}

// DeletePartial removes what a create killed half-way left: a state
// directory without state.json. It reads config.json, written first, for
// the cgroup and the image root, kills what is left in the cgroup, and
// removes it all. No directory at all is fine.
func DeletePartial(root, id string) error {
	if err := ValidateID(id); err != nil {
		return err
	}
	dir := filepath.Join(root, id)
	l, err := lockDir(dir)
	if err != nil {
		return nil // nothing there
	}
	defer l.unlock()
	if _, err := os.Stat(filepath.Join(dir, stateFile)); err == nil {
		return nil // created after all: the caller retries the normal way
	}
	c := &Container{dir: dir, State: State{ID: id}}
	if spec, err := c.Spec(); err == nil {
		c.Annotations = spec.Annotations
		var path string
		if spec.Linux != nil {
			path = spec.Linux.CgroupsPath
		}
		if c.Cgroup, err = cgroups.PathFor(path, id); err != nil {
			c.Cgroup = ""
		}
		if spec.Root != nil && filepath.IsAbs(spec.Root.Path) && !bundle.HasNamespace(spec, specs.MountNamespace) {
			c.Rootfs, c.HostMounts = spec.Root.Path, true
		}
	}
	c.readUnitRecord()
	return c.destroy()
}
