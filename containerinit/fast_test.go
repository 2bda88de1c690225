package containerinit

import (
	"os"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"xrt/bundle"
	"xrt/seccomp"
)

// Which containers the C init takes: the default spec (as `xrt spec`
// writes it, without the terminal) and nothing that needs what only the Go
// init does.
func TestFast(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the fast init is for root only; this test checks root's answers")
	}
	t.Setenv("XRT_NO_FASTPATH", "")
	cases := []struct {
		name string
		edit func(c *Config)
		why  string // "": fast
	}{
		{"default", func(*Config) {}, ""},
		{"seccomp without agent", func(c *Config) { c.Seccomp = &seccomp.Program{} }, ""},
		{"seccomp agent", func(c *Config) { c.Seccomp = &seccomp.Program{Notify: true} }, "seccomp agent"},
		{"exec", func(c *Config) { c.Exec = true }, ""},
		{"exec with hooks", func(c *Config) {
			c.Exec = true
			c.Spec.Hooks = &specs.Hooks{StartContainer: []specs.Hook{{Path: "/bin/true"}}}
		}, ""},
		{"exec without a mount namespace", func(c *Config) {
			c.Exec = true
			c.Spec.Linux.Namespaces = []specs.LinuxNamespace{{Type: specs.PIDNamespace}}
		}, "no mount namespace"},
		{"no pivot", func(c *Config) { c.NoPivot = true }, "--no-pivot"},
		{"terminal", func(c *Config) { c.Spec.Process.Terminal = true }, "terminal"},
		{"startContainer hook", func(c *Config) {
			c.Spec.Hooks = &specs.Hooks{StartContainer: []specs.Hook{{Path: "/bin/true"}}}
		}, "createContainer or startContainer hooks"},
		{"createContainer hook", func(c *Config) {
			c.Spec.Hooks = &specs.Hooks{CreateContainer: []specs.Hook{{Path: "/bin/true"}}}
		}, "createContainer or startContainer hooks"},
		{"createRuntime and prestart hooks", func(c *Config) {
			//lint:ignore SA1019 prestart is deprecated, still honoured
			c.Spec.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "/bin/true"}}, Prestart: []specs.Hook{{Path: "/bin/true"}}}
		}, ""},
		{"poststart hook", func(c *Config) {
			c.Spec.Hooks = &specs.Hooks{Poststart: []specs.Hook{{Path: "/bin/true"}}}
		}, ""},
		{"user namespace", func(c *Config) {
			c.Spec.Linux.Namespaces = append(c.Spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
		}, "user namespace"},
		{"no mount namespace", func(c *Config) {
			c.Spec.Linux.Namespaces = []specs.LinuxNamespace{{Type: specs.PIDNamespace}}
		}, "no mount namespace of its own"},
		{"joined mount namespace", func(c *Config) {
			c.Spec.Linux.Namespaces = []specs.LinuxNamespace{{Type: specs.MountNamespace, Path: "/proc/1/ns/mnt"}}
		}, "no mount namespace of its own"},
		{"apparmor", func(c *Config) { c.Spec.Process.ApparmorProfile = "p" }, "security label"},
		{"personality", func(c *Config) { c.Spec.Linux.Personality = &specs.LinuxPersonality{Domain: specs.PerLinux} }, "scheduling or personality"},
		{"idmapped mount", func(c *Config) {
			c.Spec.Mounts = append(c.Spec.Mounts, specs.Mount{Destination: "/m", Type: "bind", Source: "/tmp", Options: []string{"bind", "idmap"}})
		}, "idmapped mount"},
		{"two procs", func(c *Config) {
			c.Spec.Mounts = append(c.Spec.Mounts, specs.Mount{Destination: "/proc2", Type: "proc", Source: "proc"})
		}, "more than one proc mount"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &Config{ID: "x", Rootfs: "/tmp", Spec: bundle.Default(false)}
			c.Spec.Process.Terminal = false // as engines run it
			tc.edit(c)
			fast, why := Fast(c)
			if fast != (tc.why == "") || why != tc.why {
				t.Errorf("Fast = %v, %q; want %q", fast, why, tc.why)
			}
		})
	}
	t.Run("XRT_NO_FASTPATH", func(t *testing.T) {
		t.Setenv("XRT_NO_FASTPATH", "1")
		if fast, _ := Fast(&Config{Spec: bundle.Default(false)}); fast {
			t.Error("XRT_NO_FASTPATH=1 left the fast init on")
		}
	})
}
