package bundle

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Validate checks a parsed config for what xrt needs and for what the
// runtime-spec requires of a Linux config. It returns the first problem
// found; sections for other platforms (windows, solaris, vm, zos, freebsd)
// are ignored.
func Validate(s *specs.Spec) error {
	if s == nil {
		return errors.New("config is empty")
	}
	for _, check := range [...]func(*specs.Spec) error{
		checkVersion,
		checkRoot,
		checkProcess,
		checkMounts,
		checkHooks,
		checkLinux,
		unsupported,
	} {
		if err := check(s); err != nil {
			return err
		}
	}
	return nil
}

func checkVersion(s *specs.Spec) error {
	if s.Version == "" {
		return errors.New("ociVersion is missing")
	}
	if !supportedVersion(s.Version) {
		return fmt.Errorf("unsupported ociVersion %q: xrt supports 1.0.0 to 1.3.x", s.Version)
	}
	return nil
}

// supportedVersion accepts 1.MINOR.PATCH with an optional "-pre" or "+build"
// suffix (1.0.2-dev, 1.3.0+dev). Later minor versions stay compatible.
func supportedVersion(v string) bool {
	core := v
	if i := strings.IndexAny(v, "-+"); i >= 0 {
		if i == len(v)-1 {
			return false
		}
		core = v[:i]
	}
	major, rest, ok := strings.Cut(core, ".")
	if !ok || major != "1" {
		return false
	}
	minor, patch, ok := strings.Cut(rest, ".")
	return ok && isDigits(minor) && isDigits(patch)
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func checkRoot(s *specs.Spec) error {
	if s.Root == nil || s.Root.Path == "" {
		return errors.New("root.path is missing")
	}
	return nil
}

func checkProcess(s *specs.Spec) error {
	p := s.Process
	if p == nil {
		return errors.New("process is missing")
	}
	if len(p.Args) == 0 {
		return errors.New("process.args must not be empty")
	}
	if !filepath.IsAbs(p.Cwd) {
		return fmt.Errorf("process.cwd %q must be an absolute path", p.Cwd)
	}
	// Unknown capability names are not an error: init leaves them out
	// with a warning, as runc does.
	if err := checkSchedulingSettings(s); err != nil {
		return err
	}
	return checkRlimits(p.Rlimits)
}

func checkMounts(s *specs.Spec) error {
	for i, m := range s.Mounts {
		// The spec still allows relative destinations ("relative to /",
		// deprecated): Load makes them absolute, with a warning, as runc.
		if m.Destination == "" {
			return fmt.Errorf("mount destination must not be empty (mounts[%d])", i)
		}
		if err := checkIDMapMount(s, &m); err != nil {
			return fmt.Errorf("mount %s (mounts[%d]): %w", m.Destination, i, err)
		}
	}
	return nil
}

// checkIDMapMount checks an idmapped mount (idmap/ridmap options or
// uid/gidMappings of its own) as config.md asks: both mappings or none;
// without them the container's user namespace mappings, which must exist.
// xrt idmaps bind mounts.
func checkIDMapMount(s *specs.Spec, m *specs.Mount) error {
	idmap := slices.Contains(m.Options, "idmap") || slices.Contains(m.Options, "ridmap")
	own := len(m.UIDMappings)+len(m.GIDMappings) > 0
	if !idmap && !own {
		return nil
	}
	if (len(m.UIDMappings) == 0) != (len(m.GIDMappings) == 0) {
		return errors.New("uidMappings and gidMappings must be given together")
	}
	if !isBind(m.Options) && m.Type != "bind" {
		return errors.New("idmapped mounts are supported for bind mounts only")
	}
	if !own && JoinedUserns(s) == "" && (s.Linux == nil || len(s.Linux.UIDMappings) == 0 || len(s.Linux.GIDMappings) == 0) {
		return errors.New("idmap without uidMappings/gidMappings needs the container's user namespace mappings (linux.uidMappings, or a user namespace joined by path)")
	}
	return nil
}

func checkHooks(s *specs.Spec) error {
	h := s.Hooks
	if h == nil {
		return nil
	}
	for _, list := range [...]struct {
		name  string
		hooks []specs.Hook
	}{
		//lint:ignore SA1019 prestart is deprecated, still valid input
		{"prestart", h.Prestart},
		{"createRuntime", h.CreateRuntime},
		{"createContainer", h.CreateContainer},
		{"startContainer", h.StartContainer},
		{"poststart", h.Poststart},
		{"poststop", h.Poststop},
	} {
		for i, hook := range list.hooks {
			if !filepath.IsAbs(hook.Path) {
				return fmt.Errorf("hook path %q must be absolute (hooks.%s[%d])", hook.Path, list.name, i)
			}
			if hook.Timeout != nil && *hook.Timeout <= 0 {
				return fmt.Errorf("hook timeout must be positive (hooks.%s[%d].timeout is %d)", list.name, i, *hook.Timeout)
			}
		}
	}
	return nil
}

func checkLinux(s *specs.Spec) error {
	l := s.Linux
	if l == nil {
		l = &specs.Linux{}
	}
	ns, err := checkNamespaces(l.Namespaces)
	if err != nil {
		return err
	}
	if err := checkIDMappings(l, ns); err != nil {
		return err
	}
	if s.Hostname != "" && !ns.has(specs.UTSNamespace) {
		return errors.New(`hostname needs a new uts namespace (add {"type": "uts"} to linux.namespaces)`)
	}
	if s.Domainname != "" && !ns.has(specs.UTSNamespace) {
		return errors.New(`domainname needs a new uts namespace (add {"type": "uts"} to linux.namespaces)`)
	}
	if err := checkSysctl(l.Sysctl, ns); err != nil {
		return err
	}
	if err := checkNetDevices(l.NetDevices, ns); err != nil {
		return err
	}
	return checkDevices(l.Devices)
}

// checkNetDevices checks linux.netDevices: a network namespace to move
// them to, and names the kernel takes.
func checkNetDevices(devs map[string]specs.LinuxNetDevice, ns *namespaces) error {
	if len(devs) == 0 {
		return nil
	}
	if !ns.has(specs.NetworkNamespace) {
		return errors.New(`linux.netDevices needs a network namespace (add {"type": "network"} to linux.namespaces)`)
	}
	if os.Geteuid() != 0 {
		return errors.New("linux.netDevices: moving network devices needs root")
	}
	for host, d := range devs {
		if !validNetDeviceName(host) {
			return fmt.Errorf("linux.netDevices: invalid network device name %q", host)
		}
		if d.Name != "" && !validNetDeviceName(d.Name) {
			return fmt.Errorf("linux.netDevices[%q].name: invalid network device name %q", host, d.Name)
		}
	}
	return nil
}

// validNetDeviceName is the kernel's rule for interface names
// (dev_valid_name): 1 to 15 bytes, not "." or "..", no '/', ':' or space.
func validNetDeviceName(name string) bool {
	if name == "" || len(name) > 15 || name == "." || name == ".." {
		return false
	}
	return !strings.ContainsFunc(name, func(r rune) bool {
		return r == '/' || r == ':' || unicode.IsSpace(r)
	})
}

func checkDevices(devices []specs.LinuxDevice) error {
	for _, d := range devices {
		if !filepath.IsAbs(d.Path) {
			return fmt.Errorf("device path %q must be absolute", d.Path)
		}
		switch d.Type {
		case "c", "b", "u", "p":
		default:
			return fmt.Errorf("device %s: unknown type %q (want c, b, u or p)", d.Path, d.Type)
		}
	}
	return nil
}

// unsupported refuses the fields that xrt parses but does not implement
// yet, so that a config asking for them fails instead of running without
// them. Keep this list short and current.
func unsupported(s *specs.Spec) error {
	if s.Linux != nil && s.Linux.IntelRdt != nil {
		return errors.New("linux.intelRdt is not supported")
	}
	return nil
}

// JoinedUserns is the path of the user namespace the container joins, "".
func JoinedUserns(s *specs.Spec) string {
	if ns := Namespace(s, specs.UserNamespace); ns != nil {
		return ns.Path
	}
	return ""
}
