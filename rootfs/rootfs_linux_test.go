package rootfs

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// The tests here mount for real. Each scenario runs in a child copy of the
// test binary started in new mount and PID namespaces (TestHelperContainer),
// which turns its tree private before anything else; the parent checks that
// nothing leaked into its own namespace and removes the temp dir only after
// the child (and with it the namespace) is gone.

const (
	envScenario = "XRT_ROOTFS_SCENARIO"
	envDir      = "XRT_ROOTFS_DIR"
)

func TestContainer(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root")
	}
	if _, err := os.Stat("/bin/busybox"); err != nil {
		t.Skip("needs /bin/busybox (busybox-static)")
	}
	for _, sc := range []struct {
		name    string
		flags   uintptr
		wantErr string
	}{
		{name: "default"},
		{name: "nopivot"},
		{name: "no-mount-setattr"},
		{name: "userns-devices"},
		{name: "cgroupns"}, // init unshares the cgroup namespace only before exec
		{name: "tmpcopyup"},
		// The first masked path that exists: /proc/kcore (6.1), or /proc/keys.
		{name: "bad-devnull", wantErr: "mask /proc/k*: /dev/null is not the null device: refusing to mask with it"},
		{name: "mask-symlink", wantErr: "mask /evil/proc/keys: "},
		{name: "dev-bound"},
		{name: "dangling-dest"},
	} {
		t.Run(sc.name, func(t *testing.T) {
			before := hostMounts(t)
			dir := t.TempDir()
			buildRootfs(t, dir)
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperContainer$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), envScenario+"="+sc.name, envDir+"="+dir)
			cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: unix.CLONE_NEWNS | unix.CLONE_NEWPID | sc.flags}
			out, err := cmd.CombinedOutput()
			if err != nil || !bytes.Contains(out, []byte("--- PASS: TestHelperContainer")) {
				t.Errorf("container child: %v\n%s", err, out)
			}
			if testing.Verbose() {
				t.Logf("container child:\n%s", out)
			}
			if sc.wantErr != "" && !hasError(out, sc.wantErr) {
				t.Errorf("want error %q, got:\n%s", sc.wantErr, out)
			}
			after := hostMounts(t)
			if before != after {
				t.Errorf("host mount table changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
			if strings.Contains(after, dir) {
				t.Fatalf("mounts under %s left in the host namespace", dir)
			}
			for _, p := range []string{"/x", "/y"} {
				if _, err := os.Lstat(p); err == nil {
					t.Errorf("%s was created on the host", p)
				}
			}
		})
	}
}

// hostMounts is the mount table without the fields that change by
// themselves (mount ids).
func hostMounts(t *testing.T) string {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line)
		out.WriteString(strings.Join(f[3:], " ") + "\n")
	}
	return out.String()
}

// buildRootfs lays out dir/rootfs (busybox and a few traps) and the host
// side of the bind mounts.
func buildRootfs(t *testing.T, dir string) {
	root := filepath.Join(dir, "rootfs")
	for _, d := range []string{"bin", "proc", "sys", "dev", "etc/skel/sub", "tmp", "host/data"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Fatal(err)
	}
	must(t, os.WriteFile(filepath.Join(root, "bin/busybox"), bb, 0o755))
	must(t, os.Symlink("busybox", filepath.Join(root, "bin/sh")))
	must(t, os.Symlink("/", filepath.Join(root, "evil")))
	must(t, os.Symlink("../../../../../../../../tmp", filepath.Join(root, "evil2")))
	must(t, os.Symlink("/nowhere/at/all", filepath.Join(root, "dangle")))
	must(t, os.WriteFile(filepath.Join(root, "etc/skel/file"), []byte("skel\n"), 0o640))
	must(t, os.Symlink("file", filepath.Join(root, "etc/skel/link")))
	must(t, os.WriteFile(filepath.Join(root, "etc/skel/sub/deep"), []byte("deep\n"), 0o600))
	must(t, os.Chown(filepath.Join(root, "etc/skel/sub/deep"), 1234, 5678))
	must(t, os.MkdirAll(filepath.Join(dir, "data"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "data/hello"), []byte("hello\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "hostfile"), []byte("file\n"), 0o644))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }

// scenarioConfig is the config of a scenario: `runc spec`'s mounts, masked
// and readonly paths, plus the traps.
func scenarioConfig(name, dir string) *Config {
	spec := &specs.Spec{
		Root: &specs.Root{Path: "rootfs"},
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc"},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
			{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
			{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
			{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
			{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"nosuid", "noexec", "nodev", "relatime", "ro"}},
			// Symlinks out of the root: must land inside it.
			{Destination: "/evil/x", Type: "tmpfs", Source: "tmpfs"},
			{Destination: "/evil2/y", Type: "tmpfs", Source: "tmpfs"},
			{Destination: "/mnt/data", Type: "bind", Source: filepath.Join(dir, "data"), Options: []string{"rbind", "ro", "nosuid", "rprivate"}},
			{Destination: "/etc/hostfile", Type: "none", Source: filepath.Join(dir, "hostfile"), Options: []string{"bind"}},
		},
		Linux: &specs.Linux{
			Namespaces: []specs.LinuxNamespace{{Type: specs.MountNamespace}, {Type: specs.PIDNamespace}},
			Devices: []specs.LinuxDevice{
				{Path: "/dev/kmsg", Type: "c", Major: 1, Minor: 11, FileMode: ptr(os.FileMode(0o600)), UID: ptr(uint32(1000)), GID: ptr(uint32(1001))},
				{Path: "/dev/xrt/fifo", Type: "p", FileMode: ptr(os.FileMode(0o640))},
				{Path: "/dev/null", Type: "c", Major: 1, Minor: 3}, // a default repeated, as bundle defaults may do
			},
			MaskedPaths: []string{"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
				"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi", "/nonexistent"},
			ReadonlyPaths: []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"},
		},
	}
	c := &Config{Rootfs: filepath.Join(dir, "rootfs"), Spec: spec}
	switch name {
	case "default":
		spec.Root.Readonly = true
		spec.Mounts = append(spec.Mounts, specs.Mount{Destination: "/mnt/rro", Type: "none", Source: filepath.Join(dir, "data2"), Options: []string{"rbind", "rro"}})
	case "no-mount-setattr":
		spec.Root.Readonly = true
	case "nopivot":
		c.NoPivot = true
		spec.Linux.RootfsPropagation = "shared"
	case "userns-devices":
		spec.Linux.Namespaces = append(spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
	case "cgroupns":
		spec.Linux.Namespaces = append(spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.CgroupNamespace})
		spec.Linux.RootfsPropagation = "rprivate"
	case "tmpcopyup":
		spec.Mounts = append(spec.Mounts, specs.Mount{Destination: "/etc", Type: "tmpfs", Source: "tmpfs", Options: []string{"tmpcopyup", "mode=755"}})
	case "mask-symlink":
		spec.Linux.MaskedPaths = []string{"/evil/proc/keys"}
	case "dev-bound":
		spec.Mounts[1] = specs.Mount{Destination: "/dev", Type: "bind", Source: "/dev", Options: []string{"rbind", "nosuid"}}
		spec.Mounts = append(spec.Mounts[:2], spec.Mounts[5:]...) // the host's pts, shm, mqueue come with it
	case "dangling-dest":
		spec.Mounts = append(spec.Mounts, specs.Mount{Destination: "/dangle/x", Type: "tmpfs", Source: "tmpfs"})
	}
	return c
}

// TestHelperContainer is the container side; it only runs when started by
// TestContainer.
func TestHelperContainer(t *testing.T) {
	name, dir := os.Getenv(envScenario), os.Getenv(envDir)
	if name == "" {
		t.Skip("helper for TestContainer")
	}
	runtime.LockOSThread()
	// Before anything else: nothing may propagate to the parent's namespace.
	must(t, unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""))
	unix.Umask(0o022) // devices must not depend on it

	c := scenarioConfig(name, dir)
	switch name {
	case "default":
		// A host directory with a mount under it, for rbind,rro.
		must(t, os.MkdirAll(filepath.Join(dir, "data2/sub"), 0o755))
		must(t, unix.Mount("tmpfs", filepath.Join(dir, "data2/sub"), "tmpfs", 0, ""))
	case "no-mount-setattr":
		noMountSetattr.Store(true) // as on Linux < 5.12
	}
	start := time.Now()
	err := Prepare(c)
	prepared := time.Now()
	if err == nil && name == "bad-devnull" {
		// What a createContainer hook, or a shared /dev, could do.
		null := filepath.Join(c.Rootfs, "dev/null")
		must(t, os.Remove(null))
		must(t, os.Symlink("/dev/zero", null))
	}
	pivoted := prepared
	if err == nil {
		err = Pivot(c)
		pivoted = time.Now()
	}
	if err == nil {
		err = Finalize(c)
		t.Logf("prepare %v, pivot %v, finalize %v", prepared.Sub(start), pivoted.Sub(prepared), time.Since(pivoted))
	}
	switch name {
	case "dangling-dest":
		// What the dangling link names is made inside the root, as runc
		// does: /dangle -> /nowhere/at/all, so /dangle/x is /nowhere/at/all/x.
		if err != nil {
			t.Fatal(err)
		}
		if mi := readMountinfo(t); !strings.Contains(mi.text, " /nowhere/at/all/x ") {
			t.Fatalf("no mount at /nowhere/at/all/x:\n%s", mi.text)
		}
		return
	case "bad-devnull", "mask-symlink":
		if err == nil {
			t.Fatal("no error")
		}
		t.Logf("expected error: %v", err)
		return
	}
	if err != nil {
		t.Fatal(err)
	}

	mi := readMountinfo(t)
	t.Logf("mountinfo:\n%s", mi.text) // shown when this fails
	for l := range strings.Lines(mi.text) {
		if f := strings.Fields(l); len(f) < 5 || !strings.HasPrefix(f[4], "/") || strings.HasPrefix(f[4], dir) {
			t.Errorf("host mount visible in the container: %s", l)
		}
	}
	wantMounts := map[string]string{
		"/proc": "proc", "/dev/pts": "devpts", "/dev/shm": "tmpfs", "/dev/mqueue": "mqueue",
		"/sys": "sysfs", "/sys/fs/cgroup": hostCgroupFS(), "/x": "tmpfs", "/tmp/y": "tmpfs",
		"/proc/sys": "proc", "/proc/keys": "tmpfs", "/sys/firmware": "tmpfs",
	}
	if name == "dev-bound" || name == "userns-devices" { // /dev/null is the host's
		wantMounts["/proc/keys"] = "devtmpfs"
	}
	if name == "dev-bound" {
		wantMounts["/dev"] = "devtmpfs"
		delete(wantMounts, "/dev/mqueue")
	} else {
		wantMounts["/dev"] = "tmpfs"
	}
	for point, fs := range wantMounts {
		if got := mi.fstype(point); got != fs {
			t.Errorf("mount at %s: fstype %q, want %q", point, got, fs)
		}
	}
	for point, opt := range map[string]string{"/sys": "ro", "/sys/fs/cgroup": "ro", "/mnt/data": "ro", "/proc/sys": "ro", "/sys/firmware": "ro", "/dev": "nosuid"} {
		if !mi.hasOpt(point, opt) {
			t.Errorf("mount at %s lacks %s: %s", point, opt, mi.line(point))
		}
	}
	if !mi.hasOpt("/mnt/data", "nosuid") {
		t.Errorf("/mnt/data lacks nosuid: %s", mi.line("/mnt/data"))
	}
	wantRO := name == "default" || name == "no-mount-setattr"
	if mi.hasOpt("/", "ro") != wantRO {
		t.Errorf("/ read-only is %v, want %v: %s", mi.hasOpt("/", "ro"), wantRO, mi.line("/"))
	}
	if name == "nopivot" && !strings.Contains(mi.line("/"), " shared:") {
		t.Errorf("/ is not shared: %s", mi.line("/"))
	}

	checkDev(t, "/dev/null", unix.S_IFCHR|0o666, 1, 3, 0, 0)
	checkDev(t, "/dev/tty", unix.S_IFCHR|0o666, 5, 0, 0, 0)
	switch name {
	case "userns-devices":
		if mi.fstype("/dev/null") != "devtmpfs" {
			t.Errorf("/dev/null is not a bind of the host's: %s", mi.line("/dev/null"))
		}
		checkDev(t, "/dev/kmsg", unix.S_IFCHR|0o644, 1, 11, 0, 0) // the host's node as it is
	case "dev-bound":
	default:
		checkDev(t, "/dev/kmsg", unix.S_IFCHR|0o600, 1, 11, 1000, 1001)
		checkDev(t, "/dev/xrt/fifo", unix.S_IFIFO|0o640, 0, 0, 0, 0)
		for link, target := range map[string]string{"/dev/fd": "/proc/self/fd", "/dev/ptmx": "pts/ptmx", "/dev/stderr": "/proc/self/fd/2"} {
			if got, err := os.Readlink(link); err != nil || got != target {
				t.Errorf("readlink %s = %q, %v; want %q", link, got, err, target)
			}
		}
	}

	// Masked and read-only paths.
	if b, err := os.ReadFile("/proc/keys"); err != nil || len(b) != 0 {
		t.Errorf("masked /proc/keys: %d bytes, %v", len(b), err)
	}
	if ents, err := os.ReadDir("/sys/firmware"); err != nil || len(ents) != 0 {
		t.Errorf("masked /sys/firmware: %v, %v", ents, err)
	}
	if _, err := os.OpenFile("/proc/sys/kernel/hostname", os.O_WRONLY, 0); !errors.Is(err, unix.EROFS) {
		t.Errorf("write /proc/sys/kernel/hostname: %v, want EROFS", err)
	}
	if _, err := os.OpenFile("/sys/fs/cgroup/pids/pids.max", os.O_WRONLY, 0); !errors.Is(err, unix.EROFS) && !errors.Is(err, os.ErrNotExist) {
		t.Errorf("write /sys/fs/cgroup/pids/pids.max: %v, want EROFS", err)
	}
	if wantRO {
		if err := os.WriteFile("/newfile", nil, 0o644); !errors.Is(err, unix.EROFS) {
			t.Errorf("write to read-only /: %v", err)
		}
	}
	if name == "default" {
		if err := os.WriteFile("/mnt/rro/sub/new", nil, 0o644); !errors.Is(err, unix.EROFS) {
			t.Errorf("write under rbind,rro: %v", err)
		}
	}
	if err := os.WriteFile("/tmp/y/ok", []byte("x"), 0o644); err != nil {
		t.Errorf("write to /tmp/y: %v", err)
	}

	// Binds.
	if b, err := os.ReadFile("/mnt/data/hello"); err != nil || string(b) != "hello\n" {
		t.Errorf("/mnt/data/hello: %q, %v", b, err)
	}
	if err := os.WriteFile("/mnt/data/new", nil, 0o644); !errors.Is(err, unix.EROFS) {
		t.Errorf("write to read-only bind: %v", err)
	}
	if b, err := os.ReadFile("/etc/hostfile"); err != nil || string(b) != "file\n" {
		t.Errorf("/etc/hostfile: %q, %v", b, err)
	}

	// cgroups (this host is v1 or hybrid; pure v2 shows cgroup.procs at the top).
	var st unix.Statfs_t
	if err := unix.Statfs("/sys/fs/cgroup/memory", &st); err == nil {
		if _, err := os.Stat("/sys/fs/cgroup/memory/memory.limit_in_bytes"); err != nil {
			t.Errorf("cgroup v1 memory: %v", err)
		}
		if mi.fstype("/sys/fs/cgroup/memory") != "cgroup" || !mi.hasOpt("/sys/fs/cgroup/memory", "ro") {
			t.Errorf("cgroup memory mount: %s", mi.line("/sys/fs/cgroup/memory"))
		}
	} else if _, err := os.Stat("/sys/fs/cgroup/cgroup.procs"); err != nil {
		t.Errorf("no cgroups under /sys/fs/cgroup: %v", err)
	}

	if name == "tmpcopyup" {
		if mi.fstype("/etc") != "tmpfs" {
			t.Errorf("/etc: %s", mi.line("/etc"))
		}
		if b, err := os.ReadFile("/etc/skel/link"); err != nil || string(b) != "skel\n" {
			t.Errorf("copied /etc/skel/link: %q, %v", b, err)
		}
		var s unix.Stat_t
		if err := unix.Stat("/etc/skel/sub/deep", &s); err != nil || s.Mode&0o7777 != 0o600 || s.Uid != 1234 || s.Gid != 5678 {
			t.Errorf("copied /etc/skel/sub/deep: %+v, %v", s, err)
		}
	}

	// The image's own programs run and see the same.
	out, err := exec.Command("/bin/busybox", "sh", "-c", "cat /proc/keys | wc -c; ls /dev/pts/ptmx").CombinedOutput()
	if err != nil || !strings.HasPrefix(strings.TrimSpace(string(out)), "0\n/dev/pts/ptmx") {
		t.Errorf("busybox: %q, %v", out, err)
	}
}

func checkDev(t *testing.T, path string, mode uint32, major, minor uint32, uid, gid uint32) {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		t.Errorf("%s: %v", path, err)
		return
	}
	if st.Mode != mode || unix.Major(st.Rdev) != major || unix.Minor(st.Rdev) != minor || st.Uid != uid || st.Gid != gid {
		t.Errorf("%s: mode %o %d:%d owner %d:%d, want mode %o %d:%d owner %d:%d",
			path, st.Mode, unix.Major(st.Rdev), unix.Minor(st.Rdev), st.Uid, st.Gid, mode, major, minor, uid, gid)
	}
}

type mountTable struct{ text string }

func readMountinfo(t *testing.T) mountTable {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return mountTable{string(b)}
}

// line is the topmost (last) mount at point.
func (mi mountTable) line(point string) string {
	var last string
	for l := range strings.Lines(mi.text) {
		if f := strings.Fields(l); len(f) > 4 && f[4] == point {
			last = strings.TrimSpace(l)
		}
	}
	return last
}

func (mi mountTable) fstype(point string) string {
	_, right, ok := strings.Cut(mi.line(point), " - ")
	if !ok {
		return ""
	}
	return strings.Fields(right)[0]
}

func (mi mountTable) hasOpt(point, opt string) bool {
	f := strings.Fields(mi.line(point))
	return len(f) > 5 && strings.Contains(","+f[5]+",", ","+opt+",")
}

// hostCgroupFS is what the host has at /sys/fs/cgroup, and so what a
// container's cgroup mount is: cgroup2 on a pure v2 host, else a tmpfs of
// hierarchies.
func hostCgroupFS() string {
	var st unix.Statfs_t
	if unix.Statfs("/sys/fs/cgroup", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		return "cgroup2"
	}
	return "tmpfs"
}

// hasError reports whether the child's output has "expected error: " and
// then want, where a "*" in want stands for any run of non-space bytes.
func hasError(out []byte, want string) bool {
	re := strings.ReplaceAll(regexp.QuoteMeta("expected error: "+want), `\*`, `\S*`)
	return regexp.MustCompile(re).Match(out)
}
