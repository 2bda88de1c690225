package cgroups

import (
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"xrt/mountinfo"
)

const sampleMountinfo = `23 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
33 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset,clone_children
34 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
35 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
36 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate
37 1 0:32 /docker /mnt/memory rw,relatime - cgroup cgroup rw,memory
38 1 0:40 / /mnt/net rw,relatime - cgroup cgroup rw,net_cls,net_prio
`

func TestParseMounts(t *testing.T) {
	infos, err := mountinfo.GetMountsFromReader(strings.NewReader(sampleMountinfo), nil)
	if err != nil {
		t.Fatal(err)
	}
	m := parseMounts(infos)
	want := map[string]string{
		"cpu": "/sys/fs/cgroup/cpu,cpuacct", "cpuacct": "/sys/fs/cgroup/cpu,cpuacct",
		"cpuset": "/sys/fs/cgroup/cpuset", "memory": "/sys/fs/cgroup/memory",
		"net_cls": "/mnt/net", "net_prio": "/mnt/net",
	}
	if len(m.subsys) != len(want) {
		t.Errorf("subsys %v", m.subsys)
	}
	for k, v := range want {
		if m.subsys[k] != v {
			t.Errorf("subsys[%s] = %q, want %q", k, m.subsys[k], v)
		}
	}
	// The second memory mount (not under /sys/fs/cgroup) is not managed;
	// the named systemd hierarchy is, last.
	if !slices.Equal(m.hierarchies, []string{"/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/cpuset", "/sys/fs/cgroup/memory", "/mnt/net", "/sys/fs/cgroup/systemd"}) {
		t.Errorf("hierarchies %q", m.hierarchies)
	}
	if m.unified != "/sys/fs/cgroup/unified" {
		t.Errorf("unified %q", m.unified)
	}

	v := newV1(m, m.unified, "/xrt/a")
	if v.Path("cpuacct") != "/sys/fs/cgroup/cpu,cpuacct/xrt/a" || v.Path("cpu") != v.Path("cpuacct") ||
		v.Path("pids") != "" || v.Path("") != "/sys/fs/cgroup/unified/xrt/a" {
		t.Errorf("paths: %q %q %q", v.Path("cpuacct"), v.Path("pids"), v.Path(""))
	}
	if !v.hier[1].cpuset || v.hier[0].cpuset {
		t.Errorf("cpuset flags %+v", v.hier)
	}
}

func TestDetectMode(t *testing.T) {
	var st unix.Statfs_t
	want := Legacy
	if unix.Statfs("/sys/fs/cgroup", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		want = Unified
	} else if unix.Statfs("/sys/fs/cgroup/unified", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		want = Hybrid
	}
	got := DetectMode()
	if got != want {
		t.Errorf("DetectMode() = %v, want %v", got, want)
	}
	if again := DetectMode(); again != got {
		t.Error("not stable")
	}
	t.Logf("this host: %v", want)
}

func TestNewErrors(t *testing.T) {
	for _, p := range []string{"", "rel", "/", "/a/../b", "/a/", "/a//b"} {
		if _, err := New(p, Unified); err == nil {
			t.Errorf("New(%q) accepted", p)
		}
	}
	if _, err := New("/a", Mode(0)); err == nil {
		t.Error("mode 0 accepted")
	}
	m, err := New("/xrt/x", Unified)
	if err != nil || m.Path("memory") != "/sys/fs/cgroup/xrt/x" || m.Path("") != "/sys/fs/cgroup/xrt/x" {
		t.Errorf("v2 New: %v %v", m, err)
	}
}
