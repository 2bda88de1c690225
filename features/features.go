// Package features describes what this build of xrt supports, in the
// runtime-spec's features.md format (`xrt features`): engines read it to
// decide which config.json fields they may use. Each list comes from the
// code that implements it, so it cannot claim more than xrt does.
package features

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"

	"xrt/bundle"
	"xrt/cgroups"
	"xrt/checkpoint"
	"xrt/rootfs"
	"xrt/seccomp"
)

// Get returns xrt's features; version is xrt's own, for the annotations.
func Get(version string) *features.Features {
	yes, no := true, false
	actions, operators, archs, flags := seccomp.Features()
	// The systemd driver only where a manager answers (a D-Bus round trip
	// on a systemd host; a stat elsewhere).
	systemd := cgroups.SystemdAvailable(false) == nil
	systemdUser := cgroups.SystemdAvailable(true) == nil
	return &features.Features{
		OCIVersionMin: "1.0.0",
		OCIVersionMax: specs.Version,
		Hooks:         []string{"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"},
		MountOptions:  rootfs.KnownMountOptions(),
		Linux: &features.Linux{
			Namespaces:   bundle.NamespaceTypes(),
			Capabilities: bundle.CapabilityNames,
			Cgroup:       &features.Cgroup{V1: &yes, V2: &yes, Systemd: &systemd, SystemdUser: &systemdUser, Rdma: &yes},
			Seccomp: &features.Seccomp{
				Enabled:        &yes,
				Actions:        actions,
				Operators:      operators,
				Archs:          archs,
				KnownFlags:     flags,
				SupportedFlags: seccomp.SupportedFlags(),
			},
			Apparmor:        &features.Apparmor{Enabled: &yes},
			Selinux:         &features.Selinux{Enabled: &yes},
			IntelRdt:        &features.IntelRdt{Enabled: &no},
			MountExtensions: &features.MountExtensions{IDMap: &features.IDMap{Enabled: &yes}},
			NetDevices:      &features.NetDevices{Enabled: &yes},
		},
		// A CRIU configuration file overrides how xrt checkpoints and
		// restores: engines should not take it from untrusted configs.
		PotentiallyUnsafeConfigAnnotations: []string{checkpoint.ConfigAnnotation},
		Annotations: map[string]string{
			"io.github.xrt.version":                version,
			"io.github.seccomp.libseccomp.version": seccomp.LibseccompVersion(),
		},
	}
}
