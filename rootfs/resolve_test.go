package rootfs

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// testRoot builds a root directory with symlinks that try to leave it.
func testRoot(t *testing.T) (string, int) {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"a/b", "etc", "tmp"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "f"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{
		"up":      "../../..",
		"abs":     "/etc",
		"slash":   "/",
		"a/up":    "../../../../..",
		"a/tmp":   "../../../../../tmp",
		"dangle":  "/nonexistent-xrt-test/deeper",
		"dangle2": "../../nonexistent-xrt-test",
	} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	fd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return root, fd
}

func fdPath(t *testing.T, fd int) string {
	t.Helper()
	p, err := os.Readlink(procFd(fd))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOpenInRoot(t *testing.T) {
	root, rootfd := testRoot(t)
	for path, want := range map[string]string{
		"/":            "",
		"":             "",
		"a/b":          "/a/b",
		"/a/b/":        "/a/b",
		"../../../a":   "/a",
		"a/../../etc":  "/etc",
		"up":           "",
		"up/a/b":       "/a/b",
		"abs":          "/etc",
		"/abs/../a":    "/a",
		"slash/a":      "/a",
		"a/up/etc":     "/etc",
		"a/tmp":        "/tmp",
		"slash/slash/": "",
	} {
		f, err := OpenInRoot(rootfd, path, unix.O_PATH)
		if err != nil {
			t.Errorf("OpenInRoot(%q): %v", path, err)
			continue
		}
		if got := fdPath(t, int(f.Fd())); got != root+want {
			t.Errorf("OpenInRoot(%q) = %s, want %s", path, got, root+want)
		}
		f.Close()
	}
	for _, path := range []string{"dangle", "dangle2", "nope", "f/x"} {
		if f, err := OpenInRoot(rootfd, path, unix.O_PATH); err == nil {
			t.Errorf("OpenInRoot(%q) = %s, want an error", path, fdPath(t, int(f.Fd())))
			f.Close()
		}
	}
}

func TestMkdirAllInRoot(t *testing.T) {
	root, rootfd := testRoot(t)
	for path, want := range map[string]string{
		"new/dir":         "/new/dir",
		"abs/xrt-new/dir": "/etc/xrt-new/dir",
		"up/up/x":         "/x",
		"../../../../y/z": "/y/z",
		"slash/a/b/c":     "/a/b/c",
		"a/up/tmp/q":      "/tmp/q",
		"a/tmp/r":         "/tmp/r",
		"a/b":             "/a/b",
	} {
		f, err := MkdirAllInRoot(rootfd, path, 0o755)
		if err != nil {
			t.Errorf("MkdirAllInRoot(%q): %v", path, err)
			continue
		}
		if got := fdPath(t, int(f.Fd())); got != root+want {
			t.Errorf("MkdirAllInRoot(%q) = %s, want %s", path, got, root+want)
		}
		var st unix.Stat_t
		if err := unix.Fstat(int(f.Fd()), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
			t.Errorf("MkdirAllInRoot(%q) is not a directory (%v)", path, err)
		}
		f.Close()
	}
	if _, err := os.Stat("/etc/xrt-new"); err == nil {
		t.Error("/etc/xrt-new was created on the host")
	}
	// Through a file: an error.
	for _, path := range []string{"f/x", "f"} {
		if f, err := MkdirAllInRoot(rootfd, path, 0o755); err == nil {
			t.Errorf("MkdirAllInRoot(%q) = %s, want an error", path, fdPath(t, int(f.Fd())))
			f.Close()
		}
	}
	// A dangling symlink: what it names is made, inside the root (runc's
	// rule), never on the host.
	for path, want := range map[string]string{"dangle/x": "/nonexistent-xrt-test/deeper/x", "dangle2/x": "/nonexistent-xrt-test/x"} {
		f, err := MkdirAllInRoot(rootfd, path, 0o755)
		if err != nil {
			t.Errorf("MkdirAllInRoot(%q): %v", path, err)
			continue
		}
		if got := fdPath(t, int(f.Fd())); got != root+want {
			t.Errorf("MkdirAllInRoot(%q) = %s, want %s", path, got, root+want)
		}
		f.Close()
	}
	if _, err := os.Lstat("/nonexistent-xrt-test"); err == nil {
		t.Error("/nonexistent-xrt-test was created on the host")
	}
}

func TestEnsureInRootFile(t *testing.T) {
	root, rootfd := testRoot(t)
	for path, want := range map[string]string{
		"up/newfile":   "/newfile",
		"abs/sub/file": "/etc/sub/file",
		"f":            "/f",
	} {
		fd, err := ensureInRoot(rootfd, path, false, 0o644)
		if err != nil {
			t.Errorf("ensureInRoot(%q, file): %v", path, err)
			continue
		}
		if got := fdPath(t, fd); got != root+want {
			t.Errorf("ensureInRoot(%q, file) = %s, want %s", path, got, root+want)
		}
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
			t.Errorf("ensureInRoot(%q, file) is not a regular file (%v)", path, err)
		}
		unix.Close(fd)
	}
	// A file through a dangling symlink lands where it points, in the root.
	fd, err := ensureInRoot(rootfd, "dangle", false, 0o644)
	if err != nil {
		t.Fatalf("ensureInRoot(dangle, file): %v", err)
	}
	if got := fdPath(t, fd); got != root+"/nonexistent-xrt-test/deeper" {
		t.Errorf("ensureInRoot(dangle, file) = %s, want it at the link's target in the root", got)
	}
	unix.Close(fd)
	// A symlink loop is an error, not a hang.
	must(t, os.Symlink("/loop2", filepath.Join(root, "loop1")))
	must(t, os.Symlink("/loop1", filepath.Join(root, "loop2")))
	if fd, err := ensureInRoot(rootfd, "loop1/x", true, 0o755); err == nil {
		t.Errorf("ensureInRoot(loop1/x) = %s, want ELOOP", fdPath(t, fd))
	}
}

func TestCleanRel(t *testing.T) {
	for in, want := range map[string]string{
		"/": ".", "": ".", "/a/b/": "a/b", "a/../b": "b", "../../x": "x", "/a/./b//c": "a/b/c",
	} {
		if got := cleanRel(in); got != want {
			t.Errorf("cleanRel(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCheckLanded(t *testing.T) {
	_, rootfd := testRoot(t)
	a, err := OpenInRoot(rootfd, "a", unix.O_PATH)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := OpenInRoot(rootfd, "up/a", unix.O_PATH)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	// Nothing was mounted between the two opens: the check must refuse.
	if err := checkLanded(int(a.Fd()), int(b.Fd())); err == nil {
		t.Error("checkLanded accepted a destination with no new mount on it")
	}
}
