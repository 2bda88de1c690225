package containerinit

import specs "github.com/opencontainers/runtime-spec/specs-go"

// initSpec is the part of the spec that init reads, with the spec's JSON
// names. init decodes its config into this instead of specs.Spec: a cold
// decode costs in proportion to the types it must learn, and the whole
// spec (resources, seccomp, other platforms) costs about a millisecond of
// every container start. A field init starts to use must be added here;
// TestInitSpecKeepsWhatInitUses checks the round trip.
type initSpec struct {
	Version    string         `json:"ociVersion"`
	Process    *specs.Process `json:"process,omitempty"`
	Root       *specs.Root    `json:"root,omitempty"`
	Hostname   string         `json:"hostname,omitempty"`
	Domainname string         `json:"domainname,omitempty"`
	Mounts     []specs.Mount  `json:"mounts,omitempty"`
	Hooks      *specs.Hooks   `json:"hooks,omitempty"`
	Linux      *initLinux     `json:"linux,omitempty"`
}

type initLinux struct {
	Namespaces        []specs.LinuxNamespace   `json:"namespaces,omitempty"`
	Devices           []specs.LinuxDevice      `json:"devices,omitempty"`
	MaskedPaths       []string                 `json:"maskedPaths,omitempty"`
	ReadonlyPaths     []string                 `json:"readonlyPaths,omitempty"`
	RootfsPropagation string                   `json:"rootfsPropagation,omitempty"`
	MountLabel        string                   `json:"mountLabel,omitempty"`
	Sysctl            map[string]string        `json:"sysctl,omitempty"`
	Personality       *specs.LinuxPersonality  `json:"personality,omitempty"`
	MemoryPolicy      *specs.LinuxMemoryPolicy `json:"memoryPolicy,omitempty"`
	Resources         *initResources           `json:"resources,omitempty"`
}

// initResources is what init reads of linux.resources: the cpuset's CPUs,
// to explain a scheduler policy the kernel refuses because of them.
type initResources struct {
	CPU *struct {
		Cpus string `json:"cpus,omitempty"`
	} `json:"cpu,omitempty"`
}

// configIn is Config as init decodes it: the outer Spec field hides
// Config.Spec from encoding/json.
type configIn struct {
	*Config
	Spec *initSpec `json:"spec"`
}

func (s *initSpec) spec() *specs.Spec {
	out := &specs.Spec{
		Version:    s.Version,
		Process:    s.Process,
		Root:       s.Root,
		Hostname:   s.Hostname,
		Domainname: s.Domainname,
		Mounts:     s.Mounts,
		Hooks:      s.Hooks,
	}
	if l := s.Linux; l != nil {
		out.Linux = &specs.Linux{
			Namespaces:        l.Namespaces,
			Devices:           l.Devices,
			MaskedPaths:       l.MaskedPaths,
			ReadonlyPaths:     l.ReadonlyPaths,
			RootfsPropagation: l.RootfsPropagation,
			MountLabel:        l.MountLabel,
			Sysctl:            l.Sysctl,
			Personality:       l.Personality,
			MemoryPolicy:      l.MemoryPolicy,
		}
		if r := l.Resources; r != nil && r.CPU != nil {
			out.Linux.Resources = &specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: r.CPU.Cpus}}
		}
	}
	return out
}
