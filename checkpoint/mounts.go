package checkpoint

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/checkpoint-restore/go-criu/v8/rpc"
	securejoin "github.com/cyphar/filepath-securejoin"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Mounts whose source lies outside the container are "external" to CRIU:
// it records them by a key at dump and asks for each key's source at
// restore. The key is the mount's destination inside the root (symlinks
// resolved in the root, as the mount was made); the restore value is the
// spec's source. Masked files are /dev/null bound over them: their key is
// the masked path at dump and /dev/null at restore. Device nodes of
// linux.devices may be binds of the host's nodes (user namespaces), so
// they are described the same way.

func isBind(m *specs.Mount) bool {
	return m.Type == "bind" || slices.Contains(m.Options, "bind") || slices.Contains(m.Options, "rbind")
}

// inRoot is dest as the container sees it, symlinks resolved inside rootfs.
func inRoot(rootfs, dest string) string {
	if p, err := securejoin.SecureJoin(rootfs, dest); err == nil {
		if rel, err := filepath.Rel(rootfs, p); err == nil {
			return "/" + rel
		}
	}
	return filepath.Clean("/" + dest)
}

func extMount(key, val string) *rpc.ExtMountMap {
	return &rpc.ExtMountMap{Key: ptr(key), Val: ptr(val)}
}

// dumpMounts describes the container's external mounts for a dump. pid is
// its init, whose root shows which masked paths are files.
func dumpMounts(spec *specs.Spec, rootfs string, pid int) []*rpc.ExtMountMap {
	var ext []*rpc.ExtMountMap
	for i := range spec.Mounts {
		if m := &spec.Mounts[i]; isBind(m) {
			d := inRoot(rootfs, m.Destination)
			ext = append(ext, extMount(d, d))
		}
	}
	if spec.Linux == nil {
		return ext
	}
	for _, p := range spec.Linux.MaskedPaths {
		st, err := os.Stat(fmt.Sprintf("/proc/%d/root%s", pid, p))
		if err != nil || st.IsDir() { // directories are masked by a tmpfs, CRIU dumps it
			continue
		}
		ext = append(ext, extMount(p, "/dev/null"))
	}
	for _, d := range spec.Linux.Devices {
		ext = append(ext, extMount(d.Path, d.Path))
	}
	return ext
}

// restoreMounts describes where each external mount's source is now.
func restoreMounts(spec *specs.Spec, rootfs string) []*rpc.ExtMountMap {
	var ext []*rpc.ExtMountMap
	for i := range spec.Mounts {
		if m := &spec.Mounts[i]; isBind(m) {
			ext = append(ext, extMount(inRoot(rootfs, m.Destination), m.Source))
		}
	}
	if spec.Linux == nil {
		return ext
	}
	if len(spec.Linux.MaskedPaths) > 0 {
		ext = append(ext, extMount("/dev/null", "/dev/null"))
	}
	for _, d := range spec.Linux.Devices {
		ext = append(ext, extMount(d.Path, d.Path))
	}
	return ext
}

// prepareMountpoints makes the mount points of spec's mounts in rootfs,
// as create does, so that CRIU finds them: a restore may run on a fresh
// copy of the bundle, or after someone emptied a bind mount's source
// (where nested mount points live). Bind sources are bound on their
// mount point while the points below are made, then unmounted. Points
// below a tmpfs are left alone: CRIU restores the tmpfs with its content.
func prepareMountpoints(spec *specs.Spec, rootfs string) error {
	var bound []string
	defer func() {
		for _, p := range slices.Backward(bound) {
			unix.Unmount(p, unix.MNT_DETACH)
		}
	}()
	for i := range spec.Mounts {
		m := &spec.Mounts[i]
		if m.Type == "cgroup" || m.Type == "cgroup2" || onTmpfs(m.Destination, spec.Mounts) {
			continue
		}
		p, err := securejoin.SecureJoin(rootfs, m.Destination)
		if err != nil {
			return fmt.Errorf("mount point %s: %w", m.Destination, err)
		}
		if err := mountpoint(p, m); err != nil {
			return fmt.Errorf("make the mount point %s in the root: %w", m.Destination, err)
		}
		if isBind(m) {
			if err := unix.Mount(m.Source, p, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
				return fmt.Errorf("bind %s on %s to make the mount points below it: %w", m.Source, m.Destination, err)
			}
			bound = append(bound, p)
		}
	}
	return nil
}

// mountpoint makes p: a file when m binds a file, else a directory.
func mountpoint(p string, m *specs.Mount) error {
	if _, err := os.Lstat(p); err == nil {
		return nil
	}
	if isBind(m) {
		if st, err := os.Stat(m.Source); err == nil && !st.IsDir() {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|unix.O_NOFOLLOW, 0o644)
			if err != nil {
				return err
			}
			return f.Close()
		}
	}
	if err := os.MkdirAll(p, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return nil
}

func onTmpfs(dest string, mounts []specs.Mount) bool {
	for _, m := range mounts {
		if m.Type == "tmpfs" && strings.HasPrefix(dest, filepath.Clean(m.Destination)+"/") {
			return true
		}
	}
	return false
}
