package checkpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/checkpoint-restore/go-criu/v8/rpc"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"xrt/cgroups"
	"xrt/container"
	"xrt/image"
	"xrt/imagebundle"
)

// descriptorsFile records what the container's init had as fds 0, 1 and 2
// ("pipe:[123]", "/dev/null", ...), in runc's format: a restore hands its
// own stdio to CRIU for the pipes, which cannot be restored by name.
const descriptorsFile = "descriptors.json"

// Dump checkpoints the running container c (locked by the caller) into
// o's image directory. Unless o.LeaveRunning or o.PreDump, CRIU stops its
// processes and Dump removes the container, as runc does.
func Dump(c *container.Container, o *Options) error {
	// A paused container is checkpointed as runc does it: containerd
	// pauses a task before it checkpoints it. CRIU finds the cgroup
	// frozen and leaves it so (--leave-running: still paused after).
	switch st := c.Status(); st {
	case container.Running, container.Paused:
	default:
		return fmt.Errorf("cannot checkpoint container %q: it is %s, only a running or paused container can be checkpointed", c.ID, st)
	}
	// An image-mode container's root is an overlay that exists only in
	// its own mount namespace: its upper layer is saved with the image
	// (rootfsdiff.go), and mount keys are resolved in the live root.
	imageStore := c.Annotations[imagebundle.AnnotationStore]
	rootfs := c.Rootfs
	if imageStore != "" {
		rootfs = fmt.Sprintf("/proc/%d/root", c.Pid)
	}
	image, err := o.imagePath()
	if err != nil {
		return err
	}
	if err := checkParent(image, o.ParentPath); err != nil {
		return err
	}
	mode, err := cgMode(o.ManageCgroupsMode)
	if err != nil {
		return err
	}
	emptyNs, err := o.emptyNs()
	if err != nil {
		return err
	}
	ps, err := o.pageServer()
	if err != nil {
		return err
	}
	version, err := checkVersion()
	if err != nil {
		return fmt.Errorf("checkpoint container %q: %w", c.ID, err)
	}
	spec, err := c.Spec()
	if err != nil {
		return err
	}
	opts := &rpc.CriuOpts{
		Pid:               ptr(int32(c.Pid)),
		Root:              ptr(c.Rootfs),
		ManageCgroups:     ptr(true),
		ManageCgroupsMode: &mode,
		NotifyScripts:     ptr(true),
		ShellJob:          ptr(o.ShellJob),
		LeaveRunning:      ptr(o.LeaveRunning),
		TcpEstablished:    ptr(o.TCPEstablished),
		TcpSkipInFlight:   ptr(o.TCPSkipInFlight),
		LinkRemap:         ptr(o.LinkRemap),
		ExtUnixSk:         ptr(o.ExtUnixSk),
		FileLocks:         ptr(o.FileLocks),
		EmptyNs:           ptr(emptyNs),
		OrphanPtsMaster:   ptr(true),
		AutoDedup:         ptr(o.AutoDedup),
		LazyPages:         ptr(o.LazyPages),
		Ps:                ps,
	}
	if o.ParentPath != "" {
		opts.ParentImg = ptr(o.ParentPath)
		opts.TrackMem = ptr(true)
	}
	if o.LazyPages && o.StatusFd >= 0 {
		if err := checkStatusFd(o.StatusFd); err != nil {
			return err
		}
		if version < 31500 { // newer CRIU says "status-ready" instead
			opts.StatusFd = ptr(int32(o.StatusFd))
		}
	}
	configFile(opts, spec.Annotations)
	ext, err := externalNamespaces(spec, version)
	if err != nil {
		return fmt.Errorf("checkpoint container %q: %w", c.ID, err)
	}
	opts.External = ext
	// CRIU freezes with the cgroup freezer when it can (cgroup v2's since
	// 3.14), else with ptrace.
	if fz := freezerPath(c.Cgroup); fz != "" && (cgroups.DetectMode() != cgroups.Unified || version >= 31400) {
		opts.FreezeCgroup = ptr(fz)
	}
	d, err := o.openDirs(opts, image, true, "dump.log")
	if err != nil {
		return err
	}
	defer d.close()
	t := rpc.CriuReqType_DUMP
	if o.PreDump {
		t = rpc.CriuReqType_PRE_DUMP
	} else {
		opts.ExtMnt = dumpMounts(spec, rootfs, c.Pid)
		if err := writeDescriptors(image, c.Pid); err != nil {
			return err
		}
	}
	// With --lazy-pages CRIU serves the memory until the restore side has
	// it all, however long that takes, or for ever if the migration
	// failed: the container's lock is released once the images are
	// written (status-ready), so that `xrt delete -f` and the rest are
	// not blocked behind it; the lock is taken again to remove the
	// container after. (Holding it made a failed lazy migration hang
	// whoever cleaned up: runc's checkpoint.bats, --lazy-pages.)
	// While it serves them, a container that is deleted (xrt delete -f
	// after a failed migration) ends the wait: CRIU would wait for a page client
	// for ever, and the caller with it.
	unlocked := false
	criuPid := 0
	var gone atomic.Bool
	done := make(chan struct{})
	defer close(done)
	so := &swrkOpts{started: func(pid int) error { criuPid = pid; return nil }}
	_, err = call(&rpc.CriuReq{Type: &t, Opts: opts}, so, func(script string, _ int32, fds []*os.File) error {
		closeAll(fds)
		// post-dump: the processes are dumped and still frozen, so the
		// root's files are as they were; a failure here makes CRIU
		// fail the dump and let them run on.
		if script == "post-dump" && imageStore != "" && !o.PreDump {
			return saveImageRoot(image, imageStore, c)
		}
		if script == "status-ready" {
			if o.LazyPages && !unlocked {
				c.Unlock()
				unlocked = true
				go watchLazy(c, criuPid, &gone, done)
			}
			if o.StatusFd >= 0 {
				unix.Write(o.StatusFd, []byte{0})
				unix.Close(o.StatusFd)
				o.StatusFd = -1
			}
		}
		return nil
	})
	if err != nil && gone.Load() {
		return fmt.Errorf("checkpoint container %q: it was deleted while CRIU served its memory (--lazy-pages): the migration is abandoned (CRIU's log: %s)", c.ID, d.log)
	}
	if err != nil {
		return fmt.Errorf("checkpoint container %q: %w", c.ID, withLog(err, d.log))
	}
	if o.LeaveRunning || o.PreDump {
		return nil
	}
	if unlocked {
		again, err := container.Locked(filepath.Dir(c.Dir()), c.ID)
		if err != nil {
			return nil // removed meanwhile (xrt delete): nothing left to do
		}
		defer again.Unlock()
		if again.Pid != c.Pid || again.PidStart != c.PidStart {
			return nil // another container of that id since
		}
		c = again
	}
	if err := c.Delete(true); err != nil {
		return fmt.Errorf("container %q is checkpointed, but removing it failed (remove it with `xrt delete -f %s`): %w", c.ID, c.ID, err)
	}
	return nil
}

// watchLazy kills CRIU (pid) when container c is deleted while CRIU
// serves its pages lazily; it returns when done is closed.
func watchLazy(c *container.Container, pid int, gone *atomic.Bool, done <-chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			// Deleted, not only stopped: CRIU itself kills the
			// dumped processes once the last page is sent, just
			// before it answers.
			if _, err := os.Stat(c.Dir()); errors.Is(err, fs.ErrNotExist) {
				gone.Store(true)
				unix.Kill(pid, unix.SIGKILL)
				return
			}
		}
	}
}

// imageRecord is imageFile: the image an image-mode container ran.
type imageRecord struct {
	ManifestDigest string `json:"manifestDigest"`
	Store          string `json:"store"`
}

// saveImageRoot saves what restore needs to remake the overlay root of
// image-mode container c: its image and its upper layer.
func saveImageRoot(dir, store string, c *container.Container) error {
	st, err := image.Open(store)
	if err != nil {
		return fmt.Errorf("the container's image store: %w", err)
	}
	fsys, err := st.Rootfs(c.ID)
	if err != nil {
		return fmt.Errorf("the container's root filesystem in the store: %w", err)
	}
	b, _ := json.Marshal(imageRecord{ManifestDigest: c.Annotations[imagebundle.AnnotationImage], Store: store})
	if err := os.WriteFile(filepath.Join(dir, imageFile), b, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", imageFile, err)
	}
	return writeRootfsDiff(fsys.Upper, filepath.Join(dir, rootfsDiffFile))
}

// checkParent validates --parent-path: relative to the image directory,
// and a directory there, as runc requires.
func checkParent(image, parent string) error {
	if parent == "" {
		return nil
	}
	if filepath.IsAbs(parent) {
		return errors.New("--parent-path must be relative to --image-path")
	}
	st, err := os.Stat(filepath.Join(image, parent))
	if err == nil && !st.IsDir() {
		err = unix.ENOTDIR
	}
	if err != nil {
		return fmt.Errorf("invalid --parent-path %q: %w", parent, err)
	}
	return nil
}

func checkStatusFd(fd int) error {
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return fmt.Errorf("invalid --status-fd %d: %w", fd, err)
	}
	if flags&(unix.O_WRONLY|unix.O_RDWR) == 0 {
		return fmt.Errorf("invalid --status-fd %d: not open for writing", fd)
	}
	return nil
}

// externalNamespaces names the network and PID namespaces the container
// joined by path: CRIU leaves them out of the image, and a restore joins
// them again ("extRootNetNS", "extRootPidNS", runc's keys).
func externalNamespaces(spec *specs.Spec, version int) ([]string, error) {
	var ext []string
	for _, ns := range joinedNamespaces(spec) {
		if ns.min > version {
			return nil, fmt.Errorf("criu %d cannot keep the %s namespace %s external: it needs criu %d", version, ns.name, ns.path, ns.min)
		}
		var st unix.Stat_t
		if err := unix.Stat(ns.path, &st); err != nil {
			return nil, fmt.Errorf("%s namespace %s: %w", ns.name, ns.path, err)
		}
		ext = append(ext, fmt.Sprintf("%s[%d]:%s", ns.name, st.Ino, ns.key))
	}
	return ext, nil
}

type joinedNS struct {
	name, key, path string
	min             int // CRIU version
}

func joinedNamespaces(spec *specs.Spec) []joinedNS {
	if spec.Linux == nil {
		return nil
	}
	var out []joinedNS
	for _, ns := range spec.Linux.Namespaces {
		switch {
		case ns.Path == "":
		case ns.Type == specs.NetworkNamespace:
			out = append(out, joinedNS{"net", "extRootNetNS", ns.Path, 31100})
		case ns.Type == specs.PIDNamespace:
			out = append(out, joinedNS{"pid", "extRootPidNS", ns.Path, 31500})
		}
	}
	return out
}

// freezerPath is the cgroup CRIU freezes the container with; without one
// it stops each task with ptrace.
func freezerPath(cgroup string) string {
	if cgroup == "" {
		return ""
	}
	mode := cgroups.DetectMode()
	cg, err := cgroups.New(cgroup, mode)
	if err != nil {
		return ""
	}
	if p := cg.Path("freezer"); p != "" {
		return p
	}
	return cg.Path("")
}

func writeDescriptors(image string, pid int) error {
	fds := make([]string, 3)
	for i := range fds {
		fds[i], _ = os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", pid, i))
	}
	b, _ := json.Marshal(fds)
	if err := os.WriteFile(filepath.Join(image, descriptorsFile), b, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", descriptorsFile, err)
	}
	return nil
}
