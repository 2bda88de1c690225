package rootfs

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// defaultDevices are the devices config-linux.md makes every container have.
var defaultDevices = [...]struct {
	path         string
	major, minor uint32
}{
	{"/dev/null", 1, 3},
	{"/dev/zero", 1, 5},
	{"/dev/full", 1, 7},
	{"/dev/random", 1, 8},
	{"/dev/urandom", 1, 9},
	{"/dev/tty", 5, 0},
}

var devSymlinks = [...]struct{ name, target string }{
	{"fd", "/proc/self/fd"},
	{"stdin", "/proc/self/fd/0"},
	{"stdout", "/proc/self/fd/1"},
	{"stderr", "/proc/self/fd/2"},
	{"ptmx", "pts/ptmx"},
	{"core", "/proc/kcore"},
}

// device is one node to create, in unix terms.
type device struct {
	path     string // clean container path
	mode     uint32 // S_IFCHR, S_IFBLK or S_IFIFO | permissions
	rdev     uint64
	uid, gid int // -1: leave as created
}

// createDevices creates the default devices, the /dev symlinks and the
// spec's devices. When the spec bind-mounts /dev itself, that /dev is the
// host's (or someone else's) and nothing is created in it.
func (m *mounter) createDevices(c *Config) error {
	devBound := false
	for i := range c.Spec.Mounts {
		sm := &c.Spec.Mounts[i]
		if filepath.Clean("/"+sm.Destination) == "/dev" {
			o := ParseMountOptions(sm.Options)
			devBound = sm.Type == "bind" || o.Bind()
		}
	}
	specDevs := c.linux().Devices

	old := unix.Umask(0) // modes must be exact
	defer unix.Umask(old)

	d := devMaker{m: m, parent: -1}
	defer d.close()
	if !devBound {
	defaults:
		for _, dd := range defaultDevices {
			for i := range specDevs {
				if filepath.Clean("/"+specDevs[i].Path) == dd.path {
					continue defaults // the spec's entry wins
				}
			}
			if err := d.create(device{path: dd.path, mode: unix.S_IFCHR | 0o666, rdev: unix.Mkdev(dd.major, dd.minor), uid: -1, gid: -1}); err != nil {
				return err
			}
		}
		if err := d.symlinks(); err != nil {
			return err
		}
		// The pty is bound on /dev/console after Finalize, which may have
		// made /dev read-only: its mount point is made now.
		if p := c.Spec.Process; p != nil && p.Terminal {
			fd, err := ensureInRoot(m.root, "/dev/console", false, 0o600)
			if err != nil {
				return fmt.Errorf("create /dev/console: %w", err)
			}
			unix.Close(fd)
		}
	}
	for i := range specDevs {
		dev, err := specDevice(&specDevs[i])
		if err != nil {
			return err
		}
		if devBound && strings.HasPrefix(dev.path, "/dev/") {
			continue
		}
		// /dev/ptmx is the symlink to the container's own devpts, whatever
		// the spec lists (runc ignores the entry the same way).
		if !devBound && dev.path == "/dev/ptmx" {
			continue
		}
		if err := d.create(dev); err != nil {
			return err
		}
	}
	return nil
}

func specDevice(sd *specs.LinuxDevice) (device, error) {
	dev := device{path: filepath.Clean("/" + sd.Path), mode: 0o666, uid: -1, gid: -1}
	switch sd.Type {
	case "c", "u":
		dev.mode |= unix.S_IFCHR
	case "b":
		dev.mode |= unix.S_IFBLK
	case "p":
		dev.mode |= unix.S_IFIFO
	default:
		return dev, fmt.Errorf("create device %s: unknown type %q", dev.path, sd.Type)
	}
	if sd.FileMode != nil {
		// A JSON number of unix permission bits, not Go's FileMode layout.
		dev.mode = dev.mode&unix.S_IFMT | uint32(*sd.FileMode)&0o7777
	}
	if sd.Type != "p" {
		dev.rdev = unix.Mkdev(uint32(sd.Major), uint32(sd.Minor))
	}
	if sd.UID != nil {
		dev.uid = int(*sd.UID)
	}
	if sd.GID != nil {
		dev.gid = int(*sd.GID)
	}
	return dev, nil
}

// devMaker creates device nodes, keeping the last parent directory open
// since nearly all devices live in /dev.
type devMaker struct {
	m          *mounter
	parent     int
	parentPath string
}

func (d *devMaker) close() { closeFd(d.parent) }

func (d *devMaker) dir(dir string) (int, error) {
	if d.parent >= 0 && d.parentPath == dir {
		return d.parent, nil
	}
	fd, err := ensureInRoot(d.m.root, dir, true, 0o755)
	if err != nil {
		return -1, err
	}
	closeFd(d.parent)
	d.parent, d.parentPath = fd, dir
	return fd, nil
}

func (d *devMaker) create(dev device) error {
	dir, name := path.Split(dev.path)
	parent, err := d.dir(dir)
	if err != nil {
		return fmt.Errorf("create device %s: %w", dev.path, err)
	}
	// In a user namespace mknod of a device is refused (a fifo is fine):
	// show the host's node instead.
	bind := d.m.userns && dev.mode&unix.S_IFMT != unix.S_IFIFO
	if !bind {
		err = unix.Mknodat(parent, name, dev.mode, int(dev.rdev))
		if err == unix.EPERM && dev.mode&unix.S_IFMT != unix.S_IFIFO {
			bind = true // no CAP_MKNOD
		} else if err == unix.EEXIST {
			err = sameDevice(parent, name, dev)
		} else if err == nil && (dev.uid >= 0 || dev.gid >= 0) {
			err = unix.Fchownat(parent, name, dev.uid, dev.gid, unix.AT_SYMLINK_NOFOLLOW)
		}
	}
	if bind {
		err = d.bindHost(parent, name, dev)
	}
	if err != nil {
		return fmt.Errorf("create device %s: %w", dev.path, err)
	}
	return nil
}

// sameDevice accepts an existing node only if it is the requested device,
// as the spec demands.
func sameDevice(parent int, name string, dev device) error {
	var st unix.Stat_t
	if err := unix.Fstatat(parent, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != dev.mode&unix.S_IFMT || (dev.mode&unix.S_IFMT != unix.S_IFIFO && st.Rdev != dev.rdev) {
		return fmt.Errorf("a different file already exists there (mode %o, device %d:%d)", st.Mode, unix.Major(st.Rdev), unix.Minor(st.Rdev))
	}
	return nil
}

// bindHost bind-mounts the host's node at dev.path onto an empty file.
func (d *devMaker) bindHost(parent int, name string, dev device) error {
	src, err := unix.Open(dev.path, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open host device: %w", err)
	}
	defer unix.Close(src)
	var st unix.Stat_t
	if err := unix.Fstat(src, &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != dev.mode&unix.S_IFMT || st.Rdev != dev.rdev {
		return fmt.Errorf("host %s is not the requested device", dev.path)
	}
	dst, err := createFile(parent, name, 0)
	if err != nil {
		return err
	}
	defer unix.Close(dst)
	if err := unix.Mount(procFd(src), procFd(dst), "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind host device: %w", err)
	}
	fd, err := d.m.landed(dst, dev.path)
	if err != nil {
		return err
	}
	unix.Close(fd)
	return nil
}

func (d *devMaker) symlinks() error {
	parent, err := d.dir("/dev/")
	if err != nil {
		return fmt.Errorf("create /dev symlinks: %w", err)
	}
	for _, l := range devSymlinks {
		if err := unix.Symlinkat(l.target, parent, l.name); err != nil && err != unix.EEXIST {
			return fmt.Errorf("create symlink /dev/%s: %w", l.name, err)
		}
	}
	return nil
}
