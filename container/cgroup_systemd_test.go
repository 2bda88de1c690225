package container

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"xrt/bundle"
)

// Bad input to the systemd driver fails create before anything exists,
// and leaves no state directory.
func TestCreateSystemdBadInput(t *testing.T) {
	root := t.TempDir()
	cases := map[string]string{
		"system.slice:xrt":      "slice:prefix:name",
		"system:xrt:abc":        "not a systemd slice",
		"a--b.slice:xrt:abc":    "--",
		"system.slice:xrt:a b":  "does not allow",
		"system.slice:xrt:x.ok": "", // well formed: fails only without systemd
	}
	for path, want := range cases {
		spec := &specs.Spec{Version: specs.Version, Process: &specs.Process{Args: []string{"true"}}, Linux: &specs.Linux{CgroupsPath: path}}
		_, err := Create(&CreateOpts{Root: root, ID: "sd", SystemdCgroup: true, Bundle: &bundle.Bundle{Path: root, Rootfs: root, Spec: spec}})
		if want == "" {
			if _, serr := os.Stat("/run/systemd/system"); serr == nil {
				continue // a systemd host: this one would start a unit
			}
			want = "needs systemd"
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("cgroupsPath %q: err %v, want one with %q", path, err, want)
		}
		if _, err := os.Stat(filepath.Join(root, "sd")); !os.IsNotExist(err) {
			t.Errorf("cgroupsPath %q: the state directory is left: %v", path, err)
		}
	}
}
