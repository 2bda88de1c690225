package cgroups

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseSubSpecs(t *testing.T) {
	for _, tc := range []struct {
		in     []string
		all    string
		byCtrl map[string]string
		err    string
	}{
		{nil, "", map[string]string{}, ""},
		{[]string{"sub"}, "/sub", map[string]string{}, ""},
		{[]string{"a/b/"}, "/a/b", map[string]string{}, ""},
		{[]string{"memory,pids:m", "cpu:c"}, "", map[string]string{"memory": "/m", "pids": "/m", "cpu": "/c"}, ""},
		{[]string{"x", "memory:m"}, "/x", map[string]string{"memory": "/m"}, ""},
		{[]string{"x", "y"}, "", nil, "already given"},
		{[]string{"../up"}, "", nil, "bad sub cgroup path"},
		{[]string{"a/../../up"}, "", nil, "bad sub cgroup path"},
		{[]string{"/"}, "/", map[string]string{}, ""},
		{[]string{""}, "", nil, "want [CONTROLLER"},
		{[]string{"memory,:m"}, "", nil, "empty controller"},
	} {
		all, byCtrl, err := parseSubSpecs(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseSubSpecs(%q): err %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || all != tc.all || !reflect.DeepEqual(byCtrl, tc.byCtrl) {
			t.Errorf("parseSubSpecs(%q) = %q, %v, %v; want %q, %v", tc.in, all, byCtrl, err, tc.all, tc.byCtrl)
		}
	}
}

func TestSubJoinV2(t *testing.T) {
	mnt := t.TempDir()
	if err := os.MkdirAll(filepath.Join(mnt, "xrt/c1/sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	m := newV2(mnt, "/xrt/c1", true)
	j, err := SubJoin(m, []string{"sub"})
	if err != nil || j.Dir != mnt+"/xrt/c1/sub" || len(j.Tasks) != 0 {
		t.Fatalf("SubJoin = %+v, %v", j, err)
	}
	if _, err := SubJoin(m, []string{"nosuch"}); err == nil || !strings.Contains(err.Error(), "must exist") {
		t.Errorf("missing sub-cgroup: err %v", err)
	}
	if _, err := SubJoin(m, []string{"memory:sub"}); err == nil || !strings.Contains(err.Error(), "one tree") {
		t.Errorf("controller on v2: err %v", err)
	}
}

func TestSubJoinV1(t *testing.T) {
	mnt := t.TempDir()
	for _, d := range []string{"memory/c1/m", "cpu,cpuacct/c1/sub", "memory/c1/sub", "unified/c1/sub"} {
		if err := os.MkdirAll(filepath.Join(mnt, d), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(mnt, d, "tasks"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ms := &mounts{
		subsys:      map[string]string{"memory": mnt + "/memory", "cpu": mnt + "/cpu,cpuacct", "cpuacct": mnt + "/cpu,cpuacct"},
		hierarchies: []string{mnt + "/memory", mnt + "/cpu,cpuacct"},
	}
	m := newV1(ms, mnt+"/unified", "/c1")
	j, err := SubJoin(m, []string{"sub", "memory:m"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{mnt + "/memory/c1/m/tasks", mnt + "/cpu,cpuacct/c1/sub/tasks"}
	if !reflect.DeepEqual(j.Tasks, want) || j.Dir != mnt+"/unified/c1/sub" {
		t.Errorf("SubJoin = %+v, want tasks %v", j, want)
	}
	if _, err := SubJoin(m, []string{"blkio:sub"}); err == nil || !strings.Contains(err.Error(), "not mounted") {
		t.Errorf("unmounted controller: err %v", err)
	}
}

func TestExecJoinV2(t *testing.T) {
	mnt := t.TempDir()
	m := newV2(mnt, "/xrt/c1", true)
	if err := os.MkdirAll(m.dir+"/foo", 0o755); err != nil {
		t.Fatal(err)
	}
	// No controllers for the children: the container's own cgroup.
	put(t, m.dir+"/cgroup.subtree_control", "\n")
	if j := ExecJoinOf(m, os.Getpid()); j.Dir != m.dir {
		t.Errorf("ExecJoinOf without subtree controllers = %+v, want %s", j, m.dir)
	}
	// With them, init's cgroup, if it is below the container's.
	for _, c := range []struct{ proc, want string }{
		{"0::/xrt/c1/foo\n", m.dir + "/foo"},
		{"12:memory:/x\n0::/xrt/c1/foo/bar\n", m.dir + "/foo/bar"},
		{"0::/xrt/c1\n", ""},
		{"0::/xrt/c10/foo\n", ""},
		{"0::/xrt/c1/../c2\n", ""},
		{"0::/\n", ""},
	} {
		if got := belowV2(m, c.proc); got != c.want {
			t.Errorf("belowV2(%q) = %q, want %q", c.proc, got, c.want)
		}
	}
	put(t, m.dir+"/cgroup.subtree_control", "memory\n")
	// Our own cgroup is not below the fake one: the container's again.
	if j := ExecJoinOf(m, os.Getpid()); j.Dir != m.dir {
		t.Errorf("ExecJoinOf with init elsewhere = %+v, want %s", j, m.dir)
	}
}
