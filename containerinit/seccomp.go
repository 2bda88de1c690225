package containerinit

import (
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"xrt/seccomp"
)

// seccompStep loads the container's seccomp filter. Loading needs
// no_new_privs or CAP_SYS_ADMIN: with no_new_privs it is the very last
// step before execve; without, it comes before the capabilities drop, and
// every later step of init must be allowed by the profile (as with runc).
type seccompStep struct {
	prog *seccomp.Program
	// state is the NOTIFY listener's payload (the container state and
	// this process's pid); conn the socket to send it on.
	state []byte
	conn  *os.File
}

func newSeccompStep(cfg *Config, state *specs.State, pid int) (*seccompStep, error) {
	if cfg.Seccomp == nil {
		return nil, nil
	}
	s := &seccompStep{prog: cfg.Seccomp}
	if cfg.Seccomp.Notify {
		fd := envFD(EnvSeccompConn)
		if fd < 0 {
			return nil, fmt.Errorf("seccomp: no connection to the listener %s", cfg.Seccomp.ListenerPath)
		}
		s.conn = os.NewFile(uintptr(fd), "seccomp-listener")
		b, err := seccomp.ProcessState(*state, pid, cfg.Seccomp.ListenerMetadata)
		if err != nil {
			return nil, err
		}
		s.state = b
	}
	return s, nil
}

// early reports whether the filter must be loaded while init still has
// its capabilities.
func (s *seccompStep) early(p *specs.Process) bool {
	return s != nil && !p.NoNewPrivileges
}

func (s *seccompStep) load() error {
	if s == nil {
		return nil
	}
	fd, err := seccomp.Load(s.prog)
	if err != nil {
		return fmt.Errorf("load seccomp filter: %w", err)
	}
	if fd >= 0 {
		err := seccomp.SendOn(s.conn, fd, s.state)
		unix.Close(fd)
		if err != nil {
			return fmt.Errorf("send the seccomp listener to %s: %w", s.prog.ListenerPath, err)
		}
	}
	return nil
}
