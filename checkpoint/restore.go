package checkpoint

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/checkpoint-restore/go-criu/v8/rpc"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"xrt/bundle"
	"xrt/cgroups"
	"xrt/console"
	"xrt/container"
	"xrt/hooks"
	"xrt/imagebundle"
	"xrt/rootfs"
)

// RestoreRequest is what `xrt restore` asks for.
type RestoreRequest struct {
	Options
	Root string // xrt's --root
	ID   string
	// Bundle is the container's bundle; nil in image mode, where Restore
	// makes it from ImageRef as `xrt create --image` does.
	Bundle *bundle.Bundle
	// ImageRef, Store and BundleDir are image mode's (restore --image):
	// the image the checkpointed container ran, the layer store, and the
	// directory whose config.json, if any, is the base spec.
	ImageRef, Store, BundleDir string
	PidFile                    string
	// ConsoleSocket receives the restored pty master (process.terminal);
	// without one, Foreground callers get it back from Restore.
	ConsoleSocket string
	Foreground    bool
}

// Restore brings a checkpointed container back as container r.ID, made
// from r.Bundle like a create, its processes restored by CRIU from
// r.ImagePath. It returns the container, locked, and the pty master when
// the caller keeps the terminal. Nothing is left behind on failure.
func Restore(r *RestoreRequest) (_ *container.Container, master *os.File, err error) {
	image, err := r.imagePath()
	if err != nil {
		return nil, nil, err
	}
	if err := checkImage(image); err != nil {
		return nil, nil, err
	}
	mode, err := cgMode(r.ManageCgroupsMode)
	if err != nil {
		return nil, nil, err
	}
	emptyNs, err := r.emptyNs()
	if err != nil {
		return nil, nil, err
	}
	if err := container.ValidateID(r.ID); err != nil {
		return nil, nil, err
	}
	if container.Exists(r.Root, r.ID) {
		return nil, nil, container.AlreadyExists(r.ID)
	}
	makeRoot, err := imageMode(r, image)
	if err != nil {
		return nil, nil, err
	}
	spec := r.Bundle.Spec
	var consoleConn *os.File
	if spec.Process != nil && spec.Process.Terminal {
		if r.ConsoleSocket != "" {
			if consoleConn, err = console.Dial(r.ConsoleSocket); err != nil {
				return nil, nil, err
			}
			defer consoleConn.Close()
		} else if !r.Foreground {
			return nil, nil, errors.New("process.terminal is true but no --console-socket was given: pass one, or restore in the foreground")
		}
	}
	version, err := checkVersion()
	if err != nil {
		return nil, nil, fmt.Errorf("restore container %q: %w", r.ID, err)
	}
	if (r.LsmProfile != "" || r.LsmMountContext != "") && version < 31600 {
		return nil, nil, errors.New("--lsm-profile and --lsm-mount-context need criu 3.16 or later")
	}
	if container.Exists(r.Root, r.ID) {
		return nil, nil, container.AlreadyExists(r.ID)
	}
	rs := &restorer{req: r, image: image, mode: mode, emptyNs: emptyNs, console: consoleConn, makeRoot: makeRoot}
	c, err := container.CreateRestored(&container.RestoreOpts{
		Root:    r.Root,
		ID:      r.ID,
		Bundle:  r.Bundle,
		PidFile: r.PidFile,
		Restore: rs.run,
	})
	if err != nil {
		if rs.master != nil {
			rs.master.Close()
		}
		return nil, nil, err
	}
	return c, rs.master, nil
}

// CheckBundleMode fails, saying what to do, when o's checkpoint is of an
// image-mode container: a restore without --image reads a bundle, whose
// absence would hide the real mistake.
func CheckBundleMode(o *Options) error {
	image, err := o.imagePath()
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(image, imageFile)); err == nil {
		return fmt.Errorf("the checkpoint in %s is of an image-mode container: restore it with --image and the image it ran (%s)", image, imageFile)
	}
	return nil
}

// imageMode checks that the checkpoint in image and the request agree on
// image mode, and for an image-mode restore makes r.Bundle from the image
// and returns what makes the container's root: the image's layers under
// the upper layer the checkpoint saved.
func imageMode(r *RestoreRequest, image string) (func() error, error) {
	b, err := os.ReadFile(filepath.Join(image, imageFile))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", imageFile, err)
	}
	saved := err == nil
	if r.ImageRef == "" {
		if saved {
			return nil, fmt.Errorf("the checkpoint in %s is of an image-mode container: restore it with --image and the image it ran (%s)", image, imageFile)
		}
		if r.Bundle == nil {
			return nil, errors.New("restore: no bundle")
		}
		return nil, nil
	}
	if !saved {
		return nil, fmt.Errorf("--image: the checkpoint in %s is not of an image-mode container (no %s): restore it with --bundle", image, imageFile)
	}
	var rec imageRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("%s in %s is corrupt: %w", imageFile, image, err)
	}
	diff := filepath.Join(image, rootfsDiffFile)
	if _, err := os.Stat(diff); err != nil {
		return nil, fmt.Errorf("the checkpoint in %s lacks the container's root filesystem changes: %w", image, err)
	}
	bdl, makeRoot, err := imagebundle.Prepare(&imagebundle.Options{
		Store:  r.Store,
		Ref:    r.ImageRef,
		ID:     r.ID,
		Bundle: r.BundleDir,
		Owner:  container.StateDir(r.Root, r.ID),
		FillUpper: func(upper string) error {
			return applyRootfsDiff(upper, diff)
		},
	})
	if err != nil {
		return nil, err
	}
	if got := bdl.Spec.Annotations[imagebundle.AnnotationImage]; rec.ManifestDigest != "" && got != rec.ManifestDigest {
		return nil, fmt.Errorf("--image %s is image %s, but the checkpoint in %s ran image %s: give that image", r.ImageRef, got, image, rec.ManifestDigest)
	}
	r.Bundle = bdl
	return makeRoot, nil
}

// checkImage fails clearly when image holds no checkpoint.
func checkImage(image string) error {
	st, err := os.Stat(image)
	if err != nil {
		return fmt.Errorf("checkpoint image directory %s: %w (give the directory `xrt checkpoint` wrote with --image-path)", image, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("checkpoint image directory %s is not a directory", image)
	}
	if _, err := os.Stat(filepath.Join(image, "inventory.img")); err != nil {
		return fmt.Errorf("%s holds no checkpoint (no inventory.img): give the directory `xrt checkpoint` wrote with --image-path", image)
	}
	return nil
}

// restorer is one restore in progress.
type restorer struct {
	req     *RestoreRequest
	image   string
	mode    rpc.CriuCgMode
	emptyNs uint32
	console *os.File // connection to --console-socket
	master  *os.File // pty master kept for a foreground restore
	pid     int
	// makeRoot mounts an image-mode container's overlay at its root
	// path, on the host, for CRIU to restore into (nil otherwise).
	makeRoot func() error
}

// run restores the processes into cg; the container exists, its cgroup too.
func (rs *restorer) run(c *container.Container, cg cgroups.Manager) (int, error) {
	r := rs.req
	spec := r.Bundle.Spec
	if rs.makeRoot != nil {
		// The overlay stays mounted in the container's mount namespace
		// only, as after a create; the store's layers go with the
		// container (its annotations name the store).
		if err := rs.makeRoot(); err != nil {
			return 0, fmt.Errorf("make the image root: %w", err)
		}
		defer rootfs.Unmount(r.Bundle.Rootfs)
	}
	// Mount points first, then the root CRIU restores into: it must be a
	// mount point whose parent is not overmounted, so rootfs is bound on
	// a directory of the state directory (removed with it).
	if err := prepareMountpoints(spec, r.Bundle.Rootfs); err != nil {
		return 0, err
	}
	root := filepath.Join(c.Dir(), "criu-root")
	if err := os.Mkdir(root, 0o755); err != nil {
		return 0, fmt.Errorf("make the restore root: %w", err)
	}
	defer os.Remove(root)
	if err := unix.Mount(r.Bundle.Rootfs, root, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return 0, fmt.Errorf("bind the rootfs on %s: %w", root, err)
	}
	defer unix.Unmount(root, unix.MNT_DETACH)

	opts := &rpc.CriuOpts{
		EvasiveDevices:    ptr(true),
		RstSibling:        ptr(true),
		Root:              ptr(root),
		ManageCgroups:     ptr(true),
		ManageCgroupsMode: &rs.mode,
		NotifyScripts:     ptr(true),
		ShellJob:          ptr(r.ShellJob),
		ExtUnixSk:         ptr(r.ExtUnixSk),
		TcpEstablished:    ptr(r.TCPEstablished),
		FileLocks:         ptr(r.FileLocks),
		EmptyNs:           ptr(rs.emptyNs),
		OrphanPtsMaster:   ptr(true),
		AutoDedup:         ptr(r.AutoDedup),
		LazyPages:         ptr(r.LazyPages),
		ExtMnt:            restoreMounts(spec, r.Bundle.Rootfs),
	}
	if r.LsmProfile != "" {
		opts.LsmProfile = ptr(r.LsmProfile)
	}
	if r.LsmMountContext != "" {
		opts.LsmMountContext = ptr(r.LsmMountContext)
	}
	configFile(opts, spec.Annotations)
	d, err := r.openDirs(opts, rs.image, false, "restore.log")
	if err != nil {
		return 0, err
	}
	defer d.close()
	extra, err := joinNamespaces(opts, spec)
	defer closeAll(extra)
	if err != nil {
		return 0, err
	}
	if err := inheritStdio(opts, rs.image); err != nil {
		return 0, err
	}
	t := rpc.CriuReqType_RESTORE
	so := &swrkOpts{
		stdio: [3]*os.File{os.Stdin, os.Stdout, os.Stderr},
		extra: extra,
		started: func(pid int) error {
			return cgroupRoots(opts, cg, pid)
		},
	}
	resp, err := call(&rpc.CriuReq{Type: &t, Opts: opts}, so, func(script string, pid int32, fds []*os.File) error {
		return rs.notify(c, script, int(pid), fds)
	})
	if err != nil {
		return rs.pid, withLog(err, d.log)
	}
	if rs.pid <= 0 {
		rs.pid = int(resp.GetRestore().GetPid())
	}
	return rs.pid, nil
}

// notify answers CRIU's notifications during a restore.
func (rs *restorer) notify(c *container.Container, script string, pid int, fds []*os.File) error {
	spec := rs.req.Bundle.Spec
	switch script {
	case "setup-namespaces":
		closeAll(fds)
		if h := spec.Hooks; h != nil {
			st := c.HookState(container.Creating, pid)
			//lint:ignore SA1019 prestart is deprecated, still honoured
			if err := hooks.Run("prestart", h.Prestart, &st); err != nil {
				return err
			}
			return hooks.Run("createRuntime", h.CreateRuntime, &st)
		}
	case "post-restore":
		closeAll(fds)
		rs.pid = pid
	case "orphan-pts-master":
		if len(fds) != 1 {
			closeAll(fds)
			return fmt.Errorf("criu sent %d fds with the pty master, want 1", len(fds))
		}
		master := fds[0]
		if rs.console == nil {
			if rs.req.Foreground && rs.master == nil {
				rs.master = master
				return nil
			}
			master.Close()
			return nil
		}
		defer master.Close()
		return console.SendFdOn(rs.console, ptyName(master), master)
	default:
		closeAll(fds)
	}
	return nil
}

// ptyName is the container's name of the pty whose master is m.
func ptyName(m *os.File) string {
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		return "/dev/pts/ptmx"
	}
	return fmt.Sprintf("/dev/pts/%d", n)
}

// joinNamespaces tells CRIU which namespaces the config joins by path:
// the network and PID ones as the external namespaces of the dump (their
// fds passed as CRIU's 4, 5, ...), the others to be joined.
func joinNamespaces(opts *rpc.CriuOpts, spec *specs.Spec) ([]*os.File, error) {
	var files []*os.File
	for _, ns := range joinedNamespaces(spec) {
		f, err := os.Open(ns.path)
		if err != nil {
			return files, fmt.Errorf("the %s namespace of the config, %s: %w (it must exist to restore into it)", ns.name, ns.path, err)
		}
		opts.InheritFd = append(opts.InheritFd, &rpc.InheritFd{Key: ptr(ns.key), Fd: ptr(int32(4 + len(files)))})
		files = append(files, f)
	}
	if spec.Linux == nil {
		return files, nil
	}
	names := map[specs.LinuxNamespaceType]string{
		specs.MountNamespace: "mnt", specs.UTSNamespace: "uts", specs.IPCNamespace: "ipc",
		specs.UserNamespace: "user", specs.TimeNamespace: "time",
	}
	for _, ns := range spec.Linux.Namespaces {
		if ns.Path == "" || ns.Type == specs.NetworkNamespace || ns.Type == specs.PIDNamespace {
			continue
		}
		name, ok := names[ns.Type]
		if !ok {
			return files, fmt.Errorf("CRIU cannot restore into the existing %s namespace %s: remove its path from the config", ns.Type, ns.Path)
		}
		opts.JoinNs = append(opts.JoinNs, &rpc.JoinNamespace{Ns: ptr(name), NsFile: ptr(ns.Path)})
	}
	return files, nil
}

// inheritStdio hands xrt's own stdio to CRIU for the dumped init's stdio
// that were pipes (descriptors.json): a pipe cannot be reopened by name.
func inheritStdio(opts *rpc.CriuOpts, image string) error {
	b, err := os.ReadFile(filepath.Join(image, descriptorsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", descriptorsFile, err)
	}
	var fds []string
	if err := json.Unmarshal(b, &fds); err != nil {
		return fmt.Errorf("%s in %s is corrupt: %w", descriptorsFile, image, err)
	}
	for i, s := range fds {
		if i < 3 && strings.HasPrefix(s, "pipe:") {
			opts.InheritFd = append(opts.InheritFd, &rpc.InheritFd{Key: ptr(s), Fd: ptr(int32(i))})
		}
	}
	return nil
}

// cgroupRoots moves CRIU (pid) into the container's cgroup, so that the
// restored processes land there even with --manage-cgroups-mode ignore,
// and maps the dumped cgroup onto it for the other modes.
func cgroupRoots(opts *rpc.CriuOpts, cg cgroups.Manager, pid int) error {
	if cg == nil {
		return nil
	}
	if err := cg.Apply(pid); err != nil {
		return fmt.Errorf("move criu into the container's cgroup: %w", err)
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		parts := strings.SplitN(s.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		for _, ctrl := range strings.Split(parts[1], ",") {
			opts.CgRoot = append(opts.CgRoot, &rpc.CgroupRoot{Ctrl: ptr(ctrl), Path: ptr(parts[2])})
		}
	}
	return s.Err()
}
