package cgroups

import "testing"

func TestUnified(t *testing.T) {
	v, root := fakeV2(t, map[string]string{"cgroup.controllers": "cpu io memory pids\n", "memory.high": "max\n", "io.max": "", "cgroup.freeze": "0\n"})
	w := recordWrites(t, root)
	err := v.Set(&Resources{
		Memory:  &Memory{Limit: ptr(int64(1 << 20))},
		Unified: map[string]string{"memory.high": "524288", "io.max": "259:0 rbps=2097152 wiops=120", "cgroup.freeze": "0"},
	})
	// memory.max is missing in this fake: the converted setting fails first.
	wantErr(t, err, "set memory.max to 1048576")
	*w = (*w)[:0]
	put(t, v.dir+"/memory.max", "max\n")
	if err := v.Set(&Resources{
		Memory:  &Memory{Limit: ptr(int64(1 << 20))},
		Unified: map[string]string{"memory.high": "524288", "io.max": "259:0 rbps=2097152 wiops=120", "cgroup.freeze": "0"},
	}); err != nil {
		t.Fatal(err)
	}
	// Unified last, in key order: it overrides the converted settings.
	wantWrites(t, w,
		"xrt/c1/memory.max=1048576",
		"xrt/c1/cgroup.freeze=0",
		"xrt/c1/io.max=259:0 rbps=2097152 wiops=120",
		"xrt/c1/memory.high=524288",
	)
	// Several devices in one value: one write a line (the kernel takes one
	// device a write; runc's cgroups.bats "per-device multiple iops via
	// unified").
	if err := v.Set(&Resources{Unified: map[string]string{"io.max": "7:0 riops=333 wiops=444\n7:1 riops=555 wiops=666\n"}}); err != nil {
		t.Fatal(err)
	}
	wantWrites(t, w, "xrt/c1/io.max=7:0 riops=333 wiops=444", "xrt/c1/io.max=7:1 riops=555 wiops=666")
	err = v.Set(&Resources{Unified: map[string]string{"hugetlb.1GB.max": "1"}})
	wantNotMounted(t, err)
	wantErr(t, err, `unified key "hugetlb.1GB.max": controller "hugetlb" is not available for `+v.dir+` (cgroup.controllers: "cpu io memory pids")`)
	wantErr(t, v.Set(&Resources{Unified: map[string]string{"memory.nonesuch": "1"}}), `unified key "memory.nonesuch": no such cgroup file`)
	*w = (*w)[:0]
	for _, bad := range []string{"../memory.max", "memory/max", "a..b", "nodot", ".max", "memory.", "cgroup.procs x"} {
		wantErr(t, v.Set(&Resources{Unified: map[string]string{bad: "1"}}), "must be a cgroup file name")
	}
	wantWrites(t, w)
}

func TestUnifiedOnV1(t *testing.T) {
	v, _ := fakeV1(t, nil)
	wantErr(t, v.Set(&Resources{Unified: map[string]string{"memory.high": "1"}}), "need a cgroup v2 or hybrid host")
	// Hybrid: the keys go to the cgroup2 tree, which here has no controllers.
	root := t.TempDir()
	v.unified = newV2(root, fakePath, false)
	put(t, v.unified.dir+"/cgroup.controllers", "\n")
	put(t, v.unified.dir+"/cgroup.max.depth", "max\n")
	wantErr(t, v.Set(&Resources{Unified: map[string]string{"memory.high": "1"}}), `controller "memory" is not available`)
	w := recordWrites(t, root)
	if err := v.Set(&Resources{Unified: map[string]string{"cgroup.max.depth": "3"}}); err != nil {
		t.Fatal(err)
	}
	wantWrites(t, w, "xrt/c1/cgroup.max.depth=3")
}
