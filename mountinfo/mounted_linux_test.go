package mountinfo

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestMounted(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "link")
	if err := os.Symlink("/proc", link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		want bool
	}{
		{"/", true},
		{"/proc", true},
		{"/proc/", true},
		{"/proc/../proc", true},
		{"/proc/self", false}, // a symlink inside a mount
		{link, false},         // a symlink to a mount point is not one
		{dir, false},
	} {
		for name, mounted := range map[string]func(string) (bool, error){
			"Mounted":            Mounted,
			"mountedByMountinfo": func(p string) (bool, error) { return mountedByMountinfo(filepath.Clean(p)) },
		} {
			got, err := mounted(tc.path)
			if err != nil {
				t.Fatalf("%s(%q): %v", name, tc.path, err)
			}
			if got != tc.want {
				t.Errorf("%s(%q) = %v, want %v", name, tc.path, got, tc.want)
			}
		}
	}
}

func TestMountedMissing(t *testing.T) {
	_, err := Mounted(filepath.Join(t.TempDir(), "nope"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("got %v, want a not-exist error", err)
	}
}

func TestMountedRelative(t *testing.T) {
	t.Chdir("/")
	got, err := Mounted("proc")
	if err != nil || !got {
		t.Fatalf(`Mounted("proc") from / = %v, %v; want true`, got, err)
	}
}
