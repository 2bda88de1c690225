package containerinit

import (
	"encoding/json"
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"xrt/quickjson"
	"xrt/seccomp"
)

// TestInitSpecKeepsWhatInitUses: every field init and rootfs read survives
// the trimmed decode; fields init does not read are dropped on purpose.
func TestInitSpecKeepsWhatInitUses(t *testing.T) {
	umask := uint32(0o27)
	timeout := 3
	shares := uint64(100)
	full := &specs.Spec{
		Version: "1.3.0",
		Process: &specs.Process{
			Terminal: true, Args: []string{"sh"}, Env: []string{"A=1"}, Cwd: "/w",
			User:            specs.User{UID: 1, GID: 2, AdditionalGids: []uint32{3}, Umask: &umask},
			Capabilities:    &specs.LinuxCapabilities{Bounding: []string{"CAP_KILL"}, Ambient: []string{"CAP_KILL"}},
			Rlimits:         []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 10, Soft: 5}},
			NoNewPrivileges: true,
			ConsoleSize:     &specs.Box{Height: 3, Width: 4},
			IOPriority:      &specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_BE, Priority: 4},
			Scheduler:       &specs.Scheduler{Policy: specs.SchedBatch, Nice: 5},
			ExecCPUAffinity: &specs.CPUAffinity{Initial: "0", Final: "0-1"},
		},
		Root:       &specs.Root{Path: "rootfs", Readonly: true},
		Hostname:   "h",
		Domainname: "d",
		Mounts:     []specs.Mount{{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid"}}},
		Hooks: &specs.Hooks{
			CreateContainer: []specs.Hook{{Path: "/bin/true", Timeout: &timeout}},
			StartContainer:  []specs.Hook{{Path: "/bin/false"}},
			CreateRuntime:   []specs.Hook{{Path: "/x"}},
		},
		Linux: &specs.Linux{
			Namespaces:        []specs.LinuxNamespace{{Type: "pid"}, {Type: "network", Path: "/n"}},
			Devices:           []specs.LinuxDevice{{Path: "/dev/x", Type: "c", Major: 1, Minor: 3}},
			MaskedPaths:       []string{"/proc/kcore"},
			ReadonlyPaths:     []string{"/proc/sys"},
			RootfsPropagation: "rslave",
			MountLabel:        "label",
			Sysctl:            map[string]string{"net.ipv4.ip_forward": "1"},
			Personality:       &specs.LinuxPersonality{Domain: specs.PerLinux32},
			MemoryPolicy:      &specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "0", Flags: []specs.MemoryPolicyFlagType{specs.MpolFStaticNodes}},
			Resources:         &specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "0-1", Shares: &shares}},
			CgroupsPath:       "/dropped",
		},
	}
	b, err := json.Marshal(&Config{ID: "x", Rootfs: "/r", Spec: full, PreserveFDs: 2, Exec: true,
		Seccomp: &seccomp.Program{Filter: []byte{1, 2, 3}, Notify: true}})
	if err != nil {
		t.Fatal(err)
	}
	var in configIn // as readConfig decodes it
	if err := quickjson.Unmarshal(b, &in); err != nil {
		t.Fatal(err)
	}
	var slow configIn
	if err := json.Unmarshal(b, &slow); err != nil || !reflect.DeepEqual(in, slow) {
		t.Fatalf("quickjson and encoding/json differ: %+v, %+v (%v)", in, slow, err)
	}
	got := in.Spec.spec()
	want := *full
	l := *full.Linux
	l.CgroupsPath = ""                                                     // not read by init
	l.Resources = &specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "0-1"}} // only the cpuset's CPUs
	want.Linux = &l
	if !reflect.DeepEqual(got, &want) {
		gb, _ := json.Marshal(got)
		wb, _ := json.Marshal(&want)
		t.Errorf("trimmed spec differs:\n got %s\nwant %s", gb, wb)
	}
	if in.ID != "x" || in.Rootfs != "/r" || in.PreserveFDs != 2 || !in.Exec {
		t.Errorf("config fields lost: %+v", in.Config)
	}
}
