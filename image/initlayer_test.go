package image

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestLookupLowers checks the overlay view makeInitLayer relies on.
func TestLookupLowers(t *testing.T) {
	root := t.TempDir()
	top, mid, bottom := filepath.Join(root, "top"), filepath.Join(root, "mid"), filepath.Join(root, "bottom")
	mk := func(p string, mode os.FileMode) {
		if err := os.MkdirAll(p, mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, mode)
	}
	touch := func(p string) {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mk(filepath.Join(bottom, "etc"), 0o755)
	touch(filepath.Join(bottom, "etc", "hosts"))
	touch(filepath.Join(bottom, "etc", "passwd"))
	mk(filepath.Join(bottom, "opq", "x"), 0o755)
	mk(filepath.Join(bottom, "dev"), 0o755)
	mk(filepath.Join(mid, "etc"), 0o750)
	if err := unix.Mknod(filepath.Join(mid, "etc", "hosts"), unix.S_IFCHR, 0); err != nil {
		t.Fatal(err)
	}
	mk(filepath.Join(mid, "opq"), 0o755)
	if err := unix.Setxattr(filepath.Join(mid, "opq"), "trusted.overlay.opaque", []byte("y"), 0); err != nil {
		t.Fatal(err)
	}
	mk(top, 0o711)
	touch(filepath.Join(top, "dev")) // a file over a directory hides it
	lowers := []string{top, mid, bottom}

	if fi := lookupLowers(lowers, "."); fi == nil || fi.Mode().Perm() != 0o711 {
		t.Errorf("root: %v", fi)
	}
	if fi := lookupLowers(lowers, "etc"); fi == nil || fi.Mode().Perm() != 0o750 {
		t.Errorf("etc: %v, want the mid layer's 0750", fi)
	}
	if fi := lookupLowers(lowers, "etc/hosts"); fi != nil {
		t.Errorf("etc/hosts: whited out, got %v", fi.Mode())
	}
	if fi := lookupLowers(lowers, "etc/passwd"); fi == nil || !fi.Mode().IsRegular() {
		t.Errorf("etc/passwd: %v", fi)
	}
	if fi := lookupLowers(lowers, "opq/x"); fi != nil {
		t.Errorf("opq/x: below an opaque dir, got %v", fi.Mode())
	}
	if fi := lookupLowers(lowers, "dev"); fi == nil || !fi.Mode().IsRegular() {
		t.Errorf("dev: want the top layer's file, got %v", fi)
	}
	if fi := lookupLowers(lowers, "dev/pts"); fi != nil {
		t.Errorf("dev/pts: under a file, got %v", fi.Mode())
	}
	if fi := lookupLowers(nil, "etc"); fi != nil {
		t.Errorf("no layers: %v", fi)
	}
}
