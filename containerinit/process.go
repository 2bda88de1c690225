package containerinit

import (
	"errors"
	"fmt"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"xrt/bundle"
	"xrt/lsm"
)

// setupProcess turns init into the container's process, short of exec:
// rlimits, oomScoreAdj, personality, user, capabilities, no_new_privs, umask
// and cwd, in the order the kernel's permission checks need.
func setupProcess(s *specs.Spec, sec *seccompStep, warn func(string)) error {
	p := s.Process
	for _, rl := range p.Rlimits {
		n, ok := bundle.RlimitNumber(rl.Type)
		if !ok {
			return fmt.Errorf("unknown rlimit %q", rl.Type)
		}
		lim := unix.Rlimit{Cur: rl.Soft, Max: rl.Hard}
		if err := unix.Prlimit(0, n, &lim, nil); err != nil {
			return fmt.Errorf("set rlimit %s to %d/%d: %w", rl.Type, rl.Soft, rl.Hard, err)
		}
	}
	if err := setupProcessKernel(s); err != nil {
		return err
	}
	if err := setupScheduling(s); err != nil {
		return err
	}
	caps, ignored := parseCaps(p.Capabilities)
	if len(ignored) > 0 {
		warn(ignoredCapsWarning(ignored))
	}
	// While init still has its capabilities and before no_new_privs, which
	// would limit the AppArmor transition. The labels apply at execve.
	if err := lsm.ApplyOnExec(p.ApparmorProfile, p.SelinuxLabel); err != nil {
		return err
	}
	if sec.early(p) {
		if err := sec.load(); err != nil {
			return err
		}
	}
	if err := dropBounding(caps.bounding); err != nil {
		return err
	}
	// The cwd is tried as root first (a directory the container's user
	// cannot search, on the way to one it can), and again as the user when
	// root may not enter it (a root-squashed or 0700 volume of the user).
	cwdDone := false
	switch err := chdir(processCwd(p)); {
	case err == nil:
		cwdDone = true
	case !errors.Is(err, unix.EACCES) && !errors.Is(err, unix.EPERM):
		return err
	}
	if err := setUser(p.User); err != nil {
		return err
	}
	if err := applyCaps(caps, warn); err != nil {
		return err
	}
	if p.NoNewPrivileges {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return stepError(stepWords["nnp"], err)
		}
	}
	mask := 0o022
	if p.User.Umask != nil {
		mask = int(*p.User.Umask)
	}
	unix.Umask(mask)
	if !cwdDone {
		if err := chdir(processCwd(p)); err != nil {
			return err
		}
	}
	return nil
}

// chdir changes to process.cwd ("/" when empty) and checks that it is
// inside the container's root: a cwd reached through a leaked host fd
// named as /proc/self/fd/N (CVE-2024-21626) has no path from the root,
// and getcwd says "unreachable".
func chdir(cwd string) error {
	if err := unix.Chdir(cwd); err != nil {
		return chdirError(cwd, err)
	}
	if _, err := unix.Getwd(); err != nil {
		return cwdOutsideError(cwd)
	}
	return nil
}

// setUser switches this thread to the container's user, keeping the
// permitted capabilities across the switch so applyCaps can set them.
// Raw per-thread syscalls: the thread execs right after.
func setUser(u specs.User) error {
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
		return stepError(stepWords["keepcaps"], err)
	}
	gids := make([]uint32, len(u.AdditionalGids))
	copy(gids, u.AdditionalGids)
	var ptr unsafe.Pointer
	if len(gids) > 0 {
		ptr = unsafe.Pointer(&gids[0])
	}
	if _, _, errno := unix.RawSyscall(unix.SYS_SETGROUPS, uintptr(len(gids)), uintptr(ptr), 0); errno != 0 {
		// A user namespace with setgroups denied cannot drop groups; only
		// an explicit list is an error then.
		if len(gids) > 0 || errno != unix.EPERM {
			return fmt.Errorf("set additional gids %v: %w", gids, errno)
		}
	}
	if _, _, errno := unix.RawSyscall(unix.SYS_SETRESGID, uintptr(u.GID), uintptr(u.GID), uintptr(u.GID)); errno != 0 {
		return fmt.Errorf("set gid %d: %w", u.GID, errno)
	}
	if _, _, errno := unix.RawSyscall(unix.SYS_SETRESUID, uintptr(u.UID), uintptr(u.UID), uintptr(u.UID)); errno != 0 {
		return fmt.Errorf("set uid %d: %w", u.UID, errno)
	}
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 0, 0, 0, 0); err != nil {
		return stepError(stepWords["clearkeepcaps"], err)
	}
	return nil
}

func chdirError(cwd string, err error) error {
	return fmt.Errorf("chdir to process.cwd %q: %w", cwd, err)
}

func cwdOutsideError(cwd string) error {
	return fmt.Errorf("process.cwd %q is outside the container's root: refused", cwd)
}

// processCwd is process.cwd, "/" when empty.
func processCwd(p *specs.Process) string {
	if p.Cwd == "" {
		return "/"
	}
	return p.Cwd
}

// program is what execve gets: the environment (env) and the executable
// found from the working directory with it (lookPath). It runs in the
// container's root, before the user changes.
func program(p *specs.Process) (path, cwd string, environ []string, err error) {
	cwd = processCwd(p)
	environ = env(p)
	path, err = lookPath(p.Args[0], cwd, environ)
	return path, cwd, environ, err
}
