package cgroups

import (
	"path/filepath"
	"testing"
)

func TestParseList(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
		err  bool
	}{
		{"", nil, false},
		{"0", []int{0}, false},
		{"0-3,7\n", []int{0, 1, 2, 3, 7}, false},
		{"1, 64-65", []int{1, 64, 65}, false},
		{"3-1", nil, true},
		{"a", nil, true},
		{"0-", nil, true},
		{"0-999999", nil, true},
	} {
		l, err := parseList(tc.in)
		if (err != nil) != tc.err {
			t.Errorf("parseList(%q) error %v", tc.in, err)
			continue
		}
		var want cpuList
		for _, i := range tc.want {
			for i/64 >= len(want) {
				want = append(want, 0)
			}
			want[i/64] |= 1 << (i % 64)
		}
		if !tc.err && (len(l) != len(want) || !l.subsetOf(want) || !want.subsetOf(l)) {
			t.Errorf("parseList(%q) = %b, want %b", tc.in, l, want)
		}
	}
}

func fakeOnline(t *testing.T, cpus, mems string) {
	dir := t.TempDir()
	oc, om := onlineCPUsFile, onlineMemsFile
	onlineCPUsFile, onlineMemsFile = filepath.Join(dir, "cpu"), filepath.Join(dir, "node")
	put(t, onlineCPUsFile, cpus)
	if mems != "" {
		put(t, onlineMemsFile, mems)
	}
	t.Cleanup(func() { onlineCPUsFile, onlineMemsFile = oc, om })
}

func TestCpusetCheck(t *testing.T) {
	fakeOnline(t, "0-1\n", "0\n")
	v, root := fakeV1(t, map[string]string{"cpuset/cpuset.cpus": "", "cpuset/cpuset.mems": ""})
	w := recordWrites(t, root)
	err := v.Set(&Resources{CPU: &CPU{Cpus: "8-9"}})
	if err == nil || err.Error() != `cpus "8-9" are not in this host's online CPUs 0-1` {
		t.Fatalf("error %v", err)
	}
	wantErr(t, v.Set(&Resources{CPU: &CPU{Mems: "1"}}), `mems "1" are not in this host's online memory nodes 0`)
	wantWrites(t, w) // nothing written
	if err := v.Set(&Resources{CPU: &CPU{Cpus: "1", Mems: "0"}}); err != nil {
		t.Fatal(err)
	}
	wantWrites(t, w, "cpuset/xrt/c1/cpuset.cpus=1", "cpuset/xrt/c1/cpuset.mems=0")

	// No NUMA information: any mems pass the host check.
	fakeOnline(t, "0-3", "")
	if err := checkCpuset(&CPU{Mems: "5"}); err != nil {
		t.Fatal(err)
	}
	wantNotMounted(t, setCpusetV1("", &CPU{Cpus: "0"}))
}

func TestCpusetInherit(t *testing.T) {
	root := t.TempDir()
	put(t, root+"/cpuset.cpus", "0-1\n")
	put(t, root+"/cpuset.mems", "0\n")
	// /a was made by someone who did not fill it; /a/b is new.
	for _, d := range []string{"/a", "/a/b"} {
		put(t, root+d+"/cpuset.cpus", "\n")
		put(t, root+d+"/cpuset.mems", "\n")
	}
	if err := cpusetInherit(root, root+"/a/b"); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"/a", "/a/b"} {
		if got := get(t, root+d+"/cpuset.cpus"); got != "0-1" {
			t.Errorf("%s cpuset.cpus = %q", d, got)
		}
		if got := get(t, root+d+"/cpuset.mems"); got != "0" {
			t.Errorf("%s cpuset.mems = %q", d, got)
		}
	}
	// A filled dir is left alone.
	put(t, root+"/a/b/cpuset.cpus", "1\n")
	w := recordWrites(t, root)
	if err := cpusetInherit(root, root+"/a/b"); err != nil {
		t.Fatal(err)
	}
	wantWrites(t, w)
}

func TestCpusetV2(t *testing.T) {
	fakeOnline(t, "0-3", "0")
	v, root := fakeV2(t, map[string]string{"cpuset.cpus": "", "cpuset.mems": ""})
	w := recordWrites(t, root)
	if err := v.Set(&Resources{CPU: &CPU{Cpus: "0,2", Mems: "0"}}); err != nil {
		t.Fatal(err)
	}
	wantWrites(t, w, "xrt/c1/cpuset.cpus=0,2", "xrt/c1/cpuset.mems=0")
}
