package bundle

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestHasNewNamespace(t *testing.T) {
	spec := &specs.Spec{Linux: &specs.Linux{Namespaces: []specs.LinuxNamespace{
		{Type: specs.PIDNamespace},
		{Type: specs.NetworkNamespace, Path: "/var/run/netns/x"},
		{Type: specs.MountNamespace},
		{Type: specs.CgroupNamespace},
	}}}
	for _, tc := range []struct {
		spec *specs.Spec
		typ  specs.LinuxNamespaceType
		want bool
	}{
		{spec, specs.PIDNamespace, true},
		{spec, specs.MountNamespace, true},
		{spec, specs.CgroupNamespace, true},
		{spec, specs.NetworkNamespace, false}, // joined, not new
		{spec, specs.UTSNamespace, false},     // not listed
		{spec, specs.UserNamespace, false},
		{&specs.Spec{}, specs.MountNamespace, false},
		{&specs.Spec{Linux: &specs.Linux{}}, specs.MountNamespace, false},
	} {
		if got := HasNewNamespace(tc.spec, tc.typ); got != tc.want {
			t.Errorf("HasNewNamespace(%s) = %v, want %v (linux %+v)", tc.typ, got, tc.want, tc.spec.Linux)
		}
	}
}
