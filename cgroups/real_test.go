package cgroups

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Tests on the host's real cgroups, as root. Everything lives under
// /xrt-test-<pid> in each hierarchy, and is removed even when a test fails;
// the only processes signalled are the ones the tests start.

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	if testing.Short() {
		t.Skip("-short")
	}
}

// testParent returns "/xrt-test-<pid>/<name>" and removes /xrt-test-<pid>
// from every hierarchy when the test ends, then checks that nothing is left.
func testParent(t *testing.T, name string) string {
	t.Helper()
	top := fmt.Sprintf("/xrt-test-%d", os.Getpid())
	dirs := allMountpoints(t)
	t.Cleanup(func() {
		for _, mp := range dirs {
			if err := removeCgroup(mp+top, time.Now().Add(2*time.Second)); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		}
		for _, mp := range dirs {
			if exists(mp + top) {
				t.Errorf("cleanup: %s is left", mp+top)
			}
		}
	})
	return top + "/" + name
}

// allMountpoints lists the mount points of the hierarchies the package
// manages: the v1 controller hierarchies and the cgroup2 tree.
func allMountpoints(t *testing.T) []string {
	t.Helper()
	if DetectMode() == Unified {
		return []string{unifiedMountpoint}
	}
	m, err := hostMounts()
	if err != nil {
		t.Fatal(err)
	}
	out := slices.Clone(m.hierarchies)
	if m.unified != "" {
		out = append(out, m.unified)
	}
	return out
}

// gated starts `sh -c script` blocked on a read of stdin, so that it can be
// put in a cgroup before it does anything. release lets it go.
// Its output goes to files, not pipes: background children that outlive
// it would otherwise hold Wait until they exit.
type gated struct {
	cmd            *exec.Cmd
	stdin          io.WriteCloser
	stdout, stderr *os.File
	done           chan error
}

func startGated(t *testing.T, script string) *gated {
	t.Helper()
	g := &gated{cmd: exec.Command("sh", "-c", "read _ignored; "+script), done: make(chan error, 1)}
	var err error
	dir := t.TempDir()
	if g.stdout, err = os.Create(dir + "/stdout"); err != nil {
		t.Fatal(err)
	}
	if g.stderr, err = os.Create(dir + "/stderr"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.stdout.Close(); g.stderr.Close() })
	g.cmd.Stdout, g.cmd.Stderr = g.stdout, g.stderr
	if g.stdin, err = g.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { g.done <- g.cmd.Wait() }()
	t.Cleanup(func() {
		g.cmd.Process.Kill()
		select {
		case <-g.done:
		case <-time.After(5 * time.Second):
			t.Errorf("pid %d did not exit", g.cmd.Process.Pid)
		}
	})
	return g
}

func (g *gated) pid() int { return g.cmd.Process.Pid }

func (g *gated) output(t *testing.T, f *os.File) string {
	t.Helper()
	b, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func (g *gated) release(t *testing.T) {
	t.Helper()
	if _, err := g.stdin.Write([]byte("\n")); err != nil {
		t.Fatal(err)
	}
	g.stdin.Close()
}

// wait is a guard against a hang, not a measure: under TCG on a loaded
// machine (the v2 guest) a shell running two commands has taken over 5 s,
// so the limit is never less than 30 s.
func (g *gated) wait(t *testing.T, d time.Duration) error {
	t.Helper()
	d = max(d, 30*time.Second)
	select {
	case err := <-g.done:
		g.done <- err // for the cleanup
		return err
	case <-time.After(d):
		t.Fatalf("pid %d still running after %v", g.pid(), d)
		return nil
	}
}

func newReal(t *testing.T, path string) Manager {
	t.Helper()
	m, err := New(path, DetectMode())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		m.Kill()
		if err := m.Destroy(); err != nil {
			t.Errorf("Destroy: %v", err)
		}
	})
	return m
}

// controllerFile is where a setting lives on this host.
func controllerFile(m Manager, v1Subsys, v1File, v2File string) string {
	if DetectMode() == Unified {
		return m.Path("") + "/" + v2File
	}
	return m.Path(v1Subsys) + "/" + v1File
}

func readBack(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func TestRealLifecycle(t *testing.T) {
	needRoot(t)
	path := testParent(t, "c1")
	m := newReal(t, path)
	if m.Exists() {
		t.Fatal("exists before Apply")
	}
	g := startGated(t, "exec sleep 100")
	start := time.Now()
	if err := m.Apply(g.pid()); err != nil {
		t.Fatal(err)
	}
	if err := m.Set(&Resources{Memory: &Memory{Limit: ptr(int64(64 << 20))}, Pids: &Pids{Limit: ptr(int64(10))}}); err != nil {
		t.Fatal(err)
	}
	t.Logf("Apply+Set (memory, pids) in %v", time.Since(start))
	g.release(t)
	if !m.Exists() {
		t.Fatal("Exists false after Apply")
	}

	if got := readBack(t, controllerFile(m, "memory", "memory.limit_in_bytes", "memory.max")); got != "67108864" {
		t.Errorf("memory limit reads %q", got)
	}
	if got := readBack(t, controllerFile(m, "pids", "pids.max", "pids.max")); got != "10" {
		t.Errorf("pids.max reads %q", got)
	}
	// The process is in the cgroup in every hierarchy.
	self, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", g.pid()))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(self)) {
		_, rest, _ := strings.Cut(strings.TrimSpace(line), ":")
		ctrls, p, _ := strings.Cut(rest, ":")
		if strings.HasPrefix(ctrls, "name=") || strings.Contains(ctrls, "perf_event") || strings.Contains(ctrls, "net_") {
			continue
		}
		if m.Path(strings.Split(ctrls, ",")[0]) == "" && ctrls != "" {
			continue // a hierarchy this package does not know
		}
		if p != path {
			t.Errorf("/proc/%d/cgroup: %q is not in %s", g.pid(), line, path)
		}
	}

	// Wait until sleep has replaced sh, so the pid list is stable.
	deadline := time.Now().Add(5 * time.Second)
	for {
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", g.pid()))
		if strings.TrimSpace(string(comm)) == "sleep" || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	pids, err := m.Pids()
	if err != nil || !slices.Equal(pids, []int{g.pid()}) {
		t.Errorf("Pids = %v, %v; want [%d]", pids, err, g.pid())
	}

	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	if s, err := m.State(); err != nil || s != Frozen {
		t.Errorf("State after Freeze = %q, %v", s, err)
	}
	if err := m.Thaw(); err != nil {
		t.Fatal(err)
	}
	if s, err := m.State(); err != nil || s != Thawed {
		t.Errorf("State after Thaw = %q, %v", s, err)
	}

	st, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Pids.Current != 1 || st.Pids.Limit != 10 {
		t.Errorf("pids stats %+v", st.Pids)
	}
	if st.Memory.Usage.Limit != 64<<20 || st.Memory.Usage.Usage == 0 {
		t.Errorf("memory stats %+v", st.Memory.Usage)
	}
	if st.CPU.Usage.Total == 0 {
		t.Errorf("cpu stats %+v", st.CPU.Usage)
	}
	if n, err := m.OOMKillCount(); err != nil || n != 0 {
		t.Errorf("OOMKillCount = %d, %v", n, err)
	}

	if err := m.Kill(); err != nil {
		t.Fatal(err)
	}
	err = g.wait(t, 5*time.Second)
	if ws, ok := g.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("after Kill: %v", err)
	}
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	if m.Exists() {
		t.Error("Exists after Destroy")
	}
	for _, mp := range allMountpoints(t) {
		if exists(mp + path) {
			t.Errorf("%s is left after Destroy", mp+path)
		}
	}
	// Destroying twice is fine.
	if err := m.Destroy(); err != nil {
		t.Error(err)
	}
}

func TestRealPidsLimit(t *testing.T) {
	needRoot(t)
	m := newReal(t, testParent(t, "pids"))
	g := startGated(t, "for i in 1 2 3 4 5; do sleep 30 & done; wait")
	if err := m.Apply(g.pid()); err != nil {
		t.Fatal(err)
	}
	if err := m.Set(&Resources{Pids: &Pids{Limit: ptr(int64(3))}}); err != nil {
		t.Fatal(err)
	}
	g.release(t)
	// The shell gives up at the first fork that fails; its sleeps stay.
	g.wait(t, 10*time.Second)
	if !strings.Contains(strings.ToLower(g.output(t, g.stderr)), "fork") {
		t.Errorf("no fork failure reported; stderr %q", g.output(t, g.stderr))
	}
	pids, err := m.Pids()
	if err != nil {
		t.Fatal(err)
	}
	if len(pids) == 0 || len(pids) > 2 {
		t.Errorf("%d processes left in the cgroup (%v), want 1..2 sleeps", len(pids), pids)
	}
	if ev, err := readFile(m.Path("pids"), "pids.events"); err == nil && parseKV(ev)["max"] == 0 {
		t.Errorf("pids.events reports no refused fork: %q", ev)
	}
	if err := m.Kill(); err != nil {
		t.Fatal(err)
	}
	// The sleeps are not our children: wait for the cgroup to empty.
	deadline := time.Now().Add(5 * time.Second)
	for {
		pids, _ := m.Pids()
		if len(pids) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still in the cgroup after Kill: %v", pids)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// devicesScript reads /dev/zero (denied below) and /dev/null (allowed).
const devicesScript = `head -c1 /dev/zero >/dev/null 2>&1; echo zero=$?; head -c1 /dev/null; echo null=$?`

var devicesRules = []DeviceRule{
	rule(false, "a", -1, -1, "rwm"),
	rule(true, "c", 1, 3, "rwm"), // /dev/null
	rule(true, "c", 1, 5, "rwm"), // /dev/zero, taken back by the next rule
	rule(false, "c", 1, 5, "r"),
}

func TestRealDevices(t *testing.T) {
	needRoot(t)
	m := newReal(t, testParent(t, "devices"))
	g := startGated(t, devicesScript)
	if err := m.Apply(g.pid()); err != nil {
		t.Fatal(err)
	}
	if err := m.Set(&Resources{Devices: devicesRules}); err != nil {
		t.Fatal(err)
	}
	if DetectMode() != Unified {
		if got := readBack(t, m.Path("devices")+"/devices.list"); got != "c 1:3 rwm\nc 1:5 wm" {
			t.Errorf("devices.list = %q", got)
		}
	}
	g.release(t)
	if err := g.wait(t, 5*time.Second); err != nil {
		t.Fatal(err, g.output(t, g.stderr))
	}
	if got := g.output(t, g.stdout); got != "zero=1\nnull=0\n" {
		t.Errorf("output %q, want zero=1 null=0", got)
	}
}

// TestRealV2Tree runs the v2 manager on the host's cgroup2 tree: on a
// hybrid host that tree has no controllers, but freezing, cgroup.kill,
// the process list and the eBPF device filter work there as on v2.
func TestRealV2Tree(t *testing.T) {
	needRoot(t)
	mode := DetectMode()
	if mode == Legacy {
		t.Skip("no cgroup2 tree")
	}
	path := testParent(t, "v2")
	var v *v2Manager
	if mode == Unified {
		v = newV2(unifiedMountpoint, path, true)
	} else {
		mnt, err := hostMounts()
		if err != nil {
			t.Fatal(err)
		}
		v = newV2(mnt.unified, path, false)
	}
	t.Cleanup(func() {
		v.Kill()
		if err := v.Destroy(); err != nil {
			t.Error(err)
		}
	})

	g := startGated(t, devicesScript)
	if err := v.Apply(g.pid()); err != nil {
		t.Fatal(err)
	}
	// Set twice: the second program replaces the first.
	if err := v.Set(&Resources{Devices: []DeviceRule{rule(false, "a", -1, -1, "rwm")}}); err != nil {
		t.Fatal(err)
	}
	if err := v.Set(&Resources{Devices: devicesRules}); err != nil {
		t.Fatal(err)
	}
	if ids := attachedPrograms(t, v.dir); len(ids) != 1 {
		t.Errorf("%d device programs attached, want 1", len(ids))
	}
	g.release(t)
	if err := g.wait(t, 5*time.Second); err != nil {
		t.Fatal(err, g.output(t, g.stderr))
	}
	if got := g.output(t, g.stdout); got != "zero=1\nnull=0\n" {
		t.Errorf("output %q, want zero=1 null=0", got)
	}

	// Freeze, thaw, list and kill through the same cgroup.
	s := startGated(t, "exec sleep 100")
	if err := v.Apply(s.pid()); err != nil {
		t.Fatal(err)
	}
	s.release(t)
	if err := v.Freeze(); err != nil {
		t.Fatal(err)
	}
	if st, err := v.State(); err != nil || st != Frozen {
		t.Errorf("State = %q, %v", st, err)
	}
	if err := v.Thaw(); err != nil {
		t.Fatal(err)
	}
	if st, _ := v.State(); st != Thawed {
		t.Errorf("State = %q", st)
	}
	if pids, err := v.Pids(); err != nil || !slices.Equal(pids, []int{s.pid()}) {
		t.Errorf("Pids = %v, %v", pids, err)
	}
	if err := v.Kill(); err != nil {
		t.Fatal(err)
	}
	s.wait(t, 5*time.Second)
	if ws := s.cmd.ProcessState.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("after Kill: %v", s.cmd.ProcessState)
	}
}

func attachedPrograms(t *testing.T, dir string) []uint32 {
	t.Helper()
	fd, err := syscall.Open(dir, syscall.O_DIRECTORY|syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	ids, err := attachedDevicePrograms(fd)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestRealApplyFailureCleanup: a failed Set (bad unified key for this
// host) leaves nothing once the caller destroys.
func TestRealApplyFailureCleanup(t *testing.T) {
	needRoot(t)
	path := testParent(t, "fail")
	m, err := New(path, DetectMode())
	if err != nil {
		t.Fatal(err)
	}
	// A pid that does not exist: the first join fails, after the first
	// directory was made.
	err = m.Apply(1 << 30)
	wantErr(t, err, "join pid 1073741824: set cgroup.procs to 1073741824: write ")
	t.Log(err)
	if !m.Exists() {
		t.Fatal("Apply left no directory: the test proves nothing")
	}
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	if m.Exists() {
		t.Fatal("left behind after a failed Apply")
	}
	if err := m.Apply(-1); err != nil {
		t.Fatal(err)
	}
	err = m.Set(&Resources{Unified: map[string]string{"nonesuch.max": "1"}})
	if err == nil {
		t.Fatal("bad unified key accepted")
	}
	t.Log(err)
	err = m.Set(&Resources{CPU: &CPU{Cpus: "100-101"}})
	wantErr(t, err, `cpus "100-101" are not in this host's online CPUs`)
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	for _, mp := range allMountpoints(t) {
		if exists(mp + path) {
			t.Errorf("%s left behind", mp+path)
		}
	}
}

// TestRealErrorNamesFile: the kernel's refusal comes back naming the file,
// the value and the path.
func TestRealErrorNamesFile(t *testing.T) {
	needRoot(t)
	if DetectMode() == Unified {
		t.Skip("v1 only")
	}
	m := newReal(t, testParent(t, "err"))
	if err := m.Apply(-1); err != nil {
		t.Fatal(err)
	}
	// cpu.cfs_quota_us below the kernel's 1ms floor, bypassing Validate.
	err := writeFile(m.Path("cpu"), "cpu.cfs_quota_us", "10")
	want := "set cpu.cfs_quota_us to 10: write " + m.Path("cpu") + "/cpu.cfs_quota_us: invalid argument"
	if err == nil || err.Error() != want {
		t.Errorf("error %v\nwant  %s", err, want)
	}
}

// TestRealUpdate applies successive partial updates, as `xrt update` does,
// and reads the kernel's values back.
func TestRealUpdate(t *testing.T) {
	needRoot(t)
	m := newReal(t, testParent(t, "update"))
	// The shell holds 1 MB, charged to the cgroup it runs in.
	g := startGated(t, `x=$(head -c 1000000 /dev/zero | tr '\0' a); echo ready; sleep 100`)
	if err := m.Apply(g.pid()); err != nil {
		t.Fatal(err)
	}
	g.release(t)
	v2 := DetectMode() == Unified
	check := func(subsys, v1File, v2File, want string) {
		t.Helper()
		if got := readBack(t, controllerFile(m, subsys, v1File, v2File)); got != want {
			t.Errorf("%s/%s = %q, want %q", subsys, v1File, got, want)
		}
	}
	set := func(r *Resources) {
		t.Helper()
		if err := m.Set(r); err != nil {
			t.Fatal(err)
		}
	}

	// Memory with swap, then raised above the old memory+swap (memsw must
	// move first on v1), then lifted.
	set(&Resources{Memory: &Memory{Limit: ptr(int64(64 << 20)), Swap: ptr(int64(128 << 20))}})
	set(&Resources{Memory: &Memory{Limit: ptr(int64(256 << 20)), Swap: ptr(int64(512 << 20))}})
	check("memory", "memory.limit_in_bytes", "memory.max", "268435456")
	if v2 {
		check("memory", "", "memory.swap.max", "268435456")
	} else {
		check("memory", "memory.memsw.limit_in_bytes", "", "536870912")
	}
	set(&Resources{Memory: &Memory{Limit: ptr(int64(-1))}})
	if !v2 {
		check("memory", "memory.limit_in_bytes", "", "9223372036854771712")
		check("memory", "memory.memsw.limit_in_bytes", "", "9223372036854771712")
	}
	// checkBeforeUpdate: the shell's megabyte does not fit in one page.
	for deadline := time.Now().Add(5 * time.Second); g.output(t, g.stdout) != "ready\n"; {
		if time.Now().After(deadline) {
			t.Fatal("the shell did not get ready")
		}
		time.Sleep(5 * time.Millisecond)
	}
	wantErr(t, m.Set(&Resources{Memory: &Memory{Limit: ptr(int64(4096)), CheckBeforeUpdate: ptr(true)}}), "rejecting memory limit 4096 below the current usage")

	set(&Resources{CPU: &CPU{Shares: ptr(uint64(512)), Quota: ptr(int64(50000)), Period: ptr(uint64(100000)), Cpus: "0", Mems: "0"}})
	if v2 {
		check("cpu", "", "cpu.weight", "59")
		check("cpu", "", "cpu.max", "50000 100000")
	} else {
		check("cpu", "cpu.shares", "", "512")
		check("cpu", "cpu.cfs_quota_us", "", "50000")
		check("cpu", "cpu.cfs_period_us", "", "100000")
	}
	check("cpuset", "cpuset.cpus", "cpuset.cpus", "0")
	// A shorter period with the same ratio, then the quota alone.
	set(&Resources{CPU: &CPU{Quota: ptr(int64(10000)), Period: ptr(uint64(20000))}})
	set(&Resources{CPU: &CPU{Quota: ptr(int64(-1))}})
	if !v2 {
		check("cpu", "cpu.cfs_quota_us", "", "-1")
		check("cpu", "cpu.cfs_period_us", "", "20000")
	}

	// Block I/O throttling on the first virtio or SCSI disk, if any.
	if dev, err := os.ReadFile("/sys/block/vda/dev"); err == nil {
		maj, mnr, _ := parseDev(strings.TrimSpace(string(dev)))
		set(&Resources{BlockIO: &BlockIO{ThrottleReadBpsDevice: []ThrottleDevice{{Major: int64(maj), Minor: int64(mnr), Rate: 1 << 20}}}})
		want := fmt.Sprintf("%d:%d 1048576", maj, mnr)
		if v2 {
			want = fmt.Sprintf("%d:%d rbps=1048576 wbps=max riops=max wiops=max", maj, mnr)
		}
		check("blkio", "blkio.throttle.read_bps_device", "io.max", want)
	}

	// Device rules replaced by others.
	set(&Resources{Devices: devicesRules})
	set(&Resources{Devices: []DeviceRule{rule(true, "a", -1, -1, "rwm"), rule(false, "b", -1, -1, "w")}})
	if !v2 {
		check("devices", "devices.list", "", "a *:* rwm")
	}
	if err := m.Kill(); err != nil {
		t.Fatal(err)
	}
	g.wait(t, 5*time.Second)
}

// A cgroup with cgroups below it (a container that made its own) is
// removed whole: cgroupfs refuses the rmdir of the parent with EBUSY, the
// same error as for processes still exiting, so removeCgroup must look for
// children on EBUSY and not only wait.
func TestRealRemoveNested(t *testing.T) {
	needRoot(t)
	p := testParent(t, "nested")
	for _, mp := range allMountpoints(t) {
		for _, d := range []string{p + "/a/b", p + "/c"} {
			if err := os.MkdirAll(mp+d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		// The buggy shape waits out its deadline on EBUSY, then fails.
		if err := removeCgroup(mp+p, time.Now().Add(5*time.Second)); err != nil {
			t.Fatalf("removeCgroup %s: %v", mp+p, err)
		}
		if exists(mp + p) {
			t.Fatalf("%s is left", mp+p)
		}
	}
}

// ApplyFirst makes only what a process born in the cgroup needs (the
// cgroup2 part); rest makes the v1 hierarchies. JoinOf gives each tasks
// file's hierarchy mount point, below which it lies.
func TestRealApplyFirst(t *testing.T) {
	needRoot(t)
	path := testParent(t, "first")
	m := newReal(t, path)
	rest, err := ApplyFirst(m)
	if err != nil {
		t.Fatal(err)
	}
	v, ok := m.(*v1Manager)
	if !ok {
		if rest != nil || !m.Exists() {
			t.Fatalf("not v1: rest %v, exists %v; want all made at once", rest != nil, m.Exists())
		}
		return
	}
	if rest == nil {
		t.Fatal("v1: no rest")
	}
	for _, h := range v.hier {
		if exists(h.dir) {
			t.Errorf("%s made before rest", h.dir)
		}
	}
	if v.unified != nil && !exists(v.unified.dir) {
		t.Errorf("%s not made first", v.unified.dir)
	}
	if err := rest(); err != nil {
		t.Fatal(err)
	}
	j := JoinOf(m)
	if len(j.Roots) != len(j.Tasks) || len(j.Tasks) != len(v.hier) {
		t.Fatalf("JoinOf: %d roots for %d tasks files, %d hierarchies", len(j.Roots), len(j.Tasks), len(v.hier))
	}
	for i, task := range j.Tasks {
		if !strings.HasPrefix(task, j.Roots[i]+"/") || !exists(task) {
			t.Errorf("tasks file %s: not below %s, or missing", task, j.Roots[i])
		}
	}
}
