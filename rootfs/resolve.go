package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"xrt/kernel"
)

// inRoot resolves paths as if the directory were "/": ".." stops at it and
// symlinks, absolute ones included, are followed inside it. Magic links
// (/proc/self/fd/N, /proc/self/root) are refused: they jump anywhere.
const inRoot = unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS

// OpenInRoot opens path inside the directory rootfd as if rootfd were the
// root directory: no symlink or ".." leads out of it. path is cleaned
// lexically first ("a/../b" is "b"), as everywhere in this package. flags
// are open(2) flags; O_CLOEXEC is always added. It creates nothing: see
// MkdirAllInRoot.
func OpenInRoot(rootfd int, path string, flags int) (*os.File, error) {
	fd, err := openat2(rootfd, cleanRel(path), flags, inRoot)
	if err != nil {
		return nil, &os.PathError{Op: "openat2", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// MkdirAllInRoot opens the directory path inside rootfd, as OpenInRoot
// resolves it, creating the missing directories with mode (less the umask).
// The returned file is an O_PATH handle.
func MkdirAllInRoot(rootfd int, path string, mode os.FileMode) (*os.File, error) {
	fd, err := ensureInRoot(rootfd, path, true, uint32(mode.Perm()))
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), path), nil
}

// errDangling is what creating a path through a symlink to nowhere gives:
// creating its target could mean creating outside the root.
var errDangling = errors.New("dangling symlink")

func openat2(dirfd int, path string, flags int, resolve uint64) (int, error) {
	how := unix.OpenHow{Flags: uint64(flags | unix.O_CLOEXEC), Resolve: resolve}
	for range 64 {
		fd, err := unix.Openat2(dirfd, path, &how)
		// RESOLVE_IN_ROOT answers EAGAIN when a rename or mount raced with a
		// ".." step: trying again is the documented answer.
		if err != unix.EAGAIN && err != unix.EINTR {
			return fd, kernel.Openat2.Check(err)
		}
	}
	return -1, unix.EAGAIN
}

// cleanRel turns a container path into a clean path relative to the root
// with no ".." left: "/a/../b/" and "b" both become "b"; "/" becomes ".".
func cleanRel(path string) string {
	p := filepath.Clean("/" + path)
	if p == "/" {
		return "."
	}
	return p[1:]
}

// ensureInRoot returns an O_PATH fd for path inside rootfd, creating it if
// it is missing: missing directories are made with mkdirat and the last
// component, if dir is false, as an empty file. Every creation is relative to
// a parent fd that was itself resolved inside the root, never by string path.
// A component that exists but does not resolve (a dangling symlink) is an
// error rather than something to create through.
func ensureInRoot(rootfd int, path string, dir bool, mode uint32) (int, error) {
	return ensureInRootHops(rootfd, path, dir, mode, 0)
}

// maxLinkHops bounds the dangling symlinks followed to create a path, as
// the kernel bounds a lookup (MAXSYMLINKS).
const maxLinkHops = 40

func ensureInRootHops(rootfd int, path string, dir bool, mode uint32, hops int) (int, error) {
	rel := cleanRel(path)
	flags := unix.O_PATH
	if dir {
		flags |= unix.O_DIRECTORY
	}
	fd, err := openat2(rootfd, rel, flags, inRoot)
	if err != unix.ENOENT {
		if err != nil {
			return -1, &os.PathError{Op: "openat2", Path: path, Err: err}
		}
		return fd, nil
	}

	// Find the deepest existing ancestor. Each prefix is resolved from the
	// root, so a symlink in it is followed the way the kernel would.
	parent, done := rootfd, 0
	for i := 0; i < len(rel); i++ {
		if rel[i] != '/' {
			continue
		}
		fd, err := openat2(rootfd, rel[:i], unix.O_PATH|unix.O_DIRECTORY, inRoot)
		if err == unix.ENOENT {
			break
		}
		if err != nil {
			closeOwned(parent, rootfd)
			return -1, &os.PathError{Op: "openat2", Path: "/" + rel[:i], Err: err}
		}
		closeOwned(parent, rootfd)
		parent, done = fd, i+1
	}

	for done < len(rel) {
		name, rest, more := strings.Cut(rel[done:], "/")
		// A dangling symlink: what it names is created, inside the root,
		// as runc does (a /etc/hosts that links to a /tmp file not there yet).
		if target, ok := danglingLink(parent, name); ok {
			from, err := pathInRoot(rootfd, parent)
			closeOwned(parent, rootfd)
			if err != nil {
				return -1, &os.PathError{Op: "resolve", Path: "/" + rel[:done+len(name)], Err: err}
			}
			if hops >= maxLinkHops {
				return -1, &os.PathError{Op: "resolve", Path: path, Err: unix.ELOOP}
			}
			if !filepath.IsAbs(target) {
				target = filepath.Join(from, target)
			}
			return ensureInRootHops(rootfd, filepath.Join(target, rest), dir, mode, hops+1)
		}
		var fd int
		switch {
		case !more && !dir:
			fd, err = createFile(parent, name, mode)
		case dir:
			fd, err = mkdirOpen(parent, name, mode)
		default: // the directories leading to a file
			fd, err = mkdirOpen(parent, name, 0o755)
		}
		closeOwned(parent, rootfd)
		if err != nil {
			return -1, &os.PathError{Op: "create", Path: "/" + rel[:done+len(name)], Err: err}
		}
		parent, done = fd, done+len(name)+1
	}
	return parent, nil
}

// danglingLink says whether name in dir is a symlink, and where it points.
func danglingLink(dir int, name string) (string, bool) {
	var st unix.Stat_t
	if unix.Fstatat(dir, name, &st, unix.AT_SYMLINK_NOFOLLOW) != nil || st.Mode&unix.S_IFMT != unix.S_IFLNK {
		return "", false
	}
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(dir, name, buf)
	if err != nil || n == 0 {
		return "", false
	}
	return string(buf[:n]), true
}

// pathInRoot is the path of dir (an fd inside the root) as the container
// sees it: its host path less the root's.
func pathInRoot(rootfd, dir int) (string, error) {
	root, err := os.Readlink(procFd(rootfd))
	if err != nil {
		return "", err
	}
	p, err := os.Readlink(procFd(dir))
	if err != nil {
		return "", err
	}
	if p == root {
		return "/", nil
	}
	rel, ok := strings.CutPrefix(p, strings.TrimSuffix(root, "/")+"/")
	if !ok {
		return "", fmt.Errorf("%s is outside the root %s", p, root)
	}
	return "/" + rel, nil
}

func closeOwned(fd, rootfd int) {
	if fd != rootfd {
		unix.Close(fd)
	}
}

// mkdirOpen makes the directory name in parent (if needed) and opens it
// without following a symlink.
func mkdirOpen(parent int, name string, mode uint32) (int, error) {
	if err := unix.Mkdirat(parent, name, mode); err != nil && err != unix.EEXIST {
		return -1, err
	}
	fd, err := unix.Openat(parent, name, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err == unix.ENOTDIR {
		var st unix.Stat_t
		if unix.Fstatat(parent, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK {
			return -1, errDangling
		}
	}
	return fd, err
}

// createFile makes an empty regular file name in parent (if needed) and
// opens it without following a symlink.
func createFile(parent int, name string, mode uint32) (int, error) {
	fd, err := unix.Openat(parent, name, unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, mode)
	if err == nil {
		unix.Close(fd)
	} else if err != unix.EEXIST {
		return -1, err
	}
	fd, err = unix.Openat(parent, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, err
	}
	if st.Mode&unix.S_IFMT == unix.S_IFLNK {
		unix.Close(fd)
		return -1, errDangling
	}
	return fd, nil
}

func closeFd(fd int) {
	if fd >= 0 {
		unix.Close(fd)
	}
}

// procFd is the path through which mount(2) reaches an fd; before the pivot
// it goes through the host's procfs, after it through the container's.
func procFd(fd int) string {
	return "/proc/self/fd/" + strconv.Itoa(fd)
}
