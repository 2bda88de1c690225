package container

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
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

// idmapper makes the idmapped mounts of a spec (idmap, ridmap, or a
// mount's own uid/gidMappings) when init reaches them, in mount order:
// a detached bind mount of the source as the container's mount namespace
// sees it then (earlier mounts included), with the mapping applied, which
// init moves into place. Applying the mapping needs privilege over the
// source's filesystem, which init, inside a user namespace, lacks; so the
// parent makes it, from a thread that has entered init's mount namespace.
type idmapper struct {
	spec *specs.Spec
	// holders are user namespaces with a mount's own mappings, made
	// before init so that a bad mapping fails create early; keyed by the
	// mount's index.
	holders map[int]*usernsHolder
}

// newIDMapper returns nil when spec has no idmapped mount.
func newIDMapper(spec *specs.Spec) (*idmapper, error) {
	var im *idmapper
	shared := map[string]*usernsHolder{}
	for i := range spec.Mounts {
		m := &spec.Mounts[i]
		o := rootfs.ParseMountOptions(m.Options)
		if !o.IDMap && len(m.UIDMappings)+len(m.GIDMappings) == 0 {
			continue
		}
		if im == nil {
			im = &idmapper{spec: spec, holders: map[int]*usernsHolder{}}
		}
		if len(m.UIDMappings)+len(m.GIDMappings) == 0 {
			continue // the container's user namespace holds the mapping
		}
		key := fmt.Sprint(m.UIDMappings, m.GIDMappings)
		h := shared[key]
		if h == nil {
			var err error
			if h, err = newUsernsHolder(m.UIDMappings, m.GIDMappings); err != nil {
				im.close()
				return nil, fmt.Errorf("mount %s on %s: %w", m.Source, m.Destination, err)
			}
			shared[key] = h
		}
		im.holders[i] = h
	}
	return im, nil
}

func (im *idmapper) close() {
	if im == nil {
		return
	}
	done := map[*usernsHolder]bool{}
	for _, h := range im.holders {
		if !done[h] {
			h.close()
			done[h] = true
		}
	}
}

// mount makes the idmapped mount of spec mount i for init (pid), as
// described on idmapper; the caller closes the returned fd.
func (im *idmapper) mount(pid, i int) (int, error) {
	if im == nil || i < 0 || i >= len(im.spec.Mounts) {
		return -1, fmt.Errorf("mount %d is not an idmapped mount", i)
	}
	m := &im.spec.Mounts[i]
	o := rootfs.ParseMountOptions(m.Options)
	if !o.IDMap && len(m.UIDMappings)+len(m.GIDMappings) == 0 {
		return -1, fmt.Errorf("mount %s is not an idmapped mount", m.Destination)
	}
	ns, err := im.userns(pid, i)
	if err != nil {
		return -1, fmt.Errorf("mount %s on %s: %w", m.Source, m.Destination, err)
	}
	defer ns.Close()
	fd, err := inMountNamespace(pid, func() (int, error) {
		return rootfs.IDMapMount(m.Source, o.Flags&unix.MS_REC != 0, o.RecursiveIDMap, int(ns.Fd()))
	})
	if err != nil {
		return -1, fmt.Errorf("mount %s on %s: %w", m.Source, m.Destination, err)
	}
	return fd, nil
}

// userns opens the user namespace whose mapping mount i takes: its own
// (a holder's), a joined one, or init's own.
func (im *idmapper) userns(pid, i int) (*os.File, error) {
	path := "/proc/" + strconv.Itoa(pid) + "/ns/user"
	if h := im.holders[i]; h != nil {
		path = h.nsPath()
	} else if joined := bundle.JoinedUserns(im.spec); joined != "" {
		path = joined
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open the user namespace of the idmapping: %w", err)
	}
	return f, nil
}

// inMountNamespace runs fn on a thread of its own that has entered the
// mount namespace of pid. The thread never comes back to ours: it stays
// locked, and Go ends it when the goroutine returns.
func inMountNamespace(pid int, fn func() (int, error)) (int, error) {
	type result struct {
		fd  int
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		ch <- func() result {
			ns, err := os.Open("/proc/" + strconv.Itoa(pid) + "/ns/mnt")
			if err != nil {
				return result{-1, fmt.Errorf("open init's mount namespace: %w", err)}
			}
			defer ns.Close()
			// A thread shares its root and cwd with the process's other
			// threads until it unshares them, and the kernel refuses to
			// move a thread that shares them into another namespace.
			if err := unix.Unshare(unix.CLONE_FS); err != nil {
				return result{-1, fmt.Errorf("unshare CLONE_FS: %w", err)}
			}
			if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNS); err != nil {
				return result{-1, fmt.Errorf("enter init's mount namespace: %w", err)}
			}
			fd, err := fn()
			return result{fd, err}
		}()
	}()
	r := <-ch
	return r.fd, r.err
}

// usernsHolder is a process of our own binary in a new user namespace with
// given mappings, kept until the namespace is no longer needed.
type usernsHolder struct {
	cmd   *exec.Cmd
	stdin io.Closer
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
	return &usernsHolder{cmd: cmd, stdin: stdin}, nil
}

func (h *usernsHolder) nsPath() string {
	return "/proc/" + strconv.Itoa(h.cmd.Process.Pid) + "/ns/user"
}

func (h *usernsHolder) close() {
	h.stdin.Close()
	h.cmd.Wait()
}

func idMaps(m []specs.LinuxIDMapping) []syscall.SysProcIDMap {
	out := make([]syscall.SysProcIDMap, len(m))
	for i, e := range m {
		out[i] = syscall.SysProcIDMap{ContainerID: int(e.ContainerID), HostID: int(e.HostID), Size: int(e.Size)}
	}
	return out
}
