package cgroups

import "testing"

func TestHugetlbV1(t *testing.T) {
	v, root := fakeV1(t, map[string]string{
		"hugetlb/hugetlb.2MB.limit_in_bytes": "", "hugetlb/hugetlb.2MB.rsvd.limit_in_bytes": "",
		"hugetlb/hugetlb.1GB.limit_in_bytes": "", // no reservation accounting for 1GB here
	})
	w := recordWrites(t, root)
	if err := v.Set(&Resources{HugepageLimits: []HugepageLimit{{"2MB", 209715200}, {"1GB", 1 << 30}}}); err != nil {
		t.Fatal(err)
	}
	wantWrites(t, w,
		"hugetlb/xrt/c1/hugetlb.2MB.rsvd.limit_in_bytes=209715200",
		"hugetlb/xrt/c1/hugetlb.2MB.limit_in_bytes=209715200",
		"hugetlb/xrt/c1/hugetlb.1GB.rsvd.limit_in_bytes=1073741824",
		"hugetlb/xrt/c1/hugetlb.1GB.limit_in_bytes=1073741824",
	)
	wantErr(t, v.Set(&Resources{HugepageLimits: []HugepageLimit{{"64KB", 1}}}), "hugepage size 64KB is not supported by this host")
	wantErr(t, v.Set(&Resources{HugepageLimits: []HugepageLimit{{"2mb", 1}}}), `hugepage size "2mb" must look like 2MB, 64KB or 1GB`)
	wantErr(t, v.Set(&Resources{HugepageLimits: []HugepageLimit{{"MB", 1}}}), `hugepage size "MB" must look like`)
	wantNotMounted(t, setHugetlbV1("", []HugepageLimit{{"2MB", 1}}))
}

func TestHugetlbV2(t *testing.T) {
	v, root := fakeV2(t, map[string]string{"hugetlb.2MB.max": "max\n", "hugetlb.2MB.rsvd.max": "max\n", "cgroup.controllers": "memory hugetlb\n"})
	w := recordWrites(t, root)
	if err := v.Set(&Resources{HugepageLimits: []HugepageLimit{{"2MB", 4194304}}}); err != nil {
		t.Fatal(err)
	}
	wantWrites(t, w, "xrt/c1/hugetlb.2MB.rsvd.max=4194304", "xrt/c1/hugetlb.2MB.max=4194304")
	v2, _ := fakeV2(t, map[string]string{"cgroup.controllers": "memory\n"})
	err := v2.Set(&Resources{HugepageLimits: []HugepageLimit{{"2MB", 1}}})
	wantNotMounted(t, err)
	wantErr(t, err, "the hugetlb controller is not enabled")
}

func TestPageSizeName(t *testing.T) {
	for kb, want := range map[uint64]string{64: "64KB", 2048: "2MB", 1048576: "1GB", 32768: "32MB", 16777216: "16GB"} {
		if got := pageSizeName(kb); got != want {
			t.Errorf("pageSizeName(%d) = %q, want %q", kb, got, want)
		}
	}
}

func TestHugetlbStats(t *testing.T) {
	dir := t.TempDir()
	old := hugePagesDir
	hugePagesDir = dir
	t.Cleanup(func() { hugePagesDir = old })
	mkdir(t, dir+"/hugepages-2048kB")
	mkdir(t, dir+"/hugepages-1048576kB")
	v, _ := fakeV1(t, map[string]string{
		"hugetlb/hugetlb.2MB.usage_in_bytes": "4194304\n", "hugetlb/hugetlb.2MB.max_usage_in_bytes": "8388608\n", "hugetlb/hugetlb.2MB.failcnt": "1\n",
	})
	st, _ := statHugetlbV1(v.dirs["hugetlb"])
	if len(st) != 1 || st["2MB"] != (HugetlbStat{4194304, 8388608, 1}) {
		t.Errorf("%+v", st)
	}
	v2, _ := fakeV2(t, map[string]string{"hugetlb.1GB.current": "0\n", "hugetlb.1GB.events": "max 2\n"})
	st, _ = statHugetlbV2(v2.dir)
	if len(st) != 1 || st["1GB"] != (HugetlbStat{Failcnt: 2}) {
		t.Errorf("%+v", st)
	}
}
