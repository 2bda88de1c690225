// Package bundle loads an OCI bundle's config.json, validates it and applies
// xrt's defaults.
//
// [Load] is the one entry point for a container's configuration: it reads
// config.json, refuses anything xrt cannot run faithfully (see [Validate]),
// and resolves the root filesystem. The defaults it applies only normalize;
// none changes what the config means:
//
//   - mount destinations and process.cwd are cleaned ("/a/./b/" is "/a/b");
//   - a relative mount destination is made relative to / (deprecated by the
//     spec: a [Bundle.Warnings] entry says so), and one that names a path
//     under the rootfs on the host is made the same path in the container,
//     as runc does;
//   - a relative source of a bind mount, which the spec defines as relative
//     to the bundle, is made absolute;
//   - root.path is resolved against the bundle into [Bundle.Rootfs], with
//     symlinks followed; the spec's root.path is left as written.
//
// Validation errors name the field and are meant to be shown as they are;
// the caller adds the operation ("create ...").
package bundle

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Bundle is a loaded and validated bundle.
type Bundle struct {
	Path   string      // absolute bundle directory
	Spec   *specs.Spec // validated and normalized config.json
	Rootfs string      // absolute path of root.path (relative paths are relative to Path), symlinks resolved
	// Warnings are what the caller should log: accepted, but deprecated.
	Warnings []string
}

// Load reads dir/config.json, parses and validates it, and checks that the
// root filesystem exists and is a directory.
func Load(dir string) (*Bundle, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("bundle %s: %w", dir, err)
	}
	data, err := os.ReadFile(filepath.Join(abs, "config.json"))
	if err != nil {
		// The path is in our message already; keep only the errno, so the
		// text reads "open config.json in bundle DIR: no such file or directory".
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("open config.json in bundle %s: %w (create one with \"xrt spec\")", abs, err)
		}
		return nil, fmt.Errorf("open config.json in bundle %s: %w", abs, err)
	}
	spec, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("bundle %s: %w", abs, err)
	}
	return New(abs, spec)
}

// New validates a spec made elsewhere (image mode merges one) as Load does
// a config.json, for the bundle directory dir.
func New(dir string, spec *specs.Spec) (*Bundle, error) {
	return newBundle(dir, spec, "")
}

// NewUnmade is New for a root filesystem that its caller makes later, at
// rootfs (absolute, no symlinks): image mode mounts it while init starts.
func NewUnmade(dir string, spec *specs.Spec, rootfs string) (*Bundle, error) {
	if !filepath.IsAbs(rootfs) {
		return nil, fmt.Errorf("bundle %s: rootfs %s is not absolute", dir, rootfs)
	}
	return newBundle(dir, spec, rootfs)
}

func newBundle(dir string, spec *specs.Spec, rootfs string) (*Bundle, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("bundle %s: %w", dir, err)
	}
	if err := Validate(spec); err != nil {
		return nil, fmt.Errorf("bundle %s: invalid config.json: %w", abs, err)
	}
	if rootfs == "" {
		if rootfs, err = resolveRootfs(abs, spec.Root.Path); err != nil {
			return nil, err
		}
	}
	b := &Bundle{Path: abs, Spec: spec, Rootfs: rootfs}
	b.normalize(spec.Root.Path)
	return b, nil
}

func resolveRootfs(bundle, root string) (string, error) {
	if !filepath.IsAbs(root) {
		root = filepath.Join(bundle, root)
	}
	root = filepath.Clean(root)
	resolved, err := filepath.EvalSymlinks(root)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("rootfs %s does not exist: %w (check root.path in config.json)", root, err)
	}
	if err != nil {
		return "", fmt.Errorf("rootfs %s: %w", root, err)
	}
	st, err := os.Stat(resolved)
	if err != nil {
		return "", fmt.Errorf("rootfs %s: %w", root, err)
	}
	if !st.IsDir() {
		return "", fmt.Errorf("rootfs %s is not a directory", root)
	}
	return resolved, nil
}

// normalize applies the defaults listed in the package comment. It runs
// after Validate, so the fields it touches are known to be well formed.
func (b *Bundle) normalize(rootPath string) {
	s := b.Spec
	s.Process.Cwd = filepath.Clean(s.Process.Cwd)
	if !filepath.IsAbs(rootPath) {
		rootPath = filepath.Join(b.Path, rootPath)
	}
	for i := range s.Mounts {
		m := &s.Mounts[i]
		if !filepath.IsAbs(m.Destination) {
			b.Warnings = append(b.Warnings, fmt.Sprintf("mount destination %s is not absolute: it is taken as relative to the container's root; relative destinations are deprecated", m.Destination))
		}
		m.Destination = stripRoot(filepath.Clean("/"+m.Destination), b.Rootfs, filepath.Clean(rootPath))
		if m.Source != "" && !filepath.IsAbs(m.Source) && isBind(m.Options) {
			m.Source = filepath.Join(b.Path, m.Source)
		}
	}
}

// stripRoot turns a destination written as a host path under the rootfs
// into the container path it names.
func stripRoot(dest string, roots ...string) string {
	for _, r := range roots {
		if r == "" || r == "/" {
			continue
		}
		if dest == r {
			return "/"
		}
		if rest, ok := strings.CutPrefix(dest, r+"/"); ok {
			return "/" + rest
		}
	}
	return dest
}

func isBind(options []string) bool {
	return slices.Contains(options, "bind") || slices.Contains(options, "rbind")
}
