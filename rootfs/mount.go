package rootfs

import (
	"errors"
	"fmt"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// mounter mounts spec mounts into the root directory root (an O_PATH fd of
// the bind-mounted rootfs).
type mounter struct {
	root           int
	rootfs         string // host path of root, for messages and host-side checks
	userns         bool
	cgroupns       bool   // a new cgroup namespace, unshared after the mounts
	cgroupnsJoined bool   // a cgroup namespace joined by path, before the mounts
	cgroupPath     string // the container's cgroup path, for cgroup mounts
	label          string // SELinux mount label, empty unless SELinux is on
	// lateReadonly: see Config.lateReadonly.
	lateReadonly []string
	openSource   func(path string, recursive bool) (int, error) // Config.OpenSource
	procFS       func() (int, error)                            // Config.ProcFS
	self         string                                         // Config.self()
}

// mount performs one spec mount.
func (m *mounter) mount(sm *specs.Mount) error {
	dest := filepath.Clean("/" + sm.Destination)
	if dest == "/" {
		return fmt.Errorf("mount %s on /: mounting over the container's root is not supported", sm.Type)
	}
	o := ParseMountOptions(sm.Options)
	if sm.Type == "bind" {
		o.Flags |= unix.MS_BIND
	}
	var err error
	switch {
	case o.IDMap:
		err = errors.New("idmap: no idmapped mount was prepared for it")
	case o.Flags&unix.MS_REMOUNT != 0:
		err = m.remount(sm, dest, &o)
	case o.Bind():
		err = m.bind(sm.Source, dest, &o)
		if errors.Is(err, errSourceDenied) && m.openSource != nil {
			var fd int
			if fd, err = m.openSource(sm.Source, o.Flags&unix.MS_REC != 0); err == nil {
				err = m.moveIn(fd, sm)
				unix.Close(fd)
				return err
			}
		}
	case sm.Type == "cgroup":
		err = m.cgroup(dest, &o)
	default:
		err = m.filesystem(sm, dest, &o)
	}
	var de *destError
	if err != nil && !errors.As(err, &de) {
		return fmt.Errorf("error mounting %q to rootfs at %q: %w", mountName(sm), dest, err)
	}
	return err
}

// errSourceDenied: init may not open a bind mount's source.
var errSourceDenied = errors.New("no access to the source from the container's user namespace")

// destError is a failure about the destination itself; its message already
// says which mount failed.
type destError struct {
	dest string
	err  error
}

func (e *destError) Error() string { return "mount destination " + e.dest + ": " + e.err.Error() }
func (e *destError) Unwrap() error { return e.err }

func mountName(sm *specs.Mount) string {
	if sm.Type == "" || sm.Type == "none" || sm.Type == "bind" {
		return sm.Source
	}
	return sm.Type
}

// bind bind-mounts the host path src on dest, then applies the per-mount
// flags with mount_setattr (which keeps the flags it is not told about, the
// ones a user namespace locks included) and the propagation.
func (m *mounter) bind(src, dest string, o *MountOptions) error {
	srcfd, err := unix.Open(src, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err == unix.EACCES || err == unix.EPERM {
		return fmt.Errorf("open source: %w: %w", errSourceDenied, err)
	}
	if err != nil {
		return fmt.Errorf("open source: %w", err)
	}
	defer unix.Close(srcfd)
	var st unix.Stat_t
	if err := unix.Fstat(srcfd, &st); err != nil {
		return fmt.Errorf("stat source: %w", err)
	}
	return m.bindFd(srcfd, st.Mode&unix.S_IFMT == unix.S_IFDIR, dest, o)
}

func (m *mounter) bindFd(srcfd int, dir bool, dest string, o *MountOptions) error {
	dstfd, err := m.destination(dest, dir)
	if err != nil {
		return err
	}
	defer unix.Close(dstfd)
	if err := unix.Mount(procFd(srcfd), procFd(dstfd), "", unix.MS_BIND|o.Flags&unix.MS_REC, ""); err != nil {
		return err
	}
	return m.settle(dstfd, dest, o)
}

// settle checks a bind mount landed on dest and applies its flags.
func (m *mounter) settle(dstfd int, dest string, o *MountOptions) error {
	fd, err := m.landed(dstfd, dest)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if attr, implied := o.bindAttr(); attr.Attr_set|attr.Attr_clr != 0 {
		err := setMountAttr(fd, attr, 0)
		if err == unix.EPERM && m.userns && implied&lockableAttrs != 0 {
			// Locked by the user namespace: keep the source's, unless an
			// option asked to clear them (then the error stands).
			attr.Attr_clr &^= implied & lockableAttrs
			err = setMountAttr(fd, attr, 0)
		}
		if err != nil {
			return fmt.Errorf("set mount flags: %w", err)
		}
	}
	return m.finish(fd, o)
}

// filesystem mounts a new instance of a filesystem (proc, sysfs, tmpfs,
// devpts, mqueue, cgroup2, anything else) on dest.
func (m *mounter) filesystem(sm *specs.Mount, dest string, o *MountOptions) error {
	if sm.Type == "proc" || sm.Type == "sysfs" {
		if err := m.ordinaryDir(sm.Type, dest); err != nil {
			return err
		}
	}
	data := o.Data
	flags := o.Flags
	if sm.Type == "tmpfs" || dest == "/dev" {
		// Read-only once its contents are made (Finalize), as with runc:
		// /dev gets devices and mount points, and a tmpfs may be a parent.
		if flags&unix.MS_RDONLY != 0 {
			flags &^= unix.MS_RDONLY
			m.lateReadonly = append(m.lateReadonly, dest)
		}
	}
	if sm.Type == "tmpfs" {
		// A tmpfs over an existing directory keeps its mode unless the
		// options give one (runc 1.2 and later).
		data = joinData(m.existingMode(dest), data)
	}
	dstfd, err := m.destination(dest, true)
	if err != nil {
		return err
	}
	defer unix.Close(dstfd)
	src := sm.Source
	if src == "" {
		src = sm.Type
	}
	if m.label != "" && (sm.Type == "tmpfs" || sm.Type == "devpts") {
		data = joinData(data, `context="`+m.label+`"`)
	}
	if sm.Type == "proc" && m.procFS != nil {
		err = m.procByFd(src, dstfd, flags, data)
	} else {
		err = unix.Mount(src, procFd(dstfd), sm.Type, flags, data)
	}
	if err == unix.EPERM && m.userns {
		// A user namespace cannot mount sysfs without its own network
		// namespace, nor mqueue without its own IPC namespace: show the
		// host's instead.
		switch sm.Type {
		case "sysfs":
			return m.bind("/sys", dest, &MountOptions{Flags: o.Flags | unix.MS_BIND | unix.MS_REC, Propagation: o.Propagation, RecSet: o.RecSet, RecClear: o.RecClear})
		case "mqueue":
			return m.bind("/dev/mqueue", dest, &MountOptions{Flags: o.Flags | unix.MS_BIND, Propagation: o.Propagation, RecSet: o.RecSet, RecClear: o.RecClear})
		}
	}
	if err != nil {
		return err
	}
	fd, err := m.landed(dstfd, dest)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if o.TmpCopyUp {
		if err := copyUp(dstfd, fd); err != nil {
			return fmt.Errorf("tmpcopyup: %w", err)
		}
	}
	return m.finish(fd, o)
}

// remount changes the flags of what is already mounted on dest.
func (m *mounter) remount(sm *specs.Mount, dest string, o *MountOptions) error {
	fd, err := openat2(m.root, cleanRel(dest), unix.O_PATH, inRoot)
	if err != nil {
		return &destError{dest, err}
	}
	defer unix.Close(fd)
	if err := unix.Mount(sm.Source, procFd(fd), sm.Type, o.Flags, o.Data); err != nil {
		return err
	}
	return m.finish(fd, o)
}

// finish applies what comes after a mount: recursive attributes, then
// propagation, each change its own call as the kernel requires.
func (m *mounter) finish(fd int, o *MountOptions) error {
	if o.RecSet|o.RecClear != 0 {
		attr := unix.MountAttr{Attr_set: o.RecSet, Attr_clr: o.RecClear}
		if err := setMountAttr(fd, attr, unix.AT_RECURSIVE); err != nil {
			return fmt.Errorf("set recursive mount flags: %w", err)
		}
	}
	for _, p := range o.Propagation {
		if err := unix.Mount("", procFd(fd), "", p, ""); err != nil {
			return fmt.Errorf("make %s: %w", propName(p), err)
		}
	}
	return nil
}

// destination resolves dest inside the root, creating it (a directory, or an
// empty file when dir is false) if missing.
func (m *mounter) destination(dest string, dir bool) (int, error) {
	fd, err := ensureInRoot(m.root, dest, dir, 0o755)
	if err != nil {
		return -1, &destError{dest, err}
	}
	return fd, nil
}

// landed checks that the mount just made on the fd before reached the
// destination as seen from the root, and returns an fd of the new mount.
// A mount made through /proc/self/fd/N lands on that fd's dentry even if the
// path was renamed meanwhile; re-resolving catches that, and later changes
// (flags, propagation) must go through the new fd: the old one still points
// at the mount underneath.
func (m *mounter) landed(before int, dest string) (int, error) {
	return landedIn(m.root, before, dest)
}

func landedIn(root, before int, dest string) (int, error) {
	after, err := openat2(root, cleanRel(dest), unix.O_PATH, inRoot)
	if err != nil {
		return -1, &destError{dest, fmt.Errorf("reopen after mount: %w", err)}
	}
	if err := checkLanded(before, after); err != nil {
		unix.Close(after)
		return -1, &destError{dest, err}
	}
	return after, nil
}

// checkLanded checks that after, the destination looked up again, is on
// another mount than before, the destination as it was before mounting.
func checkLanded(before, after int) error {
	was, err1 := mountID(before)
	now, err2 := mountID(after)
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	if was == now && was != 0 {
		return errors.New("the mount did not land on it (the path changed during the mount)")
	}
	return nil
}

// mountID is the id of the mount fd is on, 0 on kernels before 5.8, which
// do not tell (and so cannot be checked).
func mountID(fd int) (uint64, error) {
	var stx unix.Statx_t
	if err := unix.Statx(fd, "", unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW, unix.STATX_MNT_ID, &stx); err != nil {
		return 0, fmt.Errorf("statx: %w", err)
	}
	if stx.Mask&unix.STATX_MNT_ID == 0 {
		return 0, nil
	}
	return stx.Mnt_id, nil
}

func joinData(a, b string) string {
	if a == "" {
		return b
	}
	if b == "" {
		return a
	}
	return a + "," + b
}

// ordinaryDir refuses a proc or sysfs destination that exists as anything
// but a directory (a symlink above all: mounting through one has been an
// attack on runtimes), in runc's words.
func (m *mounter) ordinaryDir(fstype, dest string) error {
	fd, err := openat2(m.root, cleanRel(dest), unix.O_PATH|unix.O_NOFOLLOW, inRoot)
	if err == unix.ENOENT {
		return nil
	}
	if err != nil {
		return &destError{dest, err}
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return &destError{dest, err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return &destError{dest, fmt.Errorf("filesystem %q must be mounted on ordinary directory", fstype)}
	}
	return nil
}

// existingMode is "mode=NNNN" of the directory at dest, "" when there is
// none yet.
func (m *mounter) existingMode(dest string) string {
	fd, err := openat2(m.root, cleanRel(dest), unix.O_PATH, inRoot)
	if err != nil {
		return ""
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return ""
	}
	return fmt.Sprintf("mode=%04o", st.Mode&0o7777)
}
