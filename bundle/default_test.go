package bundle

import (
	"os"
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func mountByDest(s *specs.Spec, dest string) *specs.Mount {
	for i := range s.Mounts {
		if s.Mounts[i].Destination == dest {
			return &s.Mounts[i]
		}
	}
	return nil
}

func nsTypes(s *specs.Spec) []specs.LinuxNamespaceType {
	var out []specs.LinuxNamespaceType
	for _, n := range s.Linux.Namespaces {
		out = append(out, n.Type)
	}
	return out
}

func TestDefault(t *testing.T) {
	s := Default(false)
	if err := Validate(s); err != nil {
		t.Fatal(err)
	}
	if s.Version != specs.Version || s.Hostname != "xrt" || s.Root.Path != "rootfs" || !s.Root.Readonly {
		t.Errorf("unexpected header: %q %q %+v", s.Version, s.Hostname, s.Root)
	}
	if !slices.Equal(s.Process.Args, []string{"sh"}) || !s.Process.Terminal || !s.Process.NoNewPrivileges {
		t.Errorf("unexpected process %+v", s.Process)
	}
	want := []specs.LinuxNamespaceType{"pid", "network", "ipc", "uts", "mount"}
	if cgroupNamespace() != nil { // pure cgroup v2, as runc spec does
		want = append(want, "cgroup")
	}
	if got := nsTypes(s); !slices.Equal(got, want) {
		t.Errorf("namespaces %v", got)
	}
	if m := mountByDest(s, "/dev/pts"); m == nil || !slices.Contains(m.Options, "gid=5") {
		t.Errorf("/dev/pts %+v, want gid=5", m)
	}
	if m := mountByDest(s, "/sys"); m == nil || m.Type != "sysfs" {
		t.Errorf("/sys %+v, want sysfs", m)
	}
	if mountByDest(s, "/sys/fs/cgroup") == nil {
		t.Error("no cgroup mount")
	}
	if len(s.Linux.MaskedPaths) != 11 || len(s.Linux.ReadonlyPaths) != 5 {
		t.Errorf("%d masked and %d readonly paths, want 11 and 5", len(s.Linux.MaskedPaths), len(s.Linux.ReadonlyPaths))
	}
	// The capability sets must not share memory.
	s.Process.Capabilities.Bounding[0] = "CAP_SYS_ADMIN"
	if s.Process.Capabilities.Effective[0] == "CAP_SYS_ADMIN" {
		t.Error("capability sets share a backing array")
	}
}

func TestDefaultRootless(t *testing.T) {
	s := Default(true)
	if err := Validate(s); err != nil {
		t.Fatal(err)
	}
	if got := nsTypes(s); !slices.Equal(got, []specs.LinuxNamespaceType{"pid", "ipc", "uts", "mount", "user"}) {
		t.Errorf("namespaces %v", got)
	}
	wantUID := []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(os.Geteuid()), Size: 1}}
	wantGID := []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(os.Getegid()), Size: 1}}
	if !slices.Equal(s.Linux.UIDMappings, wantUID) || !slices.Equal(s.Linux.GIDMappings, wantGID) {
		t.Errorf("mappings %v %v", s.Linux.UIDMappings, s.Linux.GIDMappings)
	}
	if m := mountByDest(s, "/dev/pts"); m == nil || slices.Contains(m.Options, "gid=5") {
		t.Errorf("/dev/pts %+v, want no gid=5", m)
	}
	if m := mountByDest(s, "/sys"); m == nil || m.Source != "/sys" || !slices.Equal(m.Options, []string{"rbind", "nosuid", "noexec", "nodev", "ro"}) {
		t.Errorf("/sys %+v, want an rbind of the host's", m)
	}
	if mountByDest(s, "/sys/fs/cgroup") != nil {
		t.Error("rootless spec has a cgroup mount")
	}
	if s.Linux.Resources != nil {
		t.Error("rootless spec has resources")
	}
}
