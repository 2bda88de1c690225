package bundle

import (
	"os"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func intp(i int) *int { return &i }

func addNS(s *specs.Spec, t specs.LinuxNamespaceType, path string) {
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: t, Path: path})
}

func TestValidateErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*specs.Spec)
		want string
	}{
		{"no ociVersion", func(s *specs.Spec) { s.Version = "" }, "ociVersion is missing"},
		{"ociVersion 2", func(s *specs.Spec) { s.Version = "2.0.0" }, `unsupported ociVersion "2.0.0": xrt supports 1.0.0 to 1.3.x`},
		{"ociVersion 0.x", func(s *specs.Spec) { s.Version = "0.5.0" }, `unsupported ociVersion "0.5.0"`},
		{"ociVersion not semver", func(s *specs.Spec) { s.Version = "latest" }, `unsupported ociVersion "latest"`},
		{"ociVersion two parts", func(s *specs.Spec) { s.Version = "1.0" }, `unsupported ociVersion "1.0"`},
		{"ociVersion empty suffix", func(s *specs.Spec) { s.Version = "1.0.0-" }, `unsupported ociVersion "1.0.0-"`},
		{"ociVersion letters", func(s *specs.Spec) { s.Version = "1.x.0" }, `unsupported ociVersion "1.x.0"`},
		{"no root", func(s *specs.Spec) { s.Root = nil }, "root.path is missing"},
		{"idmap on tmpfs", func(s *specs.Spec) {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/x", Type: "tmpfs", Source: "tmpfs", Options: []string{"idmap"}})
		}, "idmapped mounts are supported for bind mounts only"},
		{"idmap without any mapping", func(s *specs.Spec) {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/x", Type: "bind", Source: "/tmp", Options: []string{"rbind", "idmap"}})
		}, "needs the container's user namespace mappings"},
		{"uidMappings without gidMappings", func(s *specs.Spec) {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/x", Type: "bind", Source: "/tmp", Options: []string{"bind"},
				UIDMappings: []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 1}}})
		}, "uidMappings and gidMappings must be given together"},
		{"empty root.path", func(s *specs.Spec) { s.Root.Path = "" }, "root.path is missing"},
		{"no process", func(s *specs.Spec) { s.Process = nil }, "process is missing"},
		{"no args", func(s *specs.Spec) { s.Process.Args = nil }, "process.args must not be empty"},
		{"relative cwd", func(s *specs.Spec) { s.Process.Cwd = "home" }, `process.cwd "home" must be an absolute path`},
		{"empty cwd", func(s *specs.Spec) { s.Process.Cwd = "" }, `process.cwd "" must be an absolute path`},
		{"unknown namespace", func(s *specs.Spec) { addNS(s, "foo", "") }, `unknown namespace type "foo"`},
		{"duplicate namespace", func(s *specs.Spec) { addNS(s, "pid", "/proc/1/ns/pid") }, `namespace type "pid" is listed twice`},
		{"relative namespace path", func(s *specs.Spec) {
			s.Linux.Namespaces[1] = specs.LinuxNamespace{Type: "network", Path: "x"}
		}, `namespace "network" path "x" must be absolute`},
		{"empty mount destination", func(s *specs.Spec) { s.Mounts[2].Destination = "" }, `mount destination must not be empty`},
		{"unknown rlimit", func(s *specs.Spec) {
			s.Process.Rlimits = append(s.Process.Rlimits, specs.POSIXRlimit{Type: "RLIMIT_FOO"})
		}, `unknown rlimit type "RLIMIT_FOO"`},
		{"duplicate rlimit", func(s *specs.Spec) {
			s.Process.Rlimits = append(s.Process.Rlimits, specs.POSIXRlimit{Type: "RLIMIT_NOFILE", Soft: 1, Hard: 1})
		}, `rlimit "RLIMIT_NOFILE" is listed twice`},
		{"soft above hard", func(s *specs.Spec) {
			s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 2048, Hard: 1024}}
		}, "rlimit RLIMIT_NOFILE: soft limit 2048 is above hard limit 1024"},
		{"uidMappings without userns", func(s *specs.Spec) {
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{HostID: 1000, Size: 1}}
		}, "uidMappings require a user namespace"},
		{"gidMappings without userns", func(s *specs.Spec) {
			s.Linux.GIDMappings = []specs.LinuxIDMapping{{HostID: 1000, Size: 1}}
		}, "gidMappings require a user namespace"},
		{"userns without mappings", func(s *specs.Spec) { addNS(s, "user", "") }, "a new user namespace needs uidMappings and gidMappings"},
		{"userns without gidMappings", func(s *specs.Spec) {
			addNS(s, "user", "")
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{HostID: 1000, Size: 1}}
		}, "a new user namespace needs uidMappings and gidMappings"},
		{"mapping of size 0", func(s *specs.Spec) {
			addNS(s, "user", "")
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{HostID: 1000, Size: 1}}
			s.Linux.GIDMappings = []specs.LinuxIDMapping{{HostID: 1000, Size: 0}}
		}, "linux.gidMappings[0]: size must be positive"},
		{"relative hook path", func(s *specs.Spec) {
			s.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "x"}}}
		}, `hook path "x" must be absolute (hooks.createRuntime[0])`},
		{"empty poststop hook path", func(s *specs.Spec) {
			s.Hooks = &specs.Hooks{Poststop: []specs.Hook{{Path: "/bin/true"}, {Path: ""}}}
		}, `hook path "" must be absolute (hooks.poststop[1])`},
		{"zero hook timeout", func(s *specs.Spec) {
			//lint:ignore SA1019 prestart is deprecated, still valid input
			s.Hooks = &specs.Hooks{Prestart: []specs.Hook{{Path: "/bin/true", Timeout: intp(0)}}}
		}, "hook timeout must be positive"},
		{"negative hook timeout", func(s *specs.Spec) {
			s.Hooks = &specs.Hooks{StartContainer: []specs.Hook{{Path: "/bin/true", Timeout: intp(-5)}}}
		}, "hook timeout must be positive (hooks.startContainer[0].timeout is -5)"},
		{"net sysctl without netns", func(s *specs.Spec) {
			s.Linux.Namespaces = s.Linux.Namespaces[:1] // pid only
			s.Hostname = ""
			s.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": "1"}
		}, `sysctl "net.ipv4.ip_forward" needs a network namespace`},
		{"net sysctl with slashes", func(s *specs.Spec) {
			s.Linux.Namespaces = s.Linux.Namespaces[:1]
			s.Hostname = ""
			s.Linux.Sysctl = map[string]string{"net/ipv4/conf/eth0.100/forwarding": "1"}
		}, `sysctl "net/ipv4/conf/eth0.100/forwarding" needs a network namespace`},
		{"kernel sysctl", func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"kernel.foo": "1"} }, `sysctl "kernel.foo" is not namespaced: refusing to set it`},
		{"vm sysctl", func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"vm.overcommit_memory": "1"} }, `sysctl "vm.overcommit_memory" is not namespaced: refusing to set it`},
		{"first sysctl error is stable", func(s *specs.Spec) {
			s.Linux.Sysctl = map[string]string{"kernel.b": "1", "kernel.a": "1", "kernel.c": "1"}
		}, `sysctl "kernel.a" is not namespaced`},
		{"sysctl escaping /proc/sys", func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"net/../../etc/x": "1"} }, `sysctl "net/../../etc/x" is not a valid name`},
		{"ipc sysctl without ipcns", func(s *specs.Spec) {
			s.Linux.Namespaces = s.Linux.Namespaces[:1]
			s.Hostname = ""
			s.Linux.Sysctl = map[string]string{"kernel.shmmax": "1"}
		}, `sysctl "kernel.shmmax" needs an ipc namespace`},
		{"mqueue sysctl without ipcns", func(s *specs.Spec) {
			s.Linux.Namespaces = s.Linux.Namespaces[:1]
			s.Hostname = ""
			s.Linux.Sysctl = map[string]string{"fs.mqueue.msg_max": "1"}
		}, `sysctl "fs.mqueue.msg_max" needs an ipc namespace`},
		{"hostname sysctl without utsns", func(s *specs.Spec) {
			s.Linux.Namespaces = s.Linux.Namespaces[:1]
			s.Hostname = ""
			s.Linux.Sysctl = map[string]string{"kernel.hostname": "x"}
		}, `sysctl "kernel.hostname" needs a uts namespace`},
		{"hostname without utsns", func(s *specs.Spec) { s.Linux.Namespaces = s.Linux.Namespaces[:1] }, "hostname needs a new uts namespace"},
		{"hostname without linux", func(s *specs.Spec) { s.Linux = nil }, "hostname needs a new uts namespace"},
		{"domainname without utsns", func(s *specs.Spec) {
			s.Linux.Namespaces = s.Linux.Namespaces[:1]
			s.Hostname = ""
			s.Domainname = "example.com"
		}, "domainname needs a new uts namespace"},
		{"device type", func(s *specs.Spec) {
			s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/x", Type: "z"}}
		}, `device /dev/x: unknown type "z"`},
		{"device path", func(s *specs.Spec) {
			s.Linux.Devices = []specs.LinuxDevice{{Path: "dev/x", Type: "c"}}
		}, `device path "dev/x" must be absolute`},
		{"intelRdt", func(s *specs.Spec) { s.Linux.IntelRdt = &specs.LinuxIntelRdt{} }, "linux.intelRdt is not supported"},
		{"netDevices without a network namespace", func(s *specs.Spec) {
			s.Linux.Namespaces = slices.DeleteFunc(s.Linux.Namespaces, func(n specs.LinuxNamespace) bool { return n.Type == specs.NetworkNamespace })
			s.Linux.NetDevices = map[string]specs.LinuxNetDevice{"eth1": {}}
		}, "linux.netDevices needs a network namespace"},
		{"netDevices host name too long", func(s *specs.Spec) {
			s.Linux.NetDevices = map[string]specs.LinuxNetDevice{"a-name-of-16byte": {}}
		}, `invalid network device name "a-name-of-16byte"`},
		{"netDevices new name with a slash", func(s *specs.Spec) {
			s.Linux.NetDevices = map[string]specs.LinuxNetDevice{"eth1": {Name: "a/b"}}
		}, `linux.netDevices["eth1"].name: invalid network device name "a/b"`},
		{"netDevices name with a colon", func(s *specs.Spec) {
			s.Linux.NetDevices = map[string]specs.LinuxNetDevice{"eth1:0": {}}
		}, `invalid network device name "eth1:0"`},
		{"netDevices name dot", func(s *specs.Spec) {
			s.Linux.NetDevices = map[string]specs.LinuxNetDevice{"eth1": {Name: ".."}}
		}, `invalid network device name ".."`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Default(false)
			tc.edit(s)
			err := Validate(s)
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*specs.Spec)
	}{
		{"as is", func(*specs.Spec) {}},
		{"ociVersion 1.0.0", func(s *specs.Spec) { s.Version = "1.0.0" }},
		{"ociVersion -dev", func(s *specs.Spec) { s.Version = "1.0.2-dev" }},
		{"ociVersion +build", func(s *specs.Spec) { s.Version = "1.3.0+dev" }},
		{"ociVersion 1.4.0", func(s *specs.Spec) { s.Version = "1.4.0" }},
		{"no capabilities", func(s *specs.Spec) { s.Process.Capabilities = nil }},
		{"every capability", func(s *specs.Spec) { s.Process.Capabilities.Ambient = CapabilityNames }},
		{"joined namespaces", func(s *specs.Spec) {
			s.Linux.Namespaces[1].Path = "/var/run/netns/a"
			addNS(s, "user", "/proc/1/ns/user")
			addNS(s, "time", "")
		}},
		{"new userns with mappings", func(s *specs.Spec) {
			addNS(s, "user", "")
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{HostID: 100000, Size: 65536}}
			s.Linux.GIDMappings = []specs.LinuxIDMapping{{HostID: 100000, Size: 65536}}
		}},
		{"namespaced sysctls", func(s *specs.Spec) {
			s.Linux.Sysctl = map[string]string{
				"net.ipv4.ip_forward": "1", "net/ipv4/conf/eth0.100/forwarding": "1",
				"kernel.shmmax": "1", "kernel.shm_rmid_forced": "1", "fs.mqueue.queues_max": "1",
				"kernel.domainname": "example.com",
			}
		}},
		{"hostname in a joined utsns", func(s *specs.Spec) { s.Linux.Namespaces[3].Path = "/proc/1/ns/uts" }},
		{"no hostname, no utsns", func(s *specs.Spec) { s.Hostname = ""; s.Linux.Namespaces = nil }},
		{"no linux section", func(s *specs.Spec) { s.Hostname = ""; s.Linux = nil }},
		{"hooks", func(s *specs.Spec) {
			s.Hooks = &specs.Hooks{Poststart: []specs.Hook{{Path: "/bin/true", Timeout: intp(5)}}}
		}},
		{"devices", func(s *specs.Spec) {
			s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229}, {Path: "/dev/fifo", Type: "p"}}
		}},
		{"other platforms ignored", func(s *specs.Spec) { s.Windows = &specs.Windows{}; s.Solaris = &specs.Solaris{} }},
		{"ioPriority allowed", func(s *specs.Spec) {
			s.Process.IOPriority = &specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_BE, Priority: 4}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Default(false)
			tc.edit(s)
			if err := Validate(s); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestValidateNil(t *testing.T) {
	if err := Validate(nil); err == nil {
		t.Fatal("no error for a nil spec")
	}
}

// The full Linux example of the runtime-spec's config.md.
func TestValidateSpecExample(t *testing.T) {
	data, err := os.ReadFile("testdata/spec-example.json")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(s); err != nil {
		t.Fatal(err)
	}
}
