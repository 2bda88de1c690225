package container

import (
	"bytes"
	"fmt"
	"os"
	"strconv"

	"xrt/cgroups"

	"golang.org/x/sys/unix"

	"xrt/kernel"
)

// Status values, as runtime-spec runtime.md names them.
const (
	Creating = "creating"
	Created  = "created"
	Running  = "running"
	Paused   = "paused"
	Stopped  = "stopped"
)

// Status derives the container's status: stopped when its init is gone (or
// the pid now belongs to another process), created while exec.fifo exists,
// paused while its cgroup is frozen, running otherwise.
func (c *Container) Status() string {
	if !c.alive() {
		return Stopped
	}
	if _, err := os.Lstat(c.fifoPath()); err == nil {
		return Created
	}
	if cg := c.cgroup(); cg != nil {
		if st, err := cg.State(); err == nil && st != cgroups.Thawed {
			return Paused
		}
	}
	return Running
}

func (c *Container) alive() bool {
	if c.Pid <= 0 {
		return false
	}
	start, state, err := procStat(c.Pid)
	return err == nil && start == c.PidStart && state != 'Z' && state != 'X'
}

// procStat returns the start time (field 22) and state (field 3) of pid
// from /proc/<pid>/stat.
func procStat(pid int) (start uint64, state byte, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	// The command name may hold spaces and parentheses: parse after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return 0, 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	fields := bytes.Fields(b[i+2:])
	if len(fields) < 20 {
		return 0, 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	start, err = strconv.ParseUint(string(fields[19]), 10, 64)
	return start, fields[0][0], err
}

// pidfd opens a pidfd for the container's init, verified to still be the
// process that xrt started, so no signal reaches a recycled pid.
func (c *Container) pidfd() (int, error) {
	fd, err := unix.PidfdOpen(c.Pid, 0)
	if err != nil {
		return -1, kernel.PidfdOpen.Check(err)
	}
	if !c.alive() {
		unix.Close(fd)
		return -1, unix.ESRCH
	}
	return fd, nil
}
