package bundle

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// writeBundle writes s as dir/config.json and creates dir/rootfs.
func writeBundle(t *testing.T, dir string, s *specs.Spec) {
	t.Helper()
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "rootfs"), 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestLoadRelativeRoot(t *testing.T) {
	dir := t.TempDir()
	writeBundle(t, dir, Default(false))
	t.Chdir(dir)
	b, err := Load(".")
	if err != nil {
		t.Fatal(err)
	}
	realDir, _ := filepath.EvalSymlinks(dir)
	if b.Path != dir && b.Path != realDir {
		t.Errorf("Path = %q, want %q", b.Path, dir)
	}
	if want := filepath.Join(realDir, "rootfs"); b.Rootfs != want {
		t.Errorf("Rootfs = %q, want %q", b.Rootfs, want)
	}
	if b.Spec.Root.Path != "rootfs" {
		t.Errorf("root.path changed to %q", b.Spec.Root.Path)
	}
}

func TestLoadAbsoluteSymlinkedRoot(t *testing.T) {
	dir := t.TempDir()
	elsewhere := t.TempDir()
	s := Default(false)
	s.Root.Path = filepath.Join(dir, "link")
	writeBundle(t, dir, s)
	if err := os.Symlink(elsewhere, s.Root.Path); err != nil {
		t.Fatal(err)
	}
	b, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := filepath.EvalSymlinks(elsewhere)
	if b.Rootfs != want {
		t.Errorf("Rootfs = %q, want the symlink's target %q", b.Rootfs, want)
	}
}

func TestLoadNormalizes(t *testing.T) {
	dir := t.TempDir()
	s := Default(false)
	s.Process.Cwd = "/home//me/./"
	s.Mounts = append(s.Mounts,
		specs.Mount{Destination: "/data/", Type: "bind", Source: "data", Options: []string{"rbind", "ro"}},
		specs.Mount{Destination: "/a/../tmp", Type: "tmpfs", Source: "tmpfs"},
	)
	writeBundle(t, dir, s)
	b, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := b.Spec
	if got.Process.Cwd != "/home/me" {
		t.Errorf("cwd %q, want /home/me", got.Process.Cwd)
	}
	n := len(got.Mounts)
	if m := got.Mounts[n-2]; m.Destination != "/data" || m.Source != filepath.Join(b.Path, "data") {
		t.Errorf("bind mount %+v, want destination /data and source %s", m, filepath.Join(b.Path, "data"))
	}
	if m := got.Mounts[n-1]; m.Destination != "/tmp" || m.Source != "tmpfs" {
		t.Errorf("tmpfs mount %+v, want destination /tmp and source tmpfs", m)
	}
}

func TestLoadErrors(t *testing.T) {
	t.Run("missing config.json", func(t *testing.T) {
		dir := t.TempDir()
		_, err := Load(dir)
		want := "open config.json in bundle " + dir + ": no such file or directory"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("error %v, want %q", err, want)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("errors.Is(%v, fs.ErrNotExist) is false", err)
		}
	})
	t.Run("invalid JSON", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "config.json"), []byte("{nope"), 0o644)
		_, err := Load(dir)
		if err == nil || !strings.Contains(err.Error(), "parse config.json: invalid JSON at offset 2: invalid character 'n' looking for beginning of object key string (line 1, column 2)") {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("invalid config", func(t *testing.T) {
		dir := t.TempDir()
		s := Default(false)
		s.Process.Args = nil
		writeBundle(t, dir, s)
		_, err := Load(dir)
		if err == nil || !strings.Contains(err.Error(), "process.args must not be empty") {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("missing rootfs", func(t *testing.T) {
		dir := t.TempDir()
		writeBundle(t, dir, Default(false))
		os.Remove(filepath.Join(dir, "rootfs"))
		_, err := Load(dir)
		want := "rootfs " + filepath.Join(dir, "rootfs") + " does not exist: "
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("error %v, want %q", err, want)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("errors.Is(%v, fs.ErrNotExist) is false", err)
		}
	})
	t.Run("rootfs not a directory", func(t *testing.T) {
		dir := t.TempDir()
		s := Default(false)
		s.Root.Path = "file"
		writeBundle(t, dir, s)
		os.WriteFile(filepath.Join(dir, "file"), nil, 0o644)
		_, err := Load(dir)
		want := "rootfs " + filepath.Join(dir, "file") + " is not a directory"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("error %v, want %q", err, want)
		}
	})
}

func TestMountDestinations(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "rootfs"), 0o755); err != nil {
		t.Fatal(err)
	}
	rootfs, _ := filepath.EvalSymlinks(filepath.Join(dir, "rootfs"))
	s := Default(false)
	s.Mounts = append(s.Mounts,
		specs.Mount{Destination: "tmp/rel", Type: "tmpfs", Source: "tmpfs"},
		specs.Mount{Destination: filepath.Join(dir, "rootfs", "mnt/x"), Type: "tmpfs", Source: "tmpfs"},
		specs.Mount{Destination: rootfs + "/a/../b", Type: "tmpfs", Source: "tmpfs"},
		specs.Mount{Destination: dir + "/rootfsX/y", Type: "tmpfs", Source: "tmpfs"},
	)
	b, err := New(dir, s)
	if err != nil {
		t.Fatal(err)
	}
	n := len(b.Spec.Mounts)
	got := []string{b.Spec.Mounts[n-4].Destination, b.Spec.Mounts[n-3].Destination, b.Spec.Mounts[n-2].Destination, b.Spec.Mounts[n-1].Destination}
	want := []string{"/tmp/rel", "/mnt/x", "/b", dir + "/rootfsX/y"}
	if !slices.Equal(got, want) {
		t.Errorf("destinations %q, want %q", got, want)
	}
	if len(b.Warnings) != 1 || !strings.Contains(b.Warnings[0], "tmp/rel is not absolute") {
		t.Errorf("warnings %q, want one for tmp/rel", b.Warnings)
	}
}
