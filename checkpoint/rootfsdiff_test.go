package checkpoint

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// An upper layer saved by writeRootfsDiff and unpacked by applyRootfsDiff
// is the same layer: files, links, whiteouts, opaque directories, xattrs.
func TestRootfsDiffRoundTrip(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: whiteouts are device nodes, opaque markers trusted.* xattrs")
	}
	upper := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(upper, "etc"), 0o755))
	must(os.WriteFile(filepath.Join(upper, "etc", "hostname"), []byte("box\n"), 0o644))
	must(os.WriteFile(filepath.Join(upper, "a"), []byte("content"), 0o640))
	must(os.Chown(filepath.Join(upper, "a"), 1000, 2000))
	if err := unix.Setxattr(filepath.Join(upper, "a"), "user.xrt", []byte("v"), 0); err != nil {
		t.Skipf("no user xattrs on %s: %v", upper, err)
	}
	must(os.Link(filepath.Join(upper, "a"), filepath.Join(upper, "hl")))
	must(os.Symlink("a", filepath.Join(upper, "sl")))
	must(unix.Mkfifo(filepath.Join(upper, "fifo"), 0o600))
	must(unix.Mknod(filepath.Join(upper, "gone"), unix.S_IFCHR, 0)) // whiteout
	must(os.Mkdir(filepath.Join(upper, "opq"), 0o700))
	must(os.WriteFile(filepath.Join(upper, "opq", "new"), nil, 0o644))
	must(unix.Setxattr(filepath.Join(upper, "opq"), "trusted.overlay.opaque", []byte("y"), 0))

	diff := filepath.Join(t.TempDir(), rootfsDiffFile)
	must(writeRootfsDiff(upper, diff))
	out := t.TempDir()
	must(os.Mkdir(filepath.Join(out, "etc"), 0o755)) // as the store makes it
	must(applyRootfsDiff(out, diff))

	if b, err := os.ReadFile(filepath.Join(out, "etc", "hostname")); err != nil || string(b) != "box\n" {
		t.Errorf("etc/hostname: %q, %v", b, err)
	}
	var st, st2 unix.Stat_t
	must(unix.Lstat(filepath.Join(out, "a"), &st))
	if st.Mode&0o7777 != 0o640 || st.Uid != 1000 || st.Gid != 2000 || st.Nlink != 2 {
		t.Errorf("a: mode %o owner %d:%d links %d", st.Mode&0o7777, st.Uid, st.Gid, st.Nlink)
	}
	must(unix.Lstat(filepath.Join(out, "hl"), &st2))
	if st.Ino != st2.Ino {
		t.Errorf("hl is not a hard link of a")
	}
	buf := make([]byte, 8)
	if n, err := unix.Getxattr(filepath.Join(out, "a"), "user.xrt", buf); err != nil || string(buf[:n]) != "v" {
		t.Errorf("a's user.xrt: %q, %v", buf[:n], err)
	}
	if l, err := os.Readlink(filepath.Join(out, "sl")); err != nil || l != "a" {
		t.Errorf("sl: %q, %v", l, err)
	}
	must(unix.Lstat(filepath.Join(out, "fifo"), &st))
	if st.Mode&unix.S_IFMT != unix.S_IFIFO {
		t.Errorf("fifo: mode %o", st.Mode)
	}
	must(unix.Lstat(filepath.Join(out, "gone"), &st))
	if st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != 0 {
		t.Errorf("gone is not a whiteout: mode %o rdev %d", st.Mode, st.Rdev)
	}
	if n, err := unix.Getxattr(filepath.Join(out, "opq"), "trusted.overlay.opaque", buf); err != nil || string(buf[:n]) != "y" {
		t.Errorf("opq is not opaque: %q, %v", buf[:n], err)
	}
	if _, err := os.Stat(filepath.Join(out, "opq", "new")); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(filepath.Join(out, "opq", ".wh..wh..opq")); err == nil {
		t.Error("the opaque marker was unpacked as a file")
	}
}
