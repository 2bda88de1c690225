package unpack

import (
	"fmt"
	"path"
	"slices"

	"golang.org/x/sys/unix"

	"xrt/kernel"
)

// maxCachedDirs bounds the parent descriptor cache. Tar streams are mostly
// depth-first, so a few dozen recent directories catch nearly every entry.
const maxCachedDirs = 64

// resolveInRoot makes the layer directory act as "/" for every lookup: ".."
// and absolute symlinks stay inside it, and /proc magic links are refused.
var resolveInRoot = unix.OpenHow{
	Flags:   unix.O_RDONLY | unix.O_DIRECTORY | unix.O_CLOEXEC,
	Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
}

// openInRoot opens the directory at the clean relative path p, resolved with
// the layer directory as root. flags replace how.Flags when non-zero.
func openInRoot(root int, p string, flags uint64) (int, error) {
	how := resolveInRoot
	if flags != 0 {
		how.Flags = flags
	}
	for try := 0; ; try++ {
		fd, err := unix.Openat2(root, p, &how)
		// EAGAIN: a concurrent rename raced the lookup of ".."; retry a
		// little (nothing else should be renaming inside the layer).
		if (err != unix.EAGAIN && err != unix.EINTR) || try == 16 {
			return fd, kernel.Openat2.Check(err)
		}
	}
}

// dirRef is an open directory of the layer.
type dirRef struct {
	fd int
	// setgid: files created in it take its group, not the creator's.
	setgid bool
}

// dirFD returns the directory at the clean relative path p, creating
// missing directories (mode 0755) when create is set. The descriptor is
// owned by the cache: callers must not close it, and it stays valid until
// the next trimCache or dropCache.
func (a *applier) dirFD(p string, create bool) (dirRef, error) {
	if p == "." {
		return a.rootRef, nil
	}
	if p == a.lastDir {
		return a.last, nil
	}
	d, ok := a.dirs[p]
	if !ok {
		fd, err := openInRoot(a.root, p, 0)
		if err == unix.ENOENT && create {
			fd, err = a.mkdirAll(p)
		}
		if err != nil {
			return dirRef{}, fmt.Errorf("open directory %q: %w", p, err)
		}
		if d, err = newDirRef(fd); err != nil {
			unix.Close(fd)
			return dirRef{}, fmt.Errorf("open directory %q: %w", p, err)
		}
		a.dirs[p] = d
	}
	a.lastDir, a.last = p, d
	return d, nil
}

func newDirRef(fd int) (dirRef, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return dirRef{}, err
	}
	return dirRef{fd: fd, setgid: st.Mode&unix.S_ISGID != 0}, nil
}

// mkdirAll creates the missing directory p and any missing parents. An entry
// that exists but does not resolve to a directory (a file, a dangling
// symlink) is an error, as with tar.
func (a *applier) mkdirAll(p string) (int, error) {
	parent, base := splitName(p)
	pd, err := a.dirFD(parent, true)
	if err != nil {
		return -1, err
	}
	if err := unix.Mkdirat(pd.fd, base, 0o755); err != nil && err != unix.EEXIST {
		return -1, err
	}
	return openInRoot(a.root, p, 0)
}

// trimCache closes the cached descriptors once there are too many. It runs
// only between entries, so no descriptor handed out for an entry is closed
// while that entry uses it.
func (a *applier) trimCache() {
	if len(a.dirs) > maxCachedDirs {
		a.dropCache("")
	}
}

// dropCache forgets every cached directory except those in keep (the
// parents the current entry still uses): after something in the layer is
// removed, a cached path may no longer resolve to the same directory (it was
// removed, or it resolved through a replaced symlink). Removing a child of a
// kept parent cannot change what the parent's own path resolves to.
func (a *applier) dropCache(keep ...string) {
	for p, d := range a.dirs {
		if !slices.Contains(keep, p) {
			unix.Close(d.fd)
			delete(a.dirs, p)
		}
	}
	a.lastDir = ""
}

// childPath joins a clean parent and a base name.
func childPath(parent, base string) string {
	if parent == "." {
		return base
	}
	return path.Join(parent, base)
}
