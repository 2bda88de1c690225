package containerinit

import (
	"fmt"
	"os"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"xrt/bundle"
	"xrt/fastinit"
	"xrt/rootfs"
	"xrt/seccomp"
)

// Fast says whether the C init (fastinit) can run this container, and if
// not, why: it has no hooks to run, no terminal, no user namespace, no
// security label, no seccomp agent and none of the rarer process settings,
// and its root is made in a mount namespace of its own by pivot_root. The
// Go init takes everything else. XRT_NO_FASTPATH set turns it off.
func Fast(cfg *Config) (bool, string) {
	s := cfg.Spec
	p := s.Process
	l := s.Linux
	switch {
	case os.Getenv("XRT_NO_FASTPATH") != "":
		return false, "XRT_NO_FASTPATH is set"
	case os.Geteuid() != 0:
		return false, "rootless"
	case cfg.Exec && (l == nil || !bundle.HasNamespace(s, specs.MountNamespace)):
		return false, "no mount namespace"
	case !cfg.Exec && cfg.NoPivot:
		return false, "--no-pivot"
	case !cfg.Exec && (l == nil || !bundle.HasNewNamespace(s, specs.MountNamespace)):
		return false, "no mount namespace of its own"
	case bundle.HasNamespace(s, specs.UserNamespace):
		return false, "user namespace"
	case !cfg.Exec && hasInitHooks(s.Hooks):
		return false, "createContainer or startContainer hooks"
	case p.Terminal:
		return false, "terminal"
	case p.ApparmorProfile != "" || p.SelinuxLabel != "":
		return false, "security label"
	case p.Scheduler != nil || p.IOPriority != nil || p.ExecCPUAffinity != nil || l.Personality != nil || l.MemoryPolicy != nil:
		return false, "scheduling or personality"
	case cfg.Seccomp != nil && cfg.Seccomp.Notify:
		return false, "seccomp agent"
	case len(p.Rlimits) > 32:
		return false, "more than 32 rlimits"
	}
	procs := 0
	for i := range s.Mounts {
		if rootfs.IsIDMapped(&s.Mounts[i]) {
			return false, "idmapped mount"
		}
		if s.Mounts[i].Type == "proc" {
			procs++
		}
	}
	if procs > 1 {
		return false, "more than one proc mount"
	}
	return true, ""
}

// hasInitHooks: the hooks that run from init, in the container's
// namespaces. prestart and createRuntime run in the runtime's (create runs
// them, with either init), poststart and poststop in start and delete.
func hasInitHooks(h *specs.Hooks) bool {
	return h != nil && len(h.CreateContainer)+len(h.StartContainer) > 0
}

// SetupFor does for the fast init pid what the Go init does for itself
// before it sets up its process: the calling thread enters pid's mount,
// network, IPC, UTS and cgroup namespaces, builds the container's root
// (buildRoot, procfs from procFS: made by pid, in the container's PID
// namespace; not for exec, whose root is the container's), then resolves
// the program there. It returns the plan of the rest, which the C init
// applies to itself. The caller's goroutine must be locked to its thread
// and never give it back: the thread has left our namespaces and our root
// for good, and ends with the goroutine.
//
// runtimeHooks runs the prestart and createRuntime hooks where the Go init
// asks its parent to: once the mounts are made, before the pivot. It is
// called from another goroutine than the thread's (a locked thread runs
// nothing else), so the hooks start in our namespaces, not init's.
func SetupFor(cfg *Config, pid int, procFS func() (int, error), runtimeHooks func() error, warn func(string)) (*fastinit.Plan, error) {
	if err := enterNamespaces(pid); err != nil {
		return nil, err
	}
	if !cfg.Exec {
		rc := &rootfs.Config{Rootfs: cfg.Rootfs, Spec: cfg.Spec, Cgroup: cfg.Cgroup, Pid: pid, ProcFS: procFS}
		hooks := func() error {
			h := cfg.Spec.Hooks
			//lint:ignore SA1019 prestart is deprecated, still honoured
			if h == nil || len(h.Prestart)+len(h.CreateRuntime) == 0 {
				return nil
			}
			done := make(chan error, 1)
			go func() { done <- runtimeHooks() }()
			return <-done
		}
		if err := buildRoot(rc, hooks); err != nil {
			return nil, err
		}
	}
	path, cwd, environ, err := program(cfg.Spec.Process)
	if err != nil {
		return nil, err
	}
	return planFor(cfg, path, cwd, environ, warn)
}

// setupNamespaces are the namespaces of a fast init that its setup thread
// enters: all but its PID and time namespaces (which only children can
// enter) and its user namespace (a fast init has none of its own).
const setupNamespaces = unix.CLONE_NEWNET | unix.CLONE_NEWIPC | unix.CLONE_NEWUTS | unix.CLONE_NEWCGROUP | unix.CLONE_NEWNS

// enterNamespaces moves this thread into pid's setupNamespaces, all at
// once through a pidfd (Linux 5.8), else one by one through /proc.
func enterNamespaces(pid int) error {
	if err := unix.Unshare(unix.CLONE_FS); err != nil {
		return fmt.Errorf("setup thread: unshare fs: %w", err)
	}
	if pidfd, err := unix.PidfdOpen(pid, 0); err == nil {
		err = unix.Setns(pidfd, setupNamespaces)
		unix.Close(pidfd)
		if err != unix.EINVAL {
			if err != nil {
				return fmt.Errorf("setup thread: enter the namespaces of init %d: %w", pid, err)
			}
			return nil
		}
	}
	for _, ns := range []struct {
		name string
		flag int
	}{{"net", unix.CLONE_NEWNET}, {"ipc", unix.CLONE_NEWIPC}, {"uts", unix.CLONE_NEWUTS}, {"cgroup", unix.CLONE_NEWCGROUP}, {"mnt", unix.CLONE_NEWNS}} {
		path := "/proc/" + strconv.Itoa(pid) + "/ns/" + ns.name
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("setup thread: open %s: %w", path, err)
		}
		err = unix.Setns(fd, ns.flag)
		unix.Close(fd)
		if err != nil {
			return fmt.Errorf("setup thread: enter %s: %w", path, err)
		}
	}
	return nil
}

// planFor is setupProcess's work, computed rather than done.
func planFor(cfg *Config, path, cwd string, environ []string, warn func(string)) (*fastinit.Plan, error) {
	s := cfg.Spec
	p := s.Process
	plan := &fastinit.Plan{
		Path: path, Args: p.Args, Env: environ, Cwd: cwd,
		UID: p.User.UID, GID: p.User.GID, AdditionalGids: p.User.AdditionalGids,
		LastCap: lastCap(), OOMScoreAdj: p.OOMScoreAdj, NoNewPrivileges: p.NoNewPrivileges,
		Umask: 0o022, PreserveFDs: cfg.PreserveFDs,
		// An exec'd process joins the container's cgroup namespace and
		// keeps the caller's keyring, as with the Go init.
		NewCgroupNS: !cfg.Exec && bundle.HasNewNamespace(s, specs.CgroupNamespace),
	}
	for _, rl := range p.Rlimits {
		n, ok := bundle.RlimitNumber(rl.Type)
		if !ok {
			return nil, fmt.Errorf("unknown rlimit %q", rl.Type)
		}
		plan.Rlimits = append(plan.Rlimits, fastinit.Rlimit{Resource: uint32(n), Soft: rl.Soft, Hard: rl.Hard})
	}
	caps, ignored := parseCaps(p.Capabilities)
	if len(ignored) > 0 {
		warn(ignoredCapsWarning(ignored))
	}
	plan.Bounding, plan.Effective, plan.Permitted, plan.Inheritable, plan.Ambient = caps.bounding, caps.effective, caps.permitted, caps.inheritable, caps.ambient
	if p.User.Umask != nil {
		plan.Umask = *p.User.Umask
	}
	if sec := cfg.Seccomp; sec != nil {
		if err := seccomp.Check(sec); err != nil {
			return nil, fmt.Errorf("load seccomp filter: %w", err)
		}
		plan.Filter, plan.SeccompFlags = sec.Filter, uint32(sec.LoadFlags())
	}
	if !cfg.Exec && !cfg.NoNewKeyring {
		plan.Keyring = keyringName(cfg)
	}
	return plan, nil
}

// StepError words a failure the C init reported (step, the index it names,
// errno) as the Go init words the same failure.
func StepError(cfg *Config, step string, index int, errno unix.Errno) error {
	p := cfg.Spec.Process
	cwd := processCwd(p)
	if words, ok := stepWords[step]; ok {
		return stepError(words, errno)
	}
	switch step {
	case "state", "plan":
		return fmt.Errorf("init: read the %s from the parent: %w", step, errno)
	case "cgroup": // as os.File names the tasks file it writes
		return fmt.Errorf("join cgroup: write tasks: %w", errno)
	case "affinity":
		return fmt.Errorf("set CPU affinity %q: %w", "", errno)
	case "procfs":
		return fmt.Errorf("open a procfs context in the container's PID namespace (fsopen): %w", errno)
	case "rlimit":
		if index >= 0 && index < len(p.Rlimits) {
			rl := p.Rlimits[index]
			return fmt.Errorf("set rlimit %s to %d/%d: %w", rl.Type, rl.Soft, rl.Hard, errno)
		}
	case "oom": // as os.WriteFile words it: index 0 the open, 1 the write
		if p.OOMScoreAdj != nil {
			op := "open"
			if index == 1 {
				op = "write"
			}
			return fmt.Errorf("set oomScoreAdj %d: %s /proc/self/oom_score_adj: %w", *p.OOMScoreAdj, op, errno)
		}
	case "seccomp":
		if cfg.Seccomp != nil {
			return fmt.Errorf("load seccomp filter: %w", seccomp.LoadError(errno, cfg.Seccomp.LoadFlags()))
		}
	case "bounding":
		return fmt.Errorf("drop capability %d from the bounding set: %w", index, errno)
	case "chdir":
		return chdirError(cwd, errno)
	case "cwdoutside":
		return cwdOutsideError(cwd)
	case "setgroups":
		return fmt.Errorf("set additional gids %v: %w", p.User.AdditionalGids, errno)
	case "setgid":
		return fmt.Errorf("set gid %d: %w", p.User.GID, errno)
	case "setuid":
		return fmt.Errorf("set uid %d: %w", p.User.UID, errno)
	}
	return fmt.Errorf("init: %s (%d): %w", step, index, errno)
}

// stepWords are the words of the steps that fail with nothing but an
// errno to add, keyed by the C init's step names; the Go init fails the
// same steps with stepError(stepWords[...], err).
var stepWords = map[string]string{
	"setsid":        "setsid",
	"keyring":       "join a new session keyring",
	"cgroupns":      "unshare cgroup namespace",
	"closefds":      "close fds",
	"keepcaps":      "set keepcaps",
	"clearkeepcaps": "clear keepcaps",
	"capset":        "set capabilities",
	"ambient":       "clear ambient capabilities",
	"nnp":           "set no_new_privs",
}

func stepError(words string, err error) error { return fmt.Errorf("%s: %w", words, err) }

// AmbientWarning words the C init's failure to raise ambient capability c.
func AmbientWarning(c int, errno unix.Errno) string {
	return ambientWarning(c, errno)
}
