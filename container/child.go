package container

import (
	"os"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// childProc is a process started with syscall.ForkExec rather than exec.Cmd.
// os.StartProcess, under exec.Cmd, forks and reaps a throw-away child the
// first time a process uses it, to check that clone(CLONE_PIDFD) works
// (os.checkPidfd): 1 to 3 ms of every create and exec, for a pidfd that
// xrt does not use (it has init's pid and start time).
type childProc struct {
	pid    int
	reaped bool // its pid may belong to another process now
}

// childSpec says how to start a child: files[i] becomes its fd i.
type childSpec struct {
	path  string
	args  []string
	env   []string
	files []*os.File
	sys   *syscall.SysProcAttr
}

// startChild starts s. Like os.StartProcess, it puts each file in
// blocking mode (os.File.Fd) and the child gets them as they are.
func startChild(s *childSpec) (*childProc, error) {
	fds := make([]uintptr, len(s.files))
	for i, f := range s.files {
		fds[i] = f.Fd()
	}
	pid, err := syscall.ForkExec(s.path, s.args, &syscall.ProcAttr{Env: s.env, Files: fds, Sys: s.sys})
	runtime.KeepAlive(s.files)
	if err != nil {
		return nil, &os.PathError{Op: "fork/exec", Path: s.path, Err: err}
	}
	return &childProc{pid: pid}, nil
}

// kill sends SIGKILL, unless the child is reaped already.
func (c *childProc) kill() {
	if !c.reaped {
		unix.Kill(c.pid, unix.SIGKILL)
	}
}

// wait reaps the child, once.
func (c *childProc) wait() {
	if c.reaped {
		return
	}
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(c.pid, &ws, 0, nil)
		if err != unix.EINTR {
			break
		}
	}
	c.reaped = true
}
