package features

import (
	"encoding/json"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"xrt/bundle"
	"xrt/seccomp"
)

// Every seccomp action and operator listed compiles.
func TestSeccompListsCompile(t *testing.T) {
	f := Get("test")
	for _, a := range f.Linux.Seccomp.Actions {
		s := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"getppid"}, Action: specs.LinuxSeccompAction(a)}}}
		if a == string(specs.ActNotify) {
			s.ListenerPath = "/run/x.sock"
		}
		if a == string(specs.ActAllow) {
			s.DefaultAction = specs.ActErrno
		}
		if _, err := seccomp.Compile(s); err != nil {
			t.Errorf("action %s is listed but does not compile: %v", a, err)
		}
	}
	for _, op := range f.Linux.Seccomp.Operators {
		s := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{
			Names: []string{"personality"}, Action: specs.ActErrno,
			Args: []specs.LinuxSeccompArg{{Index: 0, Value: 1, ValueTwo: 1, Op: specs.LinuxSeccompOperator(op)}},
		}}}
		if _, err := seccomp.Compile(s); err != nil {
			t.Errorf("operator %s is listed but does not compile: %v", op, err)
		}
	}
	for _, fl := range f.Linux.Seccomp.KnownFlags {
		s := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{specs.LinuxSeccompFlag(fl)}}
		if fl == "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" {
			s.ListenerPath = "/run/x.sock"
			s.Syscalls = []specs.LinuxSyscall{{Names: []string{"getppid"}, Action: specs.ActNotify}}
		}
		if _, err := seccomp.Compile(s); err != nil {
			t.Errorf("flag %s is listed but does not compile: %v", fl, err)
		}
	}
}

// Every capability and namespace listed is one bundle validation accepts.
func TestCapabilitiesAndNamespacesValidate(t *testing.T) {
	f := Get("test")
	for _, c := range f.Linux.Capabilities {
		if _, ok := bundle.CapabilityNumber(c); !ok {
			t.Errorf("capability %s is listed but unknown", c)
		}
	}
	if len(f.Linux.Namespaces) != 8 {
		t.Errorf("namespaces %v, want all 8", f.Linux.Namespaces)
	}
}

func TestJSONShape(t *testing.T) {
	b, err := json.Marshal(Get("1.2.3"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"ociVersionMin", "ociVersionMax", "hooks", "mountOptions", "linux", "annotations"} {
		if _, ok := m[k]; !ok {
			t.Errorf("features JSON has no %q", k)
		}
	}
}

// org.criu.config names the CRIU configuration file xrt passes to CRIU
// (checkpoint.configFile): as with runc, it is flagged as unsafe.
func TestCriuConfigAnnotationIsUnsafe(t *testing.T) {
	got := Get("1").PotentiallyUnsafeConfigAnnotations
	if len(got) != 1 || got[0] != "org.criu.config" {
		t.Errorf("potentiallyUnsafeConfigAnnotations = %v, want [org.criu.config]", got)
	}
}
