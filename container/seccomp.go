package container

import (
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"xrt/logs"
	"xrt/seccomp"
)

// seccompCache holds compiled profiles under the state root: engines send
// the same profile with every container, and compiling Docker's takes
// libseccomp about 17 ms.
const seccompCache = ".seccomp-cache"

// compileSeccomp compiles the spec's seccomp profile for init and, when it
// has NOTIFY actions, connects to its listener: init, inside the
// container, cannot reach the host's socket path.
func (c *Container) compileSeccomp(spec *specs.Spec) (*seccomp.Program, *os.File, error) {
	if spec.Linux == nil || spec.Linux.Seccomp == nil {
		return nil, nil, nil
	}
	prog, err := seccomp.CompileCached(spec.Linux.Seccomp, filepath.Join(filepath.Dir(c.dir), seccompCache))
	if err != nil {
		return nil, nil, fmt.Errorf("linux.seccomp: %w", err)
	}
	logs.Debugf("seccomp filter flags: %d", prog.LoadFlags())
	if !prog.Notify {
		return prog, nil, nil
	}
	conn, err := seccomp.Dial(prog.ListenerPath)
	if err != nil {
		return nil, nil, fmt.Errorf("linux.seccomp.listenerPath: %w", err)
	}
	return prog, conn, nil
}
