package containerinit

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"xrt/bundle"
	"xrt/handshake"
	"xrt/hooks"
	"xrt/nsenter"
	"xrt/quickjson"
	"xrt/rootfs"
)

// Run is `xrt init`. It returns only on failure, after telling the parent;
// on success the process becomes the container's program.
func Run() error {
	// Credentials, capabilities and personality are per thread: everything
	// from here to execve happens on this one.
	runtime.LockOSThread()
	conn := &parent{Conn: handshake.FromFD(envFD(nsenter.EnvSync))}
	conn.debug("child process in init(): the Go half of xrt init starts")
	err := run(conn)
	if err != nil && conn.SendError(err) != nil {
		// The parent is gone (we are past start): the container's stderr
		// is the only place left to say it, as the one line runc writes.
		fmt.Fprintln(os.Stderr, err)
	}
	return err
}

func run(conn *parent) error {
	cfg, err := readConfig()
	if err != nil {
		return err
	}
	m, err := conn.expect(handshake.State)
	if err != nil {
		return err
	}
	var state specs.State
	if err := quickjson.Unmarshal(m.State, &state); err != nil {
		return fmt.Errorf("init: decode state: %w", err)
	}
	sec, err := newSeccompStep(cfg, &state, m.Pid)
	if err != nil {
		return err
	}
	spec := cfg.Spec
	// First of all, before anything of the container's can run (hooks are
	// forked from this thread too), into the container's cgroup.
	affinity := spec.Process.ExecCPUAffinity
	if affinity != nil && affinity.Initial != "" {
		if err := setAffinity(affinity.Initial); err != nil {
			return err
		}
	}
	if err := joinCgroup(); err != nil {
		return err
	}
	// Inside the cgroup: the final affinity, or every CPU its cpuset has
	// (not the caller's: `taskset -c 0 xrt run` pins only xrt).
	final := ""
	if affinity != nil {
		final = affinity.Final
	}
	if err := setAffinity(final); err != nil {
		return err
	}
	if cfg.Exec && !bundle.HasNamespace(spec, specs.MountNamespace) {
		// No mount namespace to join: the container's root is its rootfs
		// in ours, as init chrooted into it.
		if err := unix.Chroot(cfg.Rootfs); err != nil {
			return fmt.Errorf("chroot %s: %w", cfg.Rootfs, err)
		}
	}
	if !cfg.Exec {
		if err := setupContainer(cfg, conn, &state); err != nil {
			return err
		}
		// Rooted where init now is. Only after the cgroup mounts, which
		// are resolved against the host's cgroup tree.
		if bundle.HasNewNamespace(spec, specs.CgroupNamespace) {
			if err := unix.Unshare(unix.CLONE_NEWCGROUP); err != nil {
				return stepError(stepWords["cgroupns"], err)
			}
		}
	}

	p := spec.Process
	if cfg.Exec {
		// Its own session, as init has and as runc's exec'd processes
		// have: CRIU refuses to dump a session leader outside the
		// container's PID namespace (runc's checkpoint.bats, after exec).
		if _, err := unix.Setsid(); err != nil {
			return stepError(stepWords["setsid"], err)
		}
	}
	if p.Terminal {
		if err := setupTerminal(p, !cfg.Exec && !joinsNamespace(spec, specs.MountNamespace)); err != nil {
			return err
		}
	}
	path, _, environ, err := program(p)
	if err != nil {
		return err
	}
	// Only stdio and the preserved fds may reach the container's program.
	// Marked now, before a seccomp profile (loaded in setupProcess when
	// there is no no_new_privs) can forbid the calls that do it.
	if err := closeOnExecFrom(3 + cfg.PreserveFDs); err != nil {
		return err
	}
	if err := setupProcess(spec, sec, conn.warn); err != nil {
		return err
	}
	// With no_new_privs the filter comes last of the set-up, before the
	// wait for start: the startContainer hooks run under it, as with runc,
	// and create fails, not start, when it cannot be loaded.
	if !sec.early(p) {
		if err := sec.load(); err != nil {
			return err
		}
	}
	if cfg.Exec {
		conn.debug("setns_init: about to exec " + path)
	} else {
		conn.debug(ReadyLine(envFD(EnvFifo) >= 0))
	}
	if err := conn.Send(handshake.Msg{Type: handshake.Ready}); err != nil {
		return err
	}
	conn.Close()

	if !cfg.Exec {
		if err := waitForStart(); err != nil {
			return err
		}
	}
	if nsenter.RestoreTHP() {
		conn.debug("init: transparent huge pages back as the caller had them")
	}
	if !cfg.Exec {
		if h := spec.Hooks; h != nil {
			state.Status = specs.StateRunning
			if err := hooks.RunWithEnv("startContainer", h.StartContainer, &state, environ); err != nil {
				return err
			}
		}
	}
	if err := syscall.Exec(path, p.Args, environ); err != nil {
		return fmt.Errorf("exec %s: %w", path, err)
	}
	return nil
}

// setupContainer is the part of `create` that exec skips: a session, the
// keyring, the root filesystem, the hooks that belong to creation, and the
// kernel settings of the new namespaces.
func setupContainer(cfg *Config, conn *parent, state *specs.State) error {
	spec := cfg.Spec
	if _, err := unix.Setsid(); err != nil {
		return stepError(stepWords["setsid"], err)
	}
	if !cfg.NoNewKeyring {
		if _, err := unix.KeyctlJoinSessionKeyring(keyringName(cfg)); err != nil && err != unix.ENOSYS {
			return stepError(stepWords["keyring"], err)
		}
	}

	rc := &rootfs.Config{Rootfs: cfg.Rootfs, Spec: spec, NoPivot: cfg.NoPivot, Cgroup: cfg.Cgroup, IDMapSource: conn.idmapSource}
	if bundle.HasNamespace(spec, specs.UserNamespace) {
		rc.OpenSource = conn.mountSource
	}
	return buildRoot(rc, func() error {
		h := spec.Hooks
		if h == nil {
			return nil
		}
		//lint:ignore SA1019 prestart is deprecated, still honoured
		if len(h.Prestart)+len(h.CreateRuntime) > 0 {
			if err := conn.Send(handshake.Msg{Type: handshake.Hooks}); err != nil {
				return err
			}
			if _, err := conn.expect(handshake.Ack); err != nil {
				return err
			}
		}
		// Run from the root, as runc does: hooks use paths relative to it.
		if len(h.CreateContainer) > 0 {
			if err := unix.Chdir(cfg.Rootfs); err != nil {
				return fmt.Errorf("chdir to the rootfs for the createContainer hooks: %w", err)
			}
		}
		return hooks.Run("createContainer", h.CreateContainer, state)
	})
}

// buildRoot makes the container's root and switches to it: the mounts, the
// hooks that run between (createRuntime and prestart through the parent,
// createContainer here), the pivot, process.cwd, the kernel settings of
// the new namespaces, and the masked and read-only paths. The Go init runs
// it in itself, create for a fast init on a thread that entered the
// init's namespaces (SetupFor).
func buildRoot(rc *rootfs.Config, hooks func() error) error {
	spec := rc.Spec
	newMountNS := bundle.HasNewNamespace(spec, specs.MountNamespace)
	// Without a mount namespace of its own the container's mounts are
	// made in ours, on a bind of the rootfs that delete detaches.
	rc.InHostNamespace = !bundle.HasNamespace(spec, specs.MountNamespace)
	mounts := newMountNS || rc.InHostNamespace
	if mounts {
		if err := rootfs.Prepare(rc); err != nil {
			return err
		}
	}
	if err := hooks(); err != nil {
		return err
	}
	if newMountNS {
		if err := rootfs.Pivot(rc); err != nil {
			return err
		}
	} else if err := unix.Chroot(rc.Rootfs); err != nil {
		return fmt.Errorf("chroot %s: %w", rc.Rootfs, err)
	}
	// A missing cwd is created, as root and before the root may turn
	// read-only; after pivot_root no path can lead out of the container.
	if cwd := spec.Process.Cwd; cwd != "" {
		if err := os.MkdirAll(cwd, 0o755); err != nil {
			return fmt.Errorf("create process.cwd %q: %w", cwd, err)
		}
	}
	if err := setupKernel(spec); err != nil {
		return err
	}
	if err := setupLoopback(spec); err != nil {
		return err
	}
	if mounts {
		return rootfs.Finalize(rc)
	}
	return nil
}

func readConfig() (*Config, error) {
	f := os.NewFile(uintptr(envFD(EnvConfig)), "config")
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("init: read config: %w", err)
	}
	var in configIn
	if err := quickjson.Unmarshal(data, &in); err != nil {
		return nil, fmt.Errorf("init: read config: %w", err)
	}
	if in.Config == nil || in.Spec == nil || in.Spec.Process == nil {
		return nil, fmt.Errorf("init: config has no process")
	}
	in.Config.Spec = in.Spec.spec()
	return in.Config, nil
}

// ReadyLine is init's --debug line once it is set up (runc's words, which
// its tests look for), waiting or not for start (a fifo or none).
func ReadyLine(fifo bool) string {
	if fifo {
		return "init: closing the pipe to signal completion (ready, waiting for start)"
	}
	return "init: closing the pipe to signal completion (ready, the process starts now)"
}

// keyringName is the session keyring init joins unless --no-new-keyring.
func keyringName(cfg *Config) string { return "_ses." + cfg.ID }

// waitForStart blocks opening exec.fifo for writing until `xrt start` opens
// it for reading, then writes one byte to prove init was still alive.
func waitForStart() error {
	fd := envFD(EnvFifo)
	if fd < 0 {
		return nil
	}
	path := "/proc/self/fd/" + strconv.Itoa(fd)
	f, err := os.OpenFile(path, os.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open exec.fifo through %s (the container needs /proc mounted): %w", path, err)
	}
	defer f.Close()
	if _, err := f.Write([]byte{0}); err != nil {
		return fmt.Errorf("write exec.fifo: %w", err)
	}
	return nil
}

func envFD(name string) int {
	n, err := strconv.Atoi(os.Getenv(name))
	if err != nil {
		return -1
	}
	return n
}

// joinsNamespace says whether the container joins a namespace of type t by
// path.
func joinsNamespace(s *specs.Spec, t specs.LinuxNamespaceType) bool {
	ns := bundle.Namespace(s, t)
	return ns != nil && ns.Path != ""
}
