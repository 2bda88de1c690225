// Package containerinit is the Go half of `xrt init`, the process that
// becomes the container: nsenter (C) has already put it into the
// container's namespaces; this package sets up the root filesystem and the
// process (hostname, sysctl, rlimits, user, capabilities), reports ready,
// blocks on exec.fifo until `xrt start`, and execs the container's program.
package containerinit

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"xrt/seccomp"
)

// Environment variables the parent sets for `xrt init`, next to nsenter's.
const (
	EnvConfig = "_XRT_CONFIG_FD"  // pipe carrying Config as JSON
	EnvFifo   = "_XRT_FIFO_FD"    // O_PATH fd of <root>/<id>/exec.fifo
	EnvCgroup = "_XRT_CGROUP_FDS" // fds of the v1 "tasks" files to join
	// EnvCgroupTasks: or, one a line, "FD:PATH": each file's path below
	// the hierarchy mounted at fd FD (O_PATH), for init to open once it
	// has its state (the parent makes them while init starts).
	EnvCgroupTasks = "_XRT_CGROUP_TASKS"
	// EnvSeccompConn is a socket connected to linux.seccomp.listenerPath:
	// init cannot reach the host's path from inside the container.
	EnvSeccompConn = "_XRT_SECCOMP_FD"
)

// Config is everything init needs, sent by the parent over a pipe.
type Config struct {
	ID           string      `json:"id"`
	Rootfs       string      `json:"rootfs"`
	Spec         *specs.Spec `json:"spec"`
	NoPivot      bool        `json:"noPivot,omitempty"`
	NoNewKeyring bool        `json:"noNewKeyring,omitempty"`
	PreserveFDs  int         `json:"preserveFds,omitempty"`
	// Cgroup is the container's cgroup path, shown by cgroup mounts.
	Cgroup string `json:"cgroup,omitempty"`
	// Exec: a process joining a running container (xrt exec); Spec then
	// holds the container's spec with this process in Spec.Process.
	Exec bool `json:"exec,omitempty"`
	// Seccomp is linux.seccomp compiled by the parent (nil: none).
	Seccomp *seccomp.Program `json:"seccomp,omitempty"`
}
