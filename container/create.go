package container

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"xrt/bundle"
	"xrt/cgroups"
	"xrt/containerinit"
	"xrt/hooks"
)

// CreateOpts are the inputs of `xrt create`.
type CreateOpts struct {
	Root   string
	ID     string
	Bundle *bundle.Bundle
	// MakeRoot, when set, makes the root filesystem at Bundle.Rootfs (image
	// mode's overlay). It runs in init's mount namespace while init starts
	// where it can, else before init (see spawnOpts.makeRoot).
	MakeRoot func() error
	PidFile  string
	// PidfdSocket receives a pidfd of init (SCM_RIGHTS), for engines that
	// watch and signal it without pid reuse races.
	PidfdSocket  string
	NoPivot      bool
	NoNewKeyring bool
	PreserveFDs  int
	// NotifySocket is the caller's NOTIFY_SOCKET: the container gets one
	// that start forwards to it (see Notifier).
	NotifySocket string
	// ConsoleSocket receives the pty master when process.terminal is set;
	// without one, Foreground callers get it in Container.Console.
	ConsoleSocket string
	Foreground    bool
	// SystemdCgroup: the cgroup is a transient systemd unit (the
	// --systemd-cgroup driver; the user's manager when not root), and
	// linux.cgroupsPath is "slice:prefix:name".
	SystemdCgroup bool
	// Run: `run`'s create, whose start follows at once. When nothing is
	// to happen between the two (no poststart hook, no notify socket to
	// listen on, no terminal whose output create sets up once init is
	// ready), init runs the process as soon as it is set up, without
	// exec.fifo, and the container is returned Started.
	Run bool
}

// Create makes the state directory, spawns init and waits until it is set
// up and blocked on exec.fifo. On failure it removes everything it made.
func Create(o *CreateOpts) (_ *Container, err error) {
	netns := makeNetnsAhead(o.Bundle.Spec)
	defer netns.close()
	whole := wholeSpecFirst(o.Bundle.Spec, o.NotifySocket != "")
	c, err := begin(o.Root, o.ID, o.Bundle, whole)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			c.destroy()
			c.Unlock()
		}
	}()
	spec := o.Bundle.Spec
	if o.NotifySocket != "" {
		if err := c.addNotifySocket(spec); err != nil {
			return nil, err
		}
	}
	if c.HostMounts {
		if err := c.recordHostMount(); err != nil {
			return nil, fmt.Errorf("create container %q: %w", o.ID, err)
		}
	}
	cg, limits, err := c.makeCgroup(spec, o.SystemdCgroup)
	if err != nil {
		return nil, err
	}
	// The v1 hierarchies, made while init starts.
	rest := startCgroupRest(cg, limits)
	defer func() {
		if err != nil {
			rest.wait() // done before destroy removes the cgroup
		}
	}()
	c.Started = o.Run && len(c.Poststart) == 0 && o.NotifySocket == "" && !spec.Process.Terminal
	early := saveEarly(spec)
	var fifo *os.File // nil: init does not wait for start
	if !c.Started {
		if fifo, err = c.makeFifo(); err != nil {
			return nil, err
		}
		defer fifo.Close()
	}
	var consoleInit, consoleOurs *os.File
	if spec.Process.Terminal {
		if consoleInit, consoleOurs, err = terminalConn(o.ConsoleSocket, o.Foreground); err != nil {
			return nil, err
		}
		defer consoleInit.Close()
	}

	prog, seccompConn, err := c.compileSeccomp(spec)
	if err != nil {
		return nil, err
	}
	if seccompConn != nil {
		defer seccompConn.Close()
	}
	idmap, err := newIDMapper(spec)
	if err != nil {
		return nil, err
	}
	defer idmap.close()
	cfg := &containerinit.Config{
		ID:           o.ID,
		Rootfs:       o.Bundle.Rootfs,
		Spec:         spec,
		NoPivot:      o.NoPivot,
		NoNewKeyring: o.NoNewKeyring,
		PreserveFDs:  o.PreserveFDs,
		Cgroup:       c.Cgroup,
		Seccomp:      prog,
	}
	p, err := spawn(&spawnOpts{
		cfg:        cfg,
		namespaces: namespaceList(spec),
		netns:      netns,
		fifo:       fifo,
		console:    consoleInit,
		cgroup:     cgroups.JoinOf(cg),
		cgroupRest: rest,
		seccomp:    seccompConn,
		idmap:      idmap,
		netDevices: netDevices(spec),
		state:      c.ociState(Creating),
		makeRoot:   o.MakeRoot,
		rootLate:   rootInInitNS(spec),
		onStart:    c.joinUnit(cg, cfg),
		// While init's start-up (exec, namespaces) runs on another CPU:
		// nothing of it waits on these, and they are done before it
		// joins the cgroup.
		whileStarting: func() error {
			if rest == nil {
				if err := setLimits(cg, limits.now); err != nil {
					return err
				}
			}
			if whole {
				return nil
			}
			return c.writeJSON(configFile, spec)
		},
		// The state is whole once init's pid is known (but a terminal's
		// master): state.json is written now when saveEarly says so.
		onPid: func(p *initProc) error {
			c.Pid, c.PidStart = p.pid, p.start
			c.Fastdel = c.fastdelLines(cg, o.NotifySocket != "")
			if early {
				return c.save()
			}
			return nil
		},
		onHooks: func(st *specs.State) error {
			h := spec.Hooks
			//lint:ignore SA1019 prestart is deprecated, still honoured
			if err := hooks.Run("prestart", h.Prestart, st); err != nil {
				return err
			}
			return hooks.Run("createRuntime", h.CreateRuntime, st)
		},
	})
	if p != nil {
		c.Pid, c.PidStart = p.pid, p.start
	}
	if err != nil {
		return nil, fmt.Errorf("unable to start container process: %w (container %q)", err, o.ID)
	}
	if err := setLimits(cg, limits.late); err != nil {
		return nil, fmt.Errorf("create container %q: %w", o.ID, err)
	}
	if consoleOurs != nil {
		if c.Console, err = receiveMaster(consoleOurs); err != nil {
			return nil, err
		}
	}
	if !early {
		if err := c.save(); err != nil {
			return nil, err
		}
	}
	if o.PidFile != "" {
		if err := writePidFile(o.PidFile, c.Pid); err != nil {
			return nil, err
		}
	}
	if o.PidfdSocket != "" {
		if err := sendPidfd(o.PidfdSocket, c.Pid); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// makeFifo makes exec.fifo, on which init waits for start, and opens it
// (O_PATH) for init.
func (c *Container) makeFifo() (*os.File, error) {
	// 0622, whatever the umask: init may run as any user by then.
	if err := unix.Mkfifo(c.fifoPath(), 0o622); err != nil {
		return nil, fmt.Errorf("create exec.fifo: %w", err)
	}
	if err := os.Chmod(c.fifoPath(), 0o622); err != nil {
		return nil, fmt.Errorf("create exec.fifo: %w", err)
	}
	fifo, err := os.OpenFile(c.fifoPath(), unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open exec.fifo: %w", err)
	}
	return fifo, nil
}

func netDevices(s *specs.Spec) map[string]specs.LinuxNetDevice {
	if s.Linux == nil {
		return nil
	}
	return s.Linux.NetDevices
}

// begin makes the state directory of container id, locked, and the state
// and cleanup record of what create and restore make next: config.json,
// the whole spec when whole (see wholeSpecFirst: one file less to write),
// else the part that DeletePartial reads. On failure it leaves nothing.
func begin(root, id string, b *bundle.Bundle, whole bool) (_ *Container, err error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("create state root %s: %w", root, err)
	}
	c := &Container{dir: filepath.Join(root, id)}
	if err := os.Mkdir(c.dir, 0o711); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, AlreadyExists(id)
		}
		return nil, fmt.Errorf("create state directory: %w", err)
	}
	if c.lock, err = lockDir(c.dir); err != nil {
		os.Remove(c.dir)
		return nil, err
	}
	spec := b.Spec
	c.State = State{
		ID:          id,
		OCIVersion:  spec.Version,
		Bundle:      b.Path,
		Rootfs:      b.Rootfs,
		Created:     time.Now().UTC(),
		Annotations: spec.Annotations,
		HostMounts:  !bundle.HasNamespace(spec, specs.MountNamespace),
	}
	if h := spec.Hooks; h != nil {
		c.Poststart, c.Poststop = h.Poststart, h.Poststop
	}
	// Before init exists, what DeletePartial needs to clean up after a
	// create cut short.
	var rec any = spec
	if !whole {
		rec = cleanupConfig(spec, c.Rootfs)
	}
	if err := c.writeJSON(configFile, rec); err != nil {
		c.destroy()
		c.Unlock()
		return nil, err
	}
	return c, nil
}

// saveEarly says whether state.json may be written as soon as init's pid
// is known, while its root is built, rather than once it is ready: the
// state is whole by then (only a terminal's master comes later), and no
// hook runs before ready that could look at the container (with the state
// there, it would be "created" to `state` while a hook still runs). The
// lock keeps every command but state and list out until create returns.
func saveEarly(s *specs.Spec) bool {
	if s.Process != nil && s.Process.Terminal {
		return false
	}
	h := s.Hooks
	//lint:ignore SA1019 prestart is deprecated, still honoured
	return h == nil || len(h.Prestart) == 0 && len(h.CreateRuntime) == 0 && len(h.CreateContainer) == 0
}

// wholeSpecFirst says whether begin may write the whole spec as
// config.json: nothing will be added to it (the notify socket's mount
// would be), and DeletePartial can use it (it reads root.path only when
// absolute, for a container without a mount namespace; the cleanup
// record has it so).
func wholeSpecFirst(s *specs.Spec, notify bool) bool {
	return !notify && (bundle.HasNamespace(s, specs.MountNamespace) || s.Root != nil && filepath.IsAbs(s.Root.Path))
}

// cleanupConfig is the part of spec that DeletePartial reads, in the
// shape of config.json.
func cleanupConfig(s *specs.Spec, rootfs string) any {
	type linux struct {
		CgroupsPath string                 `json:"cgroupsPath,omitempty"`
		Namespaces  []specs.LinuxNamespace `json:"namespaces,omitempty"`
	}
	v := struct {
		Version     string            `json:"ociVersion"`
		Root        *specs.Root       `json:"root"`
		Annotations map[string]string `json:"annotations,omitempty"`
		Linux       *linux            `json:"linux,omitempty"`
	}{Version: s.Version, Root: &specs.Root{Path: rootfs}, Annotations: s.Annotations}
	if s.Linux != nil {
		v.Linux = &linux{CgroupsPath: s.Linux.CgroupsPath, Namespaces: s.Linux.Namespaces}
	}
	return v
}

// rootInInitNS reports whether a root filesystem mounted in the mount
// namespace init is born in, once init has started, is the one init
// uses: it is when init makes a mount namespace and no user namespace
// (nsenter then keeps the namespace it was born in), and no prestart or
// createRuntime hook looks at the root from the host while init starts.
func rootInInitNS(s *specs.Spec) bool {
	if s.Linux == nil {
		return false
	}
	if h := s.Hooks; h != nil {
		//lint:ignore SA1019 prestart is deprecated, still honoured
		if len(h.Prestart)+len(h.CreateRuntime) > 0 {
			return false
		}
	}
	newMount := false
	for _, ns := range s.Linux.Namespaces {
		switch ns.Type {
		case specs.UserNamespace:
			return false
		case specs.MountNamespace:
			newMount = ns.Path == ""
		}
	}
	return newMount
}

// ociState is the runtime-spec state given to hooks.
func (c *Container) ociState(status string) specs.State {
	return specs.State{
		Version:     specs.Version,
		ID:          c.ID,
		Status:      specs.ContainerState(status),
		Pid:         c.Pid,
		Bundle:      c.Bundle,
		Annotations: c.Annotations,
	}
}

// writePidFile writes pid atomically, so an engine never reads half a number.
func writePidFile(path string, pid int) error {
	path, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path))
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(pid)), 0o644); err != nil {
		return fmt.Errorf("write pid file %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write pid file %s: %w", path, err)
	}
	return nil
}
