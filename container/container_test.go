package container

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// noSuchPid is above the kernel's largest pid_max (4194304): never a process.
const noSuchPid = 1<<22 + 1

func TestValidateID(t *testing.T) {
	for _, tc := range []struct {
		name, id string
		ok       bool
		errHas   string
	}{
		{"empty", "", false, "must not be empty"},
		{"dot", ".", false, `must not be "." or ".."`},
		{"dotdot", "..", false, `must not be "." or ".."`},
		{"slash", "a/b", false, "character '/' not allowed"},
		{"leading slash", "/abc", false, "character '/' not allowed"},
		{"NUL", "a\x00b", false, "not allowed"},
		{"space", "a b", false, "not allowed"},
		{"tab", "a\tb", false, "not allowed"},
		{"newline", "a\n", false, "not allowed"},
		{"DEL", "a\x7f", false, "not allowed"},
		{"non-ASCII", "café", false, "not allowed"},
		{"punctuation runc refuses", "a:b@c~e", false, "character ':' not allowed"},
		{"256 bytes", strings.Repeat("a", 256), false, "longer than 255 bytes"},
		{"255 bytes", strings.Repeat("a", 255), true, ""},
		{"good", "abc-1_2.3", true, ""},
		{"single char", "a", true, ""},
		{"dots inside", "a..b", true, ""},
		{"three dots", "...", true, ""},
		{"plus", "a+b", true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateID(tc.id)
			if tc.ok {
				if err != nil {
					t.Fatalf("ValidateID(%q) = %v, want nil", tc.id, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("ValidateID(%q) = nil, want an error", tc.id)
			}
			if !strings.Contains(err.Error(), tc.errHas) {
				t.Errorf("ValidateID(%q) = %q, want it to contain %q", tc.id, err, tc.errHas)
			}
		})
	}
}

func TestProcStatSelf(t *testing.T) {
	start, state, err := procStat(os.Getpid())
	if err != nil {
		t.Fatalf("procStat(self): %v", err)
	}
	if start == 0 {
		t.Errorf("start time = 0, want > 0")
	}
	if state != 'R' && state != 'S' {
		t.Errorf("state = %q, want 'R' or 'S'", state)
	}
	// The start time of a process never changes.
	start2, _, err := procStat(os.Getpid())
	if err != nil || start2 != start {
		t.Errorf("second procStat(self) = %d, %v; want %d, nil", start2, err, start)
	}
}

func TestProcStatNoSuchPid(t *testing.T) {
	if _, _, err := procStat(noSuchPid); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("procStat(%d) error = %v, want os.ErrNotExist", noSuchPid, err)
	}
}

func sortedParts(s, sep string) []string {
	if s == "" {
		return nil
	}
	p := strings.Split(strings.TrimSuffix(s, sep), sep)
	sort.Strings(p)
	return p
}

func TestNamespaceList(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec *specs.Spec
		want string
	}{
		{"no linux", &specs.Spec{}, ""},
		{"no namespaces", &specs.Spec{Linux: &specs.Linux{}}, ""},
		{
			"new and joined",
			&specs.Spec{Linux: &specs.Linux{Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace},
				{Type: specs.MountNamespace},
				{Type: specs.NetworkNamespace, Path: "/var/run/netns/x"},
				{Type: specs.IPCNamespace},
				{Type: specs.UTSNamespace},
				{Type: specs.UserNamespace, Path: "/proc/42/ns/user"},
				{Type: specs.TimeNamespace},
			}}},
			"pid,mount,network=/var/run/netns/x,ipc,uts,user=/proc/42/ns/user,time",
		},
		{
			// init unshares a new cgroup namespace itself, once in its cgroup.
			"new cgroup namespace left out",
			&specs.Spec{Linux: &specs.Linux{Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace},
				{Type: specs.CgroupNamespace},
				{Type: specs.MountNamespace},
			}}},
			"pid,mount",
		},
		{
			"joined cgroup namespace kept",
			&specs.Spec{Linux: &specs.Linux{Namespaces: []specs.LinuxNamespace{
				{Type: specs.CgroupNamespace, Path: "/proc/7/ns/cgroup"},
			}}},
			"cgroup=/proc/7/ns/cgroup",
		},
		{
			"only a new cgroup namespace",
			&specs.Spec{Linux: &specs.Linux{Namespaces: []specs.LinuxNamespace{
				{Type: specs.CgroupNamespace},
			}}},
			"",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := namespaceList(tc.spec); got != tc.want {
				t.Errorf("namespaceList = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestTimeOffsets(t *testing.T) {
	if got := timeOffsets(&specs.Spec{}); got != "" {
		t.Errorf("no linux: %q, want empty", got)
	}
	if got := timeOffsets(&specs.Spec{Linux: &specs.Linux{}}); got != "" {
		t.Errorf("no offsets: %q, want empty", got)
	}
	s := &specs.Spec{Linux: &specs.Linux{
		Namespaces: []specs.LinuxNamespace{{Type: specs.TimeNamespace}},
		TimeOffsets: map[string]specs.LinuxTimeOffset{
			"monotonic": {Secs: 3600, Nanosecs: 5},
			"boottime":  {Secs: -7, Nanosecs: 0},
		},
	}}
	got := timeOffsets(s)
	if !strings.HasSuffix(got, "\n") {
		t.Errorf("timeOffsets = %q: want every line to end in a newline", got)
	}
	// Map order is random: compare the lines as a set.
	want := []string{"boottime -7 0", "monotonic 3600 5"}
	if lines := sortedParts(got, "\n"); !reflect.DeepEqual(lines, want) {
		t.Errorf("timeOffsets lines = %q, want %q", lines, want)
	}
}

func TestJoinList(t *testing.T) {
	c := &Container{State: State{Pid: 1234}}
	if got := c.joinList(&specs.Spec{}); got != "" {
		t.Errorf("no linux: %q, want empty", got)
	}
	all := []struct {
		typ  specs.LinuxNamespaceType
		proc string
	}{
		{specs.PIDNamespace, "pid"},
		{specs.NetworkNamespace, "net"},
		{specs.MountNamespace, "mnt"},
		{specs.IPCNamespace, "ipc"},
		{specs.UTSNamespace, "uts"},
		{specs.UserNamespace, "user"},
		{specs.CgroupNamespace, "cgroup"},
		{specs.TimeNamespace, "time"},
	}
	for _, ns := range all {
		t.Run(string(ns.typ), func(t *testing.T) {
			// A path in the spec does not matter: exec joins init's namespaces.
			for _, path := range []string{"", "/some/where"} {
				s := &specs.Spec{Linux: &specs.Linux{Namespaces: []specs.LinuxNamespace{{Type: ns.typ, Path: path}}}}
				want := string(ns.typ) + "=/proc/1234/ns/" + ns.proc
				if got := c.joinList(s); got != want {
					t.Errorf("joinList(%s, path %q) = %q, want %q", ns.typ, path, got, want)
				}
			}
		})
	}
	var nss []specs.LinuxNamespace
	var want []string
	for _, ns := range all {
		nss = append(nss, specs.LinuxNamespace{Type: ns.typ})
		want = append(want, string(ns.typ)+"=/proc/1234/ns/"+ns.proc)
	}
	nss = append(nss, specs.LinuxNamespace{Type: "bogus"})
	got := c.joinList(&specs.Spec{Linux: &specs.Linux{Namespaces: nss}})
	if w := strings.Join(want, ","); got != w {
		t.Errorf("joinList(all) = %q, want %q (spec order, unknown types skipped)", got, w)
	}
}

func TestLoadMissing(t *testing.T) {
	root := t.TempDir()
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T)
	}{
		{"no directory", func(t *testing.T) {}},
		{"directory without state.json", func(t *testing.T) {
			if err := os.Mkdir(filepath.Join(root, "x"), 0o700); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.setup(t)
			c, err := Load(root, "x")
			if c != nil || err == nil {
				t.Fatalf("Load = %v, %v; want nil and an error", c, err)
			}
			if !errors.Is(err, ErrNotExist) {
				t.Errorf("errors.Is(%v, ErrNotExist) = false", err)
			}
			const want = `container "x" does not exist`
			if err.Error() != want {
				t.Errorf("error = %q, want %q", err, want)
			}
		})
	}
	// A root that does not exist at all is the same.
	if _, err := Load(filepath.Join(root, "nowhere"), "y"); !errors.Is(err, ErrNotExist) {
		t.Errorf("Load under a missing root: %v, want ErrNotExist", err)
	}
	// Locked says the same.
	if _, err := Locked(root, "z"); !errors.Is(err, ErrNotExist) || err.Error() != `container "z" does not exist` {
		t.Errorf("Locked of a missing container: %v", err)
	}
}

func TestLoadInvalidID(t *testing.T) {
	root := t.TempDir()
	for _, id := range []string{"", "..", "../x", "a b"} {
		_, err := Load(root, id)
		if err == nil || errors.Is(err, ErrNotExist) {
			t.Errorf("Load(%q) = %v, want an invalid id error", id, err)
		}
	}
}

func TestLoadCorrupt(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "bad")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, stateFile), []byte(`{"id": "bad", `), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(root, "bad")
	if err == nil {
		t.Fatal("Load of corrupt state.json succeeded")
	}
	if errors.Is(err, ErrNotExist) {
		t.Errorf("corrupt state reported as not existing: %v", err)
	}
	for _, want := range []string{`state of "bad" is corrupt`, "xrt delete -f bad"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "rt-1")
	if err := os.Mkdir(dir, 0o711); err != nil {
		t.Fatal(err)
	}
	timeout := 5
	c := &Container{dir: dir, State: State{
		ID:          "rt-1",
		OCIVersion:  specs.Version,
		Pid:         4321,
		PidStart:    987654321,
		Bundle:      "/bundles/rt",
		Rootfs:      "/bundles/rt/rootfs",
		Created:     time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC),
		Owner:       "root",
		Annotations: map[string]string{"a": "1", "b": "two"},
		Cgroup:      "/xrt/rt-1",
		Poststart:   []specs.Hook{{Path: "/bin/true", Args: []string{"true", "x"}, Env: []string{"A=b"}, Timeout: &timeout}},
		Poststop:    []specs.Hook{{Path: "/bin/false"}},
	}}
	if err := c.save(); err != nil {
		t.Fatalf("save: %v", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != stateFile {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("state dir holds %q, want only %s (no temp file left)", names, stateFile)
	}
	fi, err := os.Stat(filepath.Join(dir, stateFile))
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("state.json mode = %o, want 600", perm)
	}

	got, err := Load(root, "rt-1")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got.Dir() != dir {
		t.Errorf("Dir() = %q, want %q", got.Dir(), dir)
	}
	if !reflect.DeepEqual(got.State, c.State) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got.State, c.State)
	}

	// A second save replaces the first.
	c.Pid = 99
	if err := c.save(); err != nil {
		t.Fatal(err)
	}
	if got, err := Load(root, "rt-1"); err != nil || got.Pid != 99 {
		t.Errorf("after a second save: pid %v, %v; want 99", got, err)
	}

	// List finds it, and skips what is not a container.
	if err := os.Mkdir(filepath.Join(root, "not-a-container"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "file"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	list, err := List(root)
	if err != nil || len(list) != 1 || list[0].ID != "rt-1" {
		t.Errorf("List = %v, %v; want just rt-1", list, err)
	}
}

func TestSpecRoundTrip(t *testing.T) {
	dir := t.TempDir()
	c := &Container{dir: dir, State: State{ID: "s"}}
	if _, err := c.Spec(); err == nil || !strings.Contains(err.Error(), `read the config of "s"`) {
		t.Errorf("Spec without config.json: %v", err)
	}
	want := &specs.Spec{Version: specs.Version, Hostname: "h", Process: &specs.Process{Args: []string{"sh"}, Cwd: "/"}}
	if err := c.writeJSON(configFile, want); err != nil {
		t.Fatal(err)
	}
	got, err := c.Spec()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Spec = %+v, want %+v", got, want)
	}
	if err := os.WriteFile(filepath.Join(dir, configFile), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Spec(); err == nil || !strings.Contains(err.Error(), `config of "s" is corrupt`) {
		t.Errorf("Spec with corrupt config.json: %v", err)
	}
}

func selfStart(t *testing.T) uint64 {
	t.Helper()
	start, _, err := procStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	return start
}

func TestStatus(t *testing.T) {
	start := selfStart(t)
	for _, tc := range []struct {
		name     string
		pid      int
		pidStart uint64
		fifo     bool
		want     string
	}{
		{"no pid", 0, 0, true, Stopped},
		{"negative pid", -1, 0, true, Stopped},
		{"pid not alive", noSuchPid, start, true, Stopped},
		{"pid reused (wrong start time)", os.Getpid(), start + 1, true, Stopped},
		{"pid reused, no fifo", os.Getpid(), start + 1, false, Stopped},
		{"created", os.Getpid(), start, true, Created},
		// No cgroup recorded: nothing can be frozen.
		{"running", os.Getpid(), start, false, Running},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.fifo {
				// Status only looks for the name: a plain file will do.
				if err := os.WriteFile(filepath.Join(dir, fifoName), nil, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			c := &Container{dir: dir, State: State{ID: "st", Pid: tc.pid, PidStart: tc.pidStart}}
			if got := c.Status(); got != tc.want {
				t.Errorf("Status = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestStatusZombie(t *testing.T) {
	// A child that exited but is not reaped yet is a zombie: stopped.
	p, err := os.StartProcess("/bin/true", []string{"true"}, &os.ProcAttr{})
	if err != nil {
		t.Skipf("cannot start /bin/true: %v", err)
	}
	defer p.Wait()
	var start uint64
	deadline := time.Now().Add(5 * time.Second)
	for {
		s, state, err := procStat(p.Pid)
		if err != nil {
			t.Fatalf("procStat(child): %v", err)
		}
		if state == 'Z' {
			start = s
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("child %d never became a zombie (state %q)", p.Pid, state)
		}
		time.Sleep(5 * time.Millisecond)
	}
	c := &Container{dir: t.TempDir(), State: State{Pid: p.Pid, PidStart: start}}
	if got := c.Status(); got != Stopped {
		t.Errorf("Status of a zombie = %q, want %q", got, Stopped)
	}
}

func TestWritePidFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "pid")
	// An old file is replaced, not appended to or partly overwritten.
	if err := os.WriteFile(path, []byte("123456789\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writePidFile(path, 4242); err != nil {
		t.Fatalf("writePidFile: %v", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "4242" {
		t.Errorf("pid file = %q, want %q", b, "4242")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("dir holds %q, want only the pid file (no temp file left)", names)
	}

	// A relative path is relative to the working directory.
	t.Chdir(dir)
	if err := writePidFile("rel.pid", 7); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "rel.pid")); err != nil || string(b) != "7" {
		t.Errorf("relative pid file = %q, %v; want \"7\"", b, err)
	}

	// A directory that does not exist is an error that names the pid file
	// the engine asked for (not the temporary name beside it).
	missing := filepath.Join(dir, "no", "such", "pid")
	if err := writePidFile(missing, 1); err == nil {
		t.Error("writePidFile into a missing directory succeeded")
	} else if !strings.Contains(err.Error(), "pid file "+missing+":") {
		t.Errorf("writePidFile into a missing directory: %v; want the error to name %s", err, missing)
	}
}

func TestMergeResources(t *testing.T) {
	i64 := func(v int64) *int64 { return &v }
	oldMem := &specs.LinuxMemory{Limit: i64(100), Swap: i64(200)}
	oldCPU := &specs.LinuxCPU{Cpus: "0-1"}
	oldPids := &specs.LinuxPids{Limit: i64(10)}
	old := &specs.LinuxResources{
		Memory:  oldMem,
		CPU:     oldCPU,
		Pids:    oldPids,
		Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}},
		Unified: map[string]string{"io.weight": "100"},
	}

	t.Run("old nil", func(t *testing.T) {
		upd := &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(5)}}
		if got := mergeResources(nil, upd); got != upd {
			t.Errorf("mergeResources(nil, upd) = %+v, want upd itself", got)
		}
	})
	t.Run("empty update", func(t *testing.T) {
		got := mergeResources(old, &specs.LinuxResources{})
		if !reflect.DeepEqual(got, old) {
			t.Errorf("got %+v, want %+v", got, old)
		}
		if got == old {
			t.Error("mergeResources returned old itself, want a copy")
		}
	})
	t.Run("sections replaced, others kept", func(t *testing.T) {
		newMem := &specs.LinuxMemory{Limit: i64(300)}
		newPids := &specs.LinuxPids{Limit: i64(20)}
		newBlk := &specs.LinuxBlockIO{}
		newHuge := []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 1}}
		newNet := &specs.LinuxNetwork{}
		newRdma := map[string]specs.LinuxRdma{"mlx": {}}
		newUnified := map[string]string{"memory.high": "1"}
		newDevices := []specs.LinuxDeviceCgroup{{Allow: true, Access: "r"}}
		upd := &specs.LinuxResources{
			Memory: newMem, Pids: newPids, BlockIO: newBlk, HugepageLimits: newHuge,
			Network: newNet, Rdma: newRdma, Unified: newUnified, Devices: newDevices,
		}
		got := mergeResources(old, upd)
		want := &specs.LinuxResources{
			Memory: newMem, CPU: oldCPU, Pids: newPids, BlockIO: newBlk, HugepageLimits: newHuge,
			Network: newNet, Rdma: newRdma, Unified: newUnified, Devices: newDevices,
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v, want %+v", got, want)
		}
		// A section is replaced whole: the old swap is not carried over.
		if got.Memory.Swap != nil {
			t.Errorf("memory.swap = %d, want nil (sections are replaced whole)", *got.Memory.Swap)
		}
		// old is not modified.
		if old.Memory != oldMem || old.Pids != oldPids || *oldMem.Limit != 100 || old.BlockIO != nil {
			t.Errorf("old was modified: %+v", old)
		}
	})
	t.Run("cpu only", func(t *testing.T) {
		newCPU := &specs.LinuxCPU{Cpus: "2"}
		got := mergeResources(old, &specs.LinuxResources{CPU: newCPU})
		if got.CPU != newCPU || got.Memory != oldMem || got.Pids != oldPids {
			t.Errorf("got %+v", got)
		}
	})
}

func TestReport(t *testing.T) {
	start := selfStart(t)
	created := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	base := State{
		ID: "rep", OCIVersion: "1.2.0", Bundle: "/b", Rootfs: "/b/rootfs",
		Created: created, Owner: "root",
	}

	t.Run("stopped has pid 0", func(t *testing.T) {
		st := base
		st.Pid, st.PidStart = noSuchPid, 1
		c := &Container{dir: t.TempDir(), State: st}
		r := c.Report()
		want := Report{OCIVersion: "1.2.0", ID: "rep", Pid: 0, Status: Stopped, Bundle: "/b",
			Rootfs: "/b/rootfs", Created: created, Owner: "root"}
		if !reflect.DeepEqual(r, want) {
			t.Errorf("Report = %+v, want %+v", r, want)
		}
	})

	t.Run("created keeps its pid", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, fifoName), nil, 0o600); err != nil {
			t.Fatal(err)
		}
		st := base
		st.Pid, st.PidStart = os.Getpid(), start
		st.Annotations = map[string]string{"k": "v"}
		c := &Container{dir: dir, State: st}
		r := c.Report()
		if r.Pid != os.Getpid() || r.Status != Created || !reflect.DeepEqual(r.Annotations, st.Annotations) {
			t.Errorf("Report = %+v", r)
		}
	})

	t.Run("json key order", func(t *testing.T) {
		keysOf := func(t *testing.T, b []byte) []string {
			t.Helper()
			dec := json.NewDecoder(strings.NewReader(string(b)))
			if _, err := dec.Token(); err != nil { // {
				t.Fatal(err)
			}
			var keys []string
			for dec.More() {
				tok, err := dec.Token()
				if err != nil {
					t.Fatal(err)
				}
				keys = append(keys, tok.(string))
				var skip json.RawMessage
				if err := dec.Decode(&skip); err != nil {
					t.Fatal(err)
				}
			}
			return keys
		}
		r := Report{OCIVersion: "1.2.0", ID: "rep", Pid: 1, Status: Running, Bundle: "/b",
			Rootfs: "/b/rootfs", Created: created, Owner: "root", Annotations: map[string]string{"k": "v"}}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"ociVersion", "id", "pid", "status", "bundle", "rootfs", "created", "annotations", "owner"}
		if got := keysOf(t, b); !reflect.DeepEqual(got, want) {
			t.Errorf("keys = %q, want %q", got, want)
		}
		for _, ann := range []map[string]string{nil, {}} {
			r.Annotations = ann
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			want := []string{"ociVersion", "id", "pid", "status", "bundle", "rootfs", "created", "owner"}
			if got := keysOf(t, b); !reflect.DeepEqual(got, want) {
				t.Errorf("annotations %v: keys = %q, want %q", ann, got, want)
			}
		}
		// created is RFC 3339, as runc prints it.
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if m["created"] != "2024-01-02T03:04:05Z" || m["pid"] != float64(1) {
			t.Errorf("created = %v, pid = %v", m["created"], m["pid"])
		}
	})
}

func TestOCIState(t *testing.T) {
	c := &Container{State: State{ID: "o", Pid: 12, Bundle: "/b", Annotations: map[string]string{"a": "b"}}}
	st := c.ociState(Creating)
	want := specs.State{Version: specs.Version, ID: "o", Status: "creating", Pid: 12, Bundle: "/b",
		Annotations: map[string]string{"a": "b"}}
	if !reflect.DeepEqual(st, want) {
		t.Errorf("ociState = %+v, want %+v", st, want)
	}
}

func TestNotExistError(t *testing.T) {
	err := error(notExistError("abc"))
	if !errors.Is(err, ErrNotExist) {
		t.Error("notExistError is not ErrNotExist")
	}
	if errors.Is(err, os.ErrNotExist) {
		t.Error("notExistError is os.ErrNotExist too")
	}
	if got := err.Error(); got != `container "abc" does not exist` {
		t.Errorf("message = %q", got)
	}
	// Wrapped once, it is still found, and "does not exist" is said once.
	wrapped := errors.Join(err)
	if !errors.Is(wrapped, ErrNotExist) || strings.Count(wrapped.Error(), "does not exist") != 1 {
		t.Errorf("wrapped: %v", wrapped)
	}
}
