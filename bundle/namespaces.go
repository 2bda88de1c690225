package bundle

import (
	"errors"
	"fmt"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

var namespaceTypes = [...]specs.LinuxNamespaceType{
	specs.PIDNamespace,
	specs.NetworkNamespace,
	specs.MountNamespace,
	specs.IPCNamespace,
	specs.UTSNamespace,
	specs.UserNamespace,
	specs.CgroupNamespace,
	specs.TimeNamespace,
}

// NamespaceTypes lists the namespace types xrt creates and joins.
func NamespaceTypes() []string {
	out := make([]string, len(namespaceTypes))
	for i, t := range namespaceTypes {
		out[i] = string(t)
	}
	return out
}

// namespaces records which namespace types a config lists (new or joined
// by path) and which of those it joins.
type namespaces struct {
	listed, joined [len(namespaceTypes)]bool
}

func namespaceIndex(t specs.LinuxNamespaceType) int {
	for i, known := range namespaceTypes {
		if t == known {
			return i
		}
	}
	return -1
}

// has reports whether the container gets a namespace of type t of its own,
// new or joined, rather than the runtime's.
func (n *namespaces) has(t specs.LinuxNamespaceType) bool {
	return n.listed[namespaceIndex(t)]
}

func (n *namespaces) isJoined(t specs.LinuxNamespaceType) bool {
	return n.joined[namespaceIndex(t)]
}

func checkNamespaces(list []specs.LinuxNamespace) (*namespaces, error) {
	ns := &namespaces{}
	for _, n := range list {
		i := namespaceIndex(n.Type)
		if i < 0 {
			return nil, fmt.Errorf("unknown namespace type %q (known: pid, network, mount, ipc, uts, user, cgroup, time)", n.Type)
		}
		if ns.listed[i] {
			return nil, fmt.Errorf("namespace type %q is listed twice", n.Type)
		}
		if n.Path != "" && !filepath.IsAbs(n.Path) {
			return nil, fmt.Errorf("namespace %q path %q must be absolute", n.Type, n.Path)
		}
		ns.listed[i] = true
		ns.joined[i] = n.Path != ""
	}
	return ns, nil
}

func checkIDMappings(l *specs.Linux, ns *namespaces) error {
	if !ns.has(specs.UserNamespace) {
		if len(l.UIDMappings) > 0 {
			return errors.New(`uidMappings require a user namespace (add {"type": "user"} to linux.namespaces)`)
		}
		if len(l.GIDMappings) > 0 {
			return errors.New(`gidMappings require a user namespace (add {"type": "user"} to linux.namespaces)`)
		}
		return nil
	}
	if !ns.isJoined(specs.UserNamespace) && (len(l.UIDMappings) == 0 || len(l.GIDMappings) == 0) {
		return errors.New("a new user namespace needs uidMappings and gidMappings")
	}
	for _, set := range [...]struct {
		name string
		maps []specs.LinuxIDMapping
	}{{"uidMappings", l.UIDMappings}, {"gidMappings", l.GIDMappings}} {
		for i, m := range set.maps {
			if m.Size == 0 {
				return fmt.Errorf("linux.%s[%d]: size must be positive", set.name, i)
			}
		}
	}
	return nil
}

// Namespace returns s's entry for namespace type t, nil when not listed.
func Namespace(s *specs.Spec, t specs.LinuxNamespaceType) *specs.LinuxNamespace {
	if s.Linux == nil {
		return nil
	}
	for i := range s.Linux.Namespaces {
		if s.Linux.Namespaces[i].Type == t {
			return &s.Linux.Namespaces[i]
		}
	}
	return nil
}

// HasNamespace says whether s lists a namespace of type t, new or joined.
func HasNamespace(s *specs.Spec, t specs.LinuxNamespaceType) bool {
	return Namespace(s, t) != nil
}

// HasNewNamespace says whether s asks for a new namespace of type t.
func HasNewNamespace(s *specs.Spec, t specs.LinuxNamespaceType) bool {
	ns := Namespace(s, t)
	return ns != nil && ns.Path == ""
}
