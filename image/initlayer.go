package image

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// initEntry is one path of the init layer.
type initEntry struct {
	path string
	dir  bool
	mode fs.FileMode
}

// initEntries are Docker's init layer, less its extras: mount points the
// runtime mounts on, and the files it bind-mounts over. Parents come
// before children.
var initEntries = []initEntry{
	{"dev", true, 0o755},
	{"dev/pts", true, 0o755},
	{"dev/shm", true, fs.ModeSticky | 0o777},
	{"proc", true, 0o555},
	{"sys", true, 0o555},
	{"etc", true, 0o755},
	{"etc/hostname", false, 0o644},
	{"etc/hosts", false, 0o644},
	{"etc/resolv.conf", false, 0o644},
}

// initLayerDir is the init layer of the images whose top layer is top:
// it depends only on the layers below it, so their containers share it
// (read-only, the overlay's top lower dir), built by the first of them.
func (s *Store) initLayerDir(top string) string {
	return filepath.Join(s.layerDir(top), "init")
}

// ensureInitLayer builds the init layer of top once; lowers are the diff
// dirs of the stack, top first. The caller holds the store lock.
func (s *Store) ensureInitLayer(top string, lowers []string) (string, error) {
	dir := s.initLayerDir(top)
	if _, err := os.Lstat(dir); err == nil {
		return dir, nil
	}
	tmp, err := os.MkdirTemp(s.path("tmp"), "init-"+digestHex(top)+".")
	if err != nil {
		return "", fmt.Errorf("init layer: %w", err)
	}
	if err := makeInitLayer(tmp, lowers); err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		return "", fmt.Errorf("init layer: %w", err)
	}
	return dir, nil
}

// makeInitLayer fills dir, the container's init layer, lowers being the
// image's diff dirs top first. A directory the image has is created with
// the image's mode, owner and times, because overlay shows a merged
// directory with the attributes of its topmost copy. A regular file the
// image has is left out, so that its content shows through; anything
// else is created empty.
func makeInitLayer(dir string, lowers []string) error {
	if err := copyAttrs(dir, lookupLowers(lowers, "."), 0o755); err != nil {
		return err
	}
	for _, e := range initEntries {
		fi := lookupLowers(lowers, e.path)
		p := filepath.Join(dir, e.path)
		if e.dir {
			if fi == nil || !fi.IsDir() {
				fi = nil
			}
			if err := os.Mkdir(p, 0o700); err != nil {
				return fmt.Errorf("init layer: %w", err)
			}
			if err := copyAttrs(p, fi, e.mode); err != nil {
				return err
			}
			continue
		}
		if fi != nil && fi.Mode().IsRegular() {
			continue
		}
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fmt.Errorf("init layer: %w", err)
		}
		f.Close()
		if err := os.Chmod(p, e.mode); err != nil {
			return fmt.Errorf("init layer: %w", err)
		}
	}
	return nil
}

// copyAttrs gives the directory p the mode, owner and times of fi, or
// mode and root ownership when fi is nil. It changes only what differs:
// each change is a metadata write, and containers are made on the hot path.
func copyAttrs(p string, fi fs.FileInfo, mode fs.FileMode) error {
	uid, gid := 0, 0
	if fi != nil {
		mode = fi.Mode() & (fs.ModePerm | fs.ModeSticky | fs.ModeSetgid | fs.ModeSetuid)
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			uid, gid = int(st.Uid), int(st.Gid)
		}
	}
	cur, err := os.Lstat(p)
	if err != nil {
		return fmt.Errorf("init layer: %w", err)
	}
	st, _ := cur.Sys().(*syscall.Stat_t)
	if st == nil || int(st.Uid) != uid || int(st.Gid) != gid {
		if err := os.Lchown(p, uid, gid); err != nil {
			return fmt.Errorf("init layer: %w", err)
		}
		cur = nil // chown clears setuid and setgid: chmod again
	}
	// os.Chmod maps the fs.Mode bits to the kernel's setuid, setgid, sticky.
	if cur == nil || cur.Mode()&(fs.ModePerm|fs.ModeSticky|fs.ModeSetgid|fs.ModeSetuid) != mode {
		if err := os.Chmod(p, mode); err != nil {
			return fmt.Errorf("init layer: %w", err)
		}
	}
	if fi != nil && !fi.ModTime().Equal(cur.ModTime()) {
		if err := os.Chtimes(p, fi.ModTime(), fi.ModTime()); err != nil {
			return fmt.Errorf("init layer: %w", err)
		}
	}
	return nil
}

// lookupLowers returns what overlay would show at rel (slash-separated,
// relative to the root) in a mount of lowers (top first), without
// following symlinks, or nil when nothing is there: the topmost entry
// wins, a whiteout hides everything below it, and a directory merges
// with the directories below it until one is opaque.
func lookupLowers(lowers []string, rel string) fs.FileInfo {
	_, fi := lookupPath(lowers, rel)
	return fi
}

// lookupPath is lookupLowers that also returns the host path of the entry
// overlay shows.
func lookupPath(lowers []string, rel string) (string, fs.FileInfo) {
	layers := lowers
	var parts []string
	if rel != "." {
		parts = strings.Split(rel, "/")
	}
	var top fs.FileInfo
	var where string
	for i := 0; i <= len(parts); i++ {
		p := filepath.Join(parts[:i]...)
		var merged []string
		top, where = nil, ""
		for _, l := range layers {
			fi, err := os.Lstat(filepath.Join(l, p))
			if err != nil {
				continue
			}
			if isWhiteout(fi) {
				break
			}
			if top == nil {
				top, where = fi, filepath.Join(l, p)
			}
			if !fi.IsDir() || !top.IsDir() {
				break
			}
			merged = append(merged, l)
			if isOpaque(filepath.Join(l, p)) {
				break
			}
		}
		if top == nil || (i < len(parts) && !top.IsDir()) {
			return "", nil
		}
		layers = merged
	}
	return where, top
}

// isWhiteout reports an overlay whiteout: a 0:0 character device.
func isWhiteout(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && fi.Mode()&fs.ModeCharDevice != 0 && st.Rdev == 0
}

// isOpaque reports a directory marked opaque, hiding the lower ones.
func isOpaque(dir string) bool {
	buf := make([]byte, 1)
	n, err := unix.Lgetxattr(dir, "trusted.overlay.opaque", buf)
	return err == nil && n == 1 && buf[0] == 'y'
}
