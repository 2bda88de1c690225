package container

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"xrt/bundle"
	"xrt/rootfs"
)

// UsernsHoldArg is the hidden command of the short-lived process that holds
// a user namespace with the mapping of idmapped mounts: it waits until its
// stdin closes. main runs it before anything else.
const UsernsHoldArg = "userns-hold"

// HoldUserns is that process: it returns when stdin closes.
func HoldUserns() { io.Copy(io.Discard, os.Stdin) }

// idmappedMounts prepares every mount of spec that asks for an idmapping
// (idmap, ridmap, or its own uid/gidMappings) as a detached bind mount with
// the mapping applied, which init moves into place: applying it needs
// privilege over the source's filesystem, which init, inside a user
// namespace, lacks. The mapping is the mount's own or else the container's
// user namespace mappings, through a user namespace made for it. Keys are
// indexes in spec.Mounts. The caller closes the files.
func idmappedMounts(spec *specs.Spec) (map[int]*os.File, error) {
	var out map[int]*os.File
	holders := map[string]*usernsHolder{}
	defer func() {
		for _, h := range holders {
			h.close()
		}
	}()
	for i := range spec.Mounts {
		m := &spec.Mounts[i]
		o := rootfs.ParseMountOptions(m.Options)
		if !o.IDMap && len(m.UIDMappings)+len(m.GIDMappings) == 0 {
			continue
		}
		uids, gids := m.UIDMappings, m.GIDMappings
		if len(uids)+len(gids) == 0 && spec.Linux != nil {
			uids, gids = spec.Linux.UIDMappings, spec.Linux.GIDMappings
			// A joined user namespace holds the mapping itself.
			if path := bundle.JoinedUserns(spec); path != "" && len(uids)+len(gids) == 0 {
				fd, err := idmapThrough(path, m, &o)
				if err != nil {
					closeAll(out)
					return nil, err
				}
				if out == nil {
					out = map[int]*os.File{}
				}
				out[i] = fd
				continue
			}
		}
		key := fmt.Sprint(uids, gids)
		h := holders[key]
		if h == nil {
			var err error
			if h, err = newUsernsHolder(uids, gids); err != nil {
				closeAll(out)
				return nil, fmt.Errorf("mount %s on %s: %w", m.Source, m.Destination, err)
			}
			holders[key] = h
		}
		fd, err := rootfs.IDMapMount(m.Source, o.Flags&unix.MS_REC != 0, o.RecursiveIDMap, int(h.ns.Fd()))
		if err != nil {
			closeAll(out)
			return nil, fmt.Errorf("mount %s on %s: %w", m.Source, m.Destination, err)
		}
		if out == nil {
			out = map[int]*os.File{}
		}
		out[i] = os.NewFile(uintptr(fd), "idmapped:"+m.Destination)
	}
	return out, nil
}

// idmapThrough makes m's idmapped mount with the mapping of the user
// namespace at path, which the container joins.
func idmapThrough(path string, m *specs.Mount, o *rootfs.MountOptions) (*os.File, error) {
	ns, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mount %s on %s: open the user namespace %s: %w", m.Source, m.Destination, path, err)
	}
	defer ns.Close()
	fd, err := rootfs.IDMapMount(m.Source, o.Flags&unix.MS_REC != 0, o.RecursiveIDMap, int(ns.Fd()))
	if err != nil {
		return nil, fmt.Errorf("mount %s on %s: %w", m.Source, m.Destination, err)
	}
	return os.NewFile(uintptr(fd), "idmapped:"+m.Destination), nil
}

func closeAll(files map[int]*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// usernsHolder is a process of our own binary in a new user namespace with
// given mappings, kept until the namespace is open.
type usernsHolder struct {
	cmd   *exec.Cmd
	stdin io.Closer
	ns    *os.File
}

func newUsernsHolder(uids, gids []specs.LinuxIDMapping) (*usernsHolder, error) {
	cmd := exec.Command("/proc/self/exe", UsernsHoldArg)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER,
		UidMappings: idMaps(uids),
		GidMappings: idMaps(gids),
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("user namespace for the idmapping: %w", err)
	}
	h := &usernsHolder{cmd: cmd, stdin: stdin}
	if h.ns, err = os.Open("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/ns/user"); err != nil {
		h.close()
		return nil, fmt.Errorf("user namespace for the idmapping: %w", err)
	}
	return h, nil
}

func (h *usernsHolder) close() {
	h.stdin.Close()
	h.cmd.Wait()
	if h.ns != nil {
		h.ns.Close()
	}
}

func idMaps(m []specs.LinuxIDMapping) []syscall.SysProcIDMap {
	out := make([]syscall.SysProcIDMap, len(m))
	for i, e := range m {
		out[i] = syscall.SysProcIDMap{ContainerID: int(e.ContainerID), HostID: int(e.HostID), Size: int(e.Size)}
	}
	return out
}
