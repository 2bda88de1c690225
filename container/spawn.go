package container

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"xrt/cgroups"
	"xrt/containerinit"
	"xrt/fastinit"
	"xrt/handshake"
	"xrt/kernel"
	"xrt/logs"
	"xrt/nsenter"
	"xrt/quickjson"
)

// spawnOpts says how to start one `xrt init`.
type spawnOpts struct {
	cfg        *containerinit.Config
	namespaces string        // for nsenter: "pid,mount,network=/path"
	netns      *netnsAhead   // the new network namespace, made ahead; nil: init makes it
	fifo       *os.File      // O_PATH exec.fifo; nil when init need not wait for start
	console    *os.File      // socket for the pty master; nil without a terminal
	cgroup     *cgroups.Join // init is born in it (v2) and joins it (v1); nil: none
	// cgroupRest, when not nil, is cgroup's v1 part, made while init
	// starts: init, given its hierarchies' mount points, opens the
	// "tasks" files itself once it has its state, sent after it is made.
	cgroupRest *cgroupRest
	seccomp    *os.File  // connected to the seccomp listener; nil: none
	idmap      *idmapper // makes the idmapped mounts; nil: none
	// netDevices are moved into init's network namespace once it exists.
	netDevices map[string]specs.LinuxNetDevice
	state      specs.State
	// onHooks runs the parent's hooks when init asks (createRuntime, prestart).
	onHooks func(state *specs.State) error
	// makeRoot makes the root filesystem (image mode). When rootLate (the
	// namespace init is born in stays its own) and init is sealed, it runs
	// on the sealed thread once init has started, in that namespace, so
	// init's start-up hides it; init gets its config only after. Otherwise
	// it runs first, in our mount namespace.
	makeRoot func() error
	rootLate bool
	// whileStarting, when set, runs once init has been told to go, while
	// it starts, and before it joins its cgroup; its error fails the
	// spawn once init's pid is known.
	whileStarting func() error
	// onPid, when set, runs once init's pid is known and it has its
	// state, while it joins its cgroup.
	onPid func(p *initProc) error
	// onStart, when set, runs once init exists and before it does anything
	// (before its config is sent, so it may change cfg): the systemd
	// driver puts init in the container's unit here.
	onStart func(pid int) error
}

// initProc is a started init: its pid in our pid namespace and start time.
type initProc struct {
	pid   int
	start uint64
}

// spawn starts `xrt init` from our own binary and drives the handshake until
// init reports ready. On failure nothing it started is left running.
func spawn(o *spawnOpts) (p *initProc, err error) {
	// init is the child of a short-lived intermediate process: as a
	// subreaper we inherit it, so `run` can wait for it and a failed
	// create can reap it.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return nil, fmt.Errorf("become subreaper: %w", err)
	}
	parent, child, err := handshake.Pair()
	if err != nil {
		return nil, err
	}
	defer parent.Close()
	cfgR, cfgW, err := os.Pipe()
	if err != nil {
		child.Close()
		return nil, fmt.Errorf("pipe: %w", err)
	}

	extra := make([]*os.File, 0, o.cfg.PreserveFDs+3)
	for i := 0; i < o.cfg.PreserveFDs; i++ {
		extra = append(extra, os.NewFile(uintptr(3+i), "preserved"))
	}
	fd := func(f *os.File) string {
		extra = append(extra, f)
		return strconv.Itoa(2 + len(extra))
	}
	namespaces := o.namespaces
	if o.netns != nil {
		// Still being made, maybe: it goes with "go", while init starts.
		namespaces = withNetworkPath(namespaces, nsenter.NSWithGo)
	}
	env := []string{
		nsenter.EnvSync + "=" + fd(child),
		containerinit.EnvConfig + "=" + fd(cfgR),
		nsenter.EnvNS + "=" + namespaces,
		nsenter.EnvTimeNS + "=" + timeOffsets(o.cfg.Spec),
	}
	if logs.Debugging() {
		env = append(env, nsenter.EnvDebug+"=1")
	}
	fast, why := containerinit.Fast(o.cfg)
	if fast {
		env = append(env, fastinit.Env+"=1")
	} else {
		logs.Debugf("the Go init sets up this process: %s", why)
	}
	if o.fifo != nil {
		env = append(env, containerinit.EnvFifo+"="+fd(o.fifo))
	}
	if o.console != nil {
		env = append(env, containerinit.EnvConsole+"="+fd(o.console))
	}
	if o.seccomp != nil {
		env = append(env, containerinit.EnvSeccompConn+"="+fd(o.seccomp))
	}
	lateTasks := o.cgroupRest != nil && lateJoin(o.cgroup)
	var join *cgroupJoin
	if !lateTasks {
		err = o.cgroupRest.wait() // the files must be there to be opened
	}
	if err == nil {
		join, err = openCgroup(o.cgroup, lateTasks)
	}
	if err != nil {
		child.Close()
		cfgR.Close()
		cfgW.Close()
		return nil, err
	}
	defer join.close()
	if len(join.tasks) > 0 {
		fds := make([]string, len(join.tasks))
		for i, f := range join.tasks {
			fds[i] = fd(f)
		}
		env = append(env, containerinit.EnvCgroup+"="+strings.Join(fds, ","))
	}
	if len(join.roots) > 0 {
		lines := make([]string, len(join.roots))
		for i, f := range join.roots {
			lines[i] = fd(f) + ":" + relTask(o.cgroup, i)
		}
		env = append(env, containerinit.EnvCgroupTasks+"="+strings.Join(lines, "\n"))
	}
	seal, err := newSealer()
	if err != nil {
		child.Close()
		cfgR.Close()
		cfgW.Close()
		return nil, err
	}
	late := o.makeRoot
	if late != nil && (seal == nil || !o.rootLate) {
		late = nil
		if err := o.makeRoot(); err != nil {
			child.Close()
			cfgR.Close()
			cfgW.Close()
			if seal != nil {
				seal.close()
			}
			return nil, err
		}
	}
	if seal != nil {
		defer seal.close()
		env = append(env, nsenter.EnvHostMntNS+"="+fd(seal.hostns))
	}
	files := append([]*os.File{os.Stdin, os.Stdout, os.Stderr}, extra...)
	cs := &childSpec{path: "/proc/self/exe", args: []string{"xrt", "init"}, env: env, files: files}
	if join.dir != nil {
		cs.sys = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: int(join.dir.Fd())}
	}
	var rootMade <-chan error
	var cmd *childProc
	var onThread func(func()) // where a fast init's setup runs: nil, a thread of its own
	if seal != nil {
		onThread = seal.thread
		cmd, rootMade, err = seal.start(cs, late)
	} else {
		cmd, err = startChild(cs)
	}
	child.Close()
	cfgR.Close()
	if err != nil {
		cfgW.Close()
		if join.dir != nil {
			err = kernel.CloneIntoCgroup.Check(err)
		}
		return nil, fmt.Errorf("start init: %w", err)
	}
	if o.onStart != nil {
		if err := o.onStart(cmd.pid); err != nil {
			cfgW.Close()
			cmd.kill()
			cmd.wait()
			if rootMade != nil {
				<-rootMade
			}
			return nil, err
		}
	}
	// init reads its config once the root is made: an error closes the
	// pipe unwritten, init stops, and the error is the one reported. A
	// fast init reads its plan there instead, written below once the
	// root is built.
	rootDone := make(chan error, 1)
	go func() {
		var err error
		if rootMade != nil {
			err = <-rootMade
		}
		rootDone <- err
		if fast {
			return
		}
		if err == nil {
			if b, err := quickjson.Marshal(o.cfg); err == nil {
				cfgW.Write(b)
			}
		}
		cfgW.Close()
	}()
	waitRoot := sync.OnceValue(func() error { return <-rootDone })
	if fast {
		defer cfgW.Close()
	}

	p = &initProc{}
	var setup *fastSetup // a fast init's root, built while init goes on
	defer func() {
		// The root is made (init has its config) or failed, or is still
		// being made after a failure elsewhere: done before the caller
		// goes on, or cleans up.
		rerr := waitRoot()
		if err != nil {
			cmd.kill()
			if p.pid > 0 && p.pid != cmd.pid {
				killAndReap(p.pid)
			}
			cmd.wait()
			if rerr != nil {
				err = rerr
			}
		}
		setup.wait()
	}()
	if err := sendGo(parent, o.netns); err != nil {
		// It may have said why before it went.
		if m, rerr := parent.Recv(); rerr == nil && m.Type == handshake.Error {
			return p, initError(m.Message)
		}
		return p, fmt.Errorf("init exited early: %w", err)
	}
	var pending error // whileStarting's
	if o.whileStarting != nil {
		pending = o.whileStarting()
	}
	// A fast init sends its procfs context as soon as it is in its PID
	// namespace, and the intermediate process its pid: either may come
	// first. Its root is built from when both are here, while it joins its
	// cgroup and this loop goes on.
	procfd := -1
	defer func() {
		if procfd >= 0 {
			unix.Close(procfd)
		}
	}()
	// init waits for its state, and a fast init has sent its procfs
	// context by then: the state goes once the setup has started.
	pidDone, stateSent := false, false
	afterPid := func() error {
		if !pidDone || stateSent {
			return nil
		}
		if fast && procfd < 0 {
			return nil
		}
		// The root's cgroup mounts bind the v1 part, and init joins it
		// once it has its state.
		if lateTasks {
			if err := o.cgroupRest.wait(); err != nil {
				return err
			}
		}
		if fast {
			setup = startFastSetup(o.cfg, p.pid, procfd, cfgW, waitRoot, func() error { return o.onHooks(&o.state) }, onThread)
			procfd = -1
		}
		stateSent = true
		b, _ := quickjson.Marshal(&o.state)
		if err := parent.Send(handshake.Msg{Type: handshake.State, State: b, Pid: p.pid}); err != nil {
			return err
		}
		if o.onPid != nil {
			return o.onPid(p)
		}
		return nil
	}
	for {
		m, fd, err := recv(parent, fast)
		if pending != nil && (err != nil || m.Type != handshake.Log && m.Type != handshake.Pid && m.Type != handshake.ProcFS) {
			if fd >= 0 {
				unix.Close(fd)
			}
			return p, pending
		}
		if err != nil {
			if _, serr := setup.wait(); serr != nil {
				return p, serr // and init, without its plan, ended
			}
		}
		if errors.Is(err, io.EOF) {
			return p, errors.New("init exited without saying why (see the log and stderr)")
		}
		if err != nil {
			return p, err
		}
		switch m.Type {
		case handshake.Error:
			return p, initError(m.Message)
		case handshake.UserMap:
			if err := writeIDMaps(m.Pid, o.cfg.Spec.Linux); err != nil {
				return p, err
			}
			err = parent.Send(handshake.Msg{Type: handshake.Ack})
		case handshake.Pid:
			p.pid = m.Pid
			if p.pid != cmd.pid {
				cmd.wait() // the intermediate process, which forked init
			}
			if pending != nil {
				return p, pending
			}
			if p.start, _, err = procStat(p.pid); err != nil {
				return p, fmt.Errorf("init %d: %w", p.pid, err)
			}
			if !o.cfg.Exec { // an exec'd process is not the container's pid
				o.state.Pid = p.pid
				if err := moveNetDevices(p.pid, o.netDevices); err != nil {
					return p, err
				}
			}
			pidDone = true
			err = afterPid()
		case handshake.Hooks:
			if err := o.onHooks(&o.state); err != nil {
				return p, err
			}
			err = parent.Send(handshake.Msg{Type: handshake.Ack})
		case handshake.Ready:
			program, err := setup.wait()
			if err != nil {
				return p, err
			}
			switch {
			case program != "" && o.cfg.Exec:
				logs.Debugf("setns_init: about to exec %s", program) // the Go init's words
			case fast && !o.cfg.Exec:
				logs.Debugf("%s", containerinit.ReadyLine(o.fifo != nil))
			}
			return p, nil
		case handshake.Log:
			logs.Write(m.Level, m.Message)
		case handshake.MountSource:
			err = sendMountSource(parent, m.Path, m.Recursive)
		case handshake.IDMapSource:
			err = sendIDMapSource(parent, o.idmap, p.pid, m.Index)
		case handshake.ProcFS:
			if fd < 0 {
				return p, errors.New("fast init: no procfs context came with its message")
			}
			if procfd >= 0 {
				unix.Close(fd)
				return p, errors.New("fast init: a second procfs context")
			}
			procfd = fd
			err = afterPid()
		case handshake.Failed:
			return p, initError(containerinit.StepError(o.cfg, m.Step, m.Index, unix.Errno(m.Errno)).Error())
		case handshake.RaiseFailed:
			logs.Write("warning", containerinit.AmbientWarning(m.Index, unix.Errno(m.Errno)))
		default:
			return p, fmt.Errorf("init sent an unknown message %q", m.Type)
		}
		if err != nil {
			return p, err
		}
	}
}

// recv reads init's next message; a fast init's may carry an fd (-1: none).
func recv(c *handshake.Conn, fast bool) (handshake.Msg, int, error) {
	if fast {
		return c.RecvFd()
	}
	m, err := c.Recv()
	return m, -1, err
}

// setupFast builds the root of fast init pid, with the procfs context it
// sent (procfd, which this closes), and writes the plan of the rest to its
// config pipe (see containerinit.SetupFor, whose thread rules it keeps).
// It returns the program.
func setupFast(cfg *containerinit.Config, pid, procfd int, planW *os.File, runtimeHooks func() error) (program string, err error) {
	procFS := func() (int, error) {
		if procfd < 0 {
			return -1, errors.New("fast init: a second proc mount (the container's procfs context is used)")
		}
		fd := procfd
		procfd = -1
		return fd, nil
	}
	defer func() {
		if procfd >= 0 {
			unix.Close(procfd)
		}
	}()
	var hookErr error
	hooks := func() error {
		hookErr = runtimeHooks()
		return hookErr
	}
	plan, err := containerinit.SetupFor(cfg, pid, procFS, hooks, func(msg string) { logs.Write("warning", msg) })
	if err != nil {
		if err == hookErr {
			return "", err // ours, as when the Go init asks for the hooks
		}
		// What the Go init would have said, in its words.
		return "", initError(err.Error())
	}
	if _, err := planW.Write(plan.Encode()); err != nil {
		return "", fmt.Errorf("fast init: send the plan: %w", err)
	}
	return plan.Path, planW.Close()
}

// cgroupJoin is how init gets into its cgroup without the kernel's slow
// path for moving a process (see cgroups.Manager.ThreadFiles): born in the
// cgroup2 directory (CLONE_INTO_CGROUP), and given the v1 "tasks" files,
// opened here with our credentials, into which its exec'ing thread writes
// itself before it runs anything of the container's. When the v1 part is
// made while init starts, the files are not there yet: init gets the
// hierarchies' mount points (roots) instead, and opens the files below
// them once it has its state. Not by their paths: by then the root's
// setup may have pivoted init's mount namespace and detached the host's
// mounts from it.
type cgroupJoin struct {
	dir          *os.File
	tasks, roots []*os.File
}

// lateJoin says whether init can open cg's tasks files below their roots
// (cgroupJoin): they are known, and their paths there fit on a line.
func lateJoin(cg *cgroups.Join) bool {
	if cg == nil || len(cg.Tasks) == 0 || len(cg.Roots) != len(cg.Tasks) {
		return false
	}
	for i, t := range cg.Tasks {
		if !strings.HasPrefix(t, cg.Roots[i]+"/") || strings.Contains(t, "\n") {
			return false
		}
	}
	return true
}

// relTask is cg's i-th tasks file, relative to its root.
func relTask(cg *cgroups.Join, i int) string {
	return strings.TrimPrefix(cg.Tasks[i], cg.Roots[i]+"/")
}

func openCgroup(cg *cgroups.Join, late bool) (*cgroupJoin, error) {
	j := &cgroupJoin{}
	if cg == nil {
		return j, nil
	}
	if late {
		for _, root := range cg.Roots {
			f, err := os.OpenFile(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
			if err != nil {
				j.close()
				return nil, fmt.Errorf("open cgroup %s: %w", root, err)
			}
			j.roots = append(j.roots, f)
		}
		cg = &cgroups.Join{Dir: cg.Dir}
	}
	if dir := cg.Dir; dir != "" {
		f, err := os.OpenFile(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("open cgroup %s: %w", dir, err)
		}
		j.dir = f
	}
	for _, name := range cg.Tasks {
		f, err := os.OpenFile(name, os.O_WRONLY, 0)
		if err != nil {
			j.close()
			return nil, fmt.Errorf("open cgroup: %w", err)
		}
		j.tasks = append(j.tasks, f)
	}
	return j, nil
}

func (j *cgroupJoin) close() {
	if j.dir != nil {
		j.dir.Close()
	}
	for _, f := range append(j.tasks, j.roots...) {
		f.Close()
	}
}

// namespaceList encodes linux.namespaces for nsenter: "pid,mount,network=/path".
func namespaceList(s *specs.Spec) string {
	if s.Linux == nil {
		return ""
	}
	parts := make([]string, 0, len(s.Linux.Namespaces))
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == specs.CgroupNamespace && ns.Path == "" {
			continue // init unshares it once it is in its cgroup
		}
		if ns.Path != "" {
			parts = append(parts, string(ns.Type)+"="+ns.Path)
		} else {
			parts = append(parts, string(ns.Type))
		}
	}
	return strings.Join(parts, ",")
}

// sendGo tells init to go on, with the network namespace made ahead when
// there is one (nsenter.NSWithGo).
func sendGo(c *handshake.Conn, netns *netnsAhead) error {
	m := handshake.Msg{Type: handshake.Go}
	if f := netns.get(); f != nil {
		logs.Debugf("init joins the network namespace made ahead for it")
		return c.SendFd(m, int(f.Fd()))
	}
	return c.Send(m)
}

// withNetworkPath makes the new network namespace of list (see
// namespaceList) the one at path.
func withNetworkPath(list, path string) string {
	items := strings.Split(list, ",")
	for i, item := range items {
		if item == string(specs.NetworkNamespace) {
			items[i] = item + "=" + path
		}
	}
	return strings.Join(items, ",")
}

// timeOffsets encodes linux.timeOffsets in /proc/self/timens_offsets format.
func timeOffsets(s *specs.Spec) string {
	if s.Linux == nil {
		return ""
	}
	var b strings.Builder
	for clock, off := range s.Linux.TimeOffsets {
		fmt.Fprintf(&b, "%s %d %d\n", clock, off.Secs, off.Nanosecs)
	}
	return b.String()
}

func writeIDMaps(pid int, l *specs.Linux) error {
	write := func(file string, maps []specs.LinuxIDMapping) error {
		var b strings.Builder
		for _, m := range maps {
			fmt.Fprintf(&b, "%d %d %d\n", m.ContainerID, m.HostID, m.Size)
		}
		path := fmt.Sprintf("/proc/%d/%s", pid, file)
		if err := os.WriteFile(path, []byte(b.String()), 0); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		return nil
	}
	if err := write("uid_map", l.UIDMappings); err != nil {
		return err
	}
	// An unprivileged user may map only its own gid, and only once
	// setgroups is denied in the namespace.
	if os.Geteuid() != 0 {
		path := fmt.Sprintf("/proc/%d/setgroups", pid)
		if err := os.WriteFile(path, []byte("deny"), 0); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	return write("gid_map", l.GIDMappings)
}

// killAndReap sends SIGKILL to pid and reaps it when it is our child.
func killAndReap(pid int) {
	unix.Kill(pid, unix.SIGKILL)
	var ws unix.WaitStatus
	unix.Wait4(pid, &ws, 0, nil)
}

// sendMountSource answers init's request for a bind mount source it may not
// open (a user namespace's root cannot enter a directory the host's root
// can): a detached copy of the mount made here, in the caller's mount
// namespace, which init moves into place.
func sendMountSource(conn *handshake.Conn, path string, recursive bool) error {
	flags := uint(unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC)
	if recursive {
		flags |= unix.AT_RECURSIVE
	}
	fd, err := unix.OpenTree(unix.AT_FDCWD, path, flags)
	if err != nil {
		return conn.Send(handshake.Msg{Type: handshake.MountSource, Message: fmt.Sprintf("open_tree %s: %v", path, err)})
	}
	defer unix.Close(fd)
	return conn.SendFd(handshake.Msg{Type: handshake.MountSource}, fd)
}

// sendIDMapSource answers init's request for idmapped mount i (see
// idmapper).
func sendIDMapSource(conn *handshake.Conn, im *idmapper, pid, i int) error {
	fd, err := im.mount(pid, i)
	if err != nil {
		return conn.Send(handshake.Msg{Type: handshake.IDMapSource, Message: err.Error()})
	}
	defer unix.Close(fd)
	return conn.SendFd(handshake.Msg{Type: handshake.IDMapSource}, fd)
}

// initError is a failure init reported, worded as runc words it: scripts
// and engines look for "error during container init".
func initError(msg string) error {
	return errors.New("error during container init: " + msg)
}
