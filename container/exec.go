package container

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"xrt/cgroups"
	"xrt/containerinit"
)

// ExecOpts are the inputs of `xrt exec`.
type ExecOpts struct {
	Spec         *specs.Spec // the container's, from Container.Spec
	Process      *specs.Process
	PidFile      string
	PidfdSocket  string // as in CreateOpts
	PreserveFDs  int
	IgnorePaused bool
	// Cgroups puts the process in existing sub-cgroups of the container's:
	// "PATH" or "CTRL[,CTRL]:PATH" (see cgroups.SubJoin).
	Cgroups []string
	// ConsoleSocket and Foreground: as in CreateOpts.
	ConsoleSocket string
	Foreground    bool
}

// Exec starts a process in every namespace of the running container and
// returns its pid once it is about to exec, and the pty master when xrt
// runs its terminal. The caller is its subreaper.
func (c *Container) Exec(o *ExecOpts) (pid int, master *os.File, err error) {
	switch st := c.Status(); {
	case st == Stopped:
		return 0, nil, fmt.Errorf("cannot exec in a stopped container %q", c.ID)
	case st == Paused && !o.IgnorePaused:
		return 0, nil, fmt.Errorf("cannot exec in a paused container %q (resume it, or pass --ignore-paused)", c.ID)
	}
	if len(o.Process.Args) == 0 {
		return 0, nil, fmt.Errorf("exec: no command given: pass it after the container id or in --process")
	}
	join, err := c.execCgroup(o.Cgroups)
	if err != nil {
		return 0, nil, err
	}
	var consoleInit, consoleOurs *os.File
	if o.Process.Terminal {
		if consoleInit, consoleOurs, err = terminalConn(o.ConsoleSocket, o.Foreground); err != nil {
			return 0, nil, err
		}
		defer consoleInit.Close()
	}
	spec := *o.Spec
	spec.Process = o.Process
	prog, seccompConn, err := c.compileSeccomp(&spec)
	if err != nil {
		return 0, nil, err
	}
	if seccompConn != nil {
		defer seccompConn.Close()
	}
	p, err := spawn(&spawnOpts{
		cfg: &containerinit.Config{
			ID:          c.ID,
			Rootfs:      c.Rootfs,
			Spec:        &spec,
			PreserveFDs: o.PreserveFDs,
			Exec:        true,
			Seccomp:     prog,
		},
		namespaces: c.joinList(&spec),
		console:    consoleInit,
		cgroup:     join,
		seccomp:    seccompConn,
		state:      c.ociState(Running),
	})
	if err != nil {
		return 0, nil, fmt.Errorf("exec in container %q: %w", c.ID, err)
	}
	if consoleOurs != nil {
		if master, err = receiveMaster(consoleOurs); err != nil {
			return p.pid, nil, err
		}
	}
	if o.PidFile != "" {
		if err := writePidFile(o.PidFile, p.pid); err != nil {
			return p.pid, master, err
		}
	}
	if o.PidfdSocket != "" {
		if err := sendPidfd(o.PidfdSocket, p.pid); err != nil {
			return p.pid, master, err
		}
	}
	return p.pid, master, nil
}

// execCgroup is where an exec'd process joins: the container's cgroup, or
// the sub-cgroups that `exec --cgroup` names.
func (c *Container) execCgroup(subs []string) (*cgroups.Join, error) {
	cg := c.cgroup()
	switch {
	case len(subs) == 0:
		return cgroups.ExecJoinOf(cg, c.Pid), nil
	case cg == nil:
		return nil, fmt.Errorf("exec --cgroup: container %q has no cgroup", c.ID)
	}
	return cgroups.SubJoin(cg, subs)
}

// procNames maps the spec's namespace types to /proc/<pid>/ns entries.
var procNames = map[specs.LinuxNamespaceType]string{
	specs.PIDNamespace: "pid", specs.NetworkNamespace: "net", specs.MountNamespace: "mnt",
	specs.IPCNamespace: "ipc", specs.UTSNamespace: "uts", specs.UserNamespace: "user",
	specs.CgroupNamespace: "cgroup", specs.TimeNamespace: "time",
}

// joinList names every namespace of the container's init for nsenter to join.
func (c *Container) joinList(spec *specs.Spec) string {
	if spec.Linux == nil {
		return ""
	}
	base := "/proc/" + strconv.Itoa(c.Pid) + "/ns/"
	parts := make([]string, 0, len(spec.Linux.Namespaces))
	for _, ns := range spec.Linux.Namespaces {
		if name, ok := procNames[ns.Type]; ok {
			parts = append(parts, string(ns.Type)+"="+base+name)
		}
	}
	return strings.Join(parts, ",")
}
