package cgroups

import (
	"testing"
)

func memV1Files(memsw string) map[string]string {
	return map[string]string{
		"memory/memory.limit_in_bytes":       "9223372036854771712\n",
		"memory/memory.memsw.limit_in_bytes": memsw,
		"memory/memory.soft_limit_in_bytes":  "",
		"memory/memory.swappiness":           "60\n",
		"memory/memory.oom_control":          "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n",
		"memory/memory.use_hierarchy":        "1\n",
		"memory/memory.usage_in_bytes":       "4096000\n",
	}
}

func TestMemoryV1(t *testing.T) {
	v, root := fakeV1(t, memV1Files("9223372036854771712\n"))
	w := recordWrites(t, root)
	warns := captureWarnings(t)
	err := v.Set(&Resources{Memory: &Memory{
		Limit:            ptr(int64(64 << 20)),
		Reservation:      ptr(int64(32 << 20)),
		Swap:             ptr(int64(128 << 20)),
		Kernel:           ptr(int64(1 << 20)),
		Swappiness:       ptr(uint64(0)),
		DisableOOMKiller: ptr(true),
		UseHierarchy:     ptr(true),
	}})
	if err != nil {
		t.Fatal(err)
	}
	// memsw is unlimited: the new limit is below it, so the limit goes first.
	wantWrites(t, w,
		"memory/xrt/c1/memory.limit_in_bytes=67108864",
		"memory/xrt/c1/memory.memsw.limit_in_bytes=134217728",
		"memory/xrt/c1/memory.soft_limit_in_bytes=33554432",
		"memory/xrt/c1/memory.swappiness=0",
		"memory/xrt/c1/memory.oom_control=1",
		"memory/xrt/c1/memory.use_hierarchy=1",
	)
	if got := get(t, v.dirs["memory"]+"/memory.limit_in_bytes"); got != "67108864" {
		t.Errorf("memory.limit_in_bytes = %q", got)
	}
	if len(*warns) != 1 || (*warns)[0] != "memory kernel limit 1048576 ignored: kernel memory limits are not supported" {
		t.Errorf("warnings %q", *warns)
	}
	put(t, v.dirs["memory"]+"/memory.oom_control", "oom_kill_disable 1\nunder_oom 0\noom_kill 3\n")
	if n, err := v.OOMKillCount(); err != nil || n != 3 {
		t.Errorf("OOMKillCount = %d, %v; want 3", n, err)
	}
}

func TestMemoryV1SwapOrder(t *testing.T) {
	// The current memsw (100M) is below the new limit: memsw must rise first.
	v, root := fakeV1(t, memV1Files("104857600\n"))
	w := recordWrites(t, root)
	if err := v.Set(&Resources{Memory: &Memory{Limit: ptr(int64(200 << 20)), Swap: ptr(int64(300 << 20))}}); err != nil {
		t.Fatal(err)
	}
	wantWrites(t, w,
		"memory/xrt/c1/memory.memsw.limit_in_bytes=314572800",
		"memory/xrt/c1/memory.limit_in_bytes=209715200",
	)
	// Unlimited swap goes first too.
	if err := v.Set(&Resources{Memory: &Memory{Limit: ptr(int64(50 << 20)), Swap: ptr(int64(-1))}}); err != nil {
		t.Fatal(err)
	}
	wantWrites(t, w,
		"memory/xrt/c1/memory.memsw.limit_in_bytes=-1",
		"memory/xrt/c1/memory.limit_in_bytes=52428800",
	)
	// Lifting the limit lifts memsw, first.
	if err := v.Set(&Resources{Memory: &Memory{Limit: ptr(int64(-1))}}); err != nil {
		t.Fatal(err)
	}
	wantWrites(t, w,
		"memory/xrt/c1/memory.memsw.limit_in_bytes=-1",
		"memory/xrt/c1/memory.limit_in_bytes=-1",
	)
}

func TestMemoryV1NoSwapAccounting(t *testing.T) {
	files := memV1Files("")
	delete(files, "memory/memory.memsw.limit_in_bytes")
	v, _ := fakeV1(t, files)
	err := v.Set(&Resources{Memory: &Memory{Limit: ptr(int64(1 << 20)), Swap: ptr(int64(2 << 20))}})
	wantErr(t, err, "memory swap limit needs swap accounting")
	// Lifting the limit without memsw files is fine.
	if err := v.Set(&Resources{Memory: &Memory{Limit: ptr(int64(-1))}}); err != nil {
		t.Fatal(err)
	}
}

func TestMemoryCheckBeforeUpdate(t *testing.T) {
	v, _ := fakeV1(t, memV1Files("-1\n"))
	err := v.Set(&Resources{Memory: &Memory{Limit: ptr(int64(4096)), CheckBeforeUpdate: ptr(true)}})
	wantErr(t, err, "rejecting memory limit 4096 below the current usage 4096000")
	if err := v.Set(&Resources{Memory: &Memory{Limit: ptr(int64(8 << 20)), CheckBeforeUpdate: ptr(true)}}); err != nil {
		t.Fatal(err)
	}

	v2, _ := fakeV2(t, map[string]string{"memory.current": "8192\n", "memory.max": "max\n"})
	err = v2.Set(&Resources{Memory: &Memory{Limit: ptr(int64(4096)), CheckBeforeUpdate: ptr(true)}})
	wantErr(t, err, "rejecting memory limit 4096 below the current usage 8192")
	// With swap, memory+swap is checked first, against memory and swap
	// together (runc's update.bats looks for "rejecting memory+swap limit").
	put(t, v2.dir+"/memory.swap.current", "4096\n")
	err = v2.Set(&Resources{Memory: &Memory{Limit: ptr(int64(1024)), Swap: ptr(int64(12000)), CheckBeforeUpdate: ptr(true)}})
	wantErr(t, err, "rejecting memory+swap limit 12000 below the current usage 12288")
	err = v2.Set(&Resources{Memory: &Memory{Limit: ptr(int64(1024)), Swap: ptr(int64(13000)), CheckBeforeUpdate: ptr(true)}})
	wantErr(t, err, "rejecting memory limit 1024 below the current usage 8192")
}

func TestMemoryV1Errors(t *testing.T) {
	err := setMemoryV1("", &Memory{Limit: ptr(int64(1))})
	wantNotMounted(t, err)
	wantErr(t, err, "memory limits requested but the memory controller is not mounted")

	// The kernel's refusal names the file, the value and the path.
	v, _ := fakeV1(t, nil) // no memory files at all
	err = v.Set(&Resources{Memory: &Memory{Limit: ptr(int64(1000))}})
	wantErr(t, err, "set memory.limit_in_bytes to 1000: open "+v.dirs["memory"]+"/memory.limit_in_bytes: no such file or directory")
}

func TestMemoryValidate(t *testing.T) {
	for _, tc := range []struct {
		m    Memory
		want string
	}{
		{Memory{Limit: ptr(int64(-2))}, "memory limit -2 must be -1 (unlimited) or >= 0"},
		{Memory{Swap: ptr(int64(-5))}, "memory swap -5 must be -1"},
		{Memory{Limit: ptr(int64(200)), Swap: ptr(int64(100))}, "memory swap 100 (memory+swap) must not be below the memory limit 200"},
		{Memory{Limit: ptr(int64(-1)), Swap: ptr(int64(100))}, "needs a memory limit"},
		{Memory{Swappiness: ptr(uint64(101))}, "memory swappiness 101 must be 0..100"},
	} {
		wantErr(t, (&Resources{Memory: &tc.m}).Validate(), tc.want)
	}
}

func TestMemoryV2(t *testing.T) {
	v, root := fakeV2(t, map[string]string{
		"memory.max": "max\n", "memory.swap.max": "max\n", "memory.low": "0\n",
		"memory.events": "low 0\nhigh 0\nmax 2\noom 1\noom_kill 1\n",
	})
	w := recordWrites(t, root)
	warns := captureWarnings(t)
	err := v.Set(&Resources{Memory: &Memory{
		Limit:            ptr(int64(64 << 20)),
		Swap:             ptr(int64(96 << 20)),
		Reservation:      ptr(int64(16 << 20)),
		Swappiness:       ptr(uint64(10)),
		DisableOOMKiller: ptr(true),
		KernelTCP:        ptr(int64(5)),
	}})
	if err != nil {
		t.Fatal(err)
	}
	wantWrites(t, w,
		"xrt/c1/memory.max=67108864",
		"xrt/c1/memory.swap.max=33554432", // swap - limit
		"xrt/c1/memory.low=16777216",
	)
	if len(*warns) != 3 {
		t.Errorf("want 3 warnings (kernelTCP, swappiness, disableOOMKiller), got %q", *warns)
	}
	// Unlimited.
	if err := v.Set(&Resources{Memory: &Memory{Limit: ptr(int64(-1)), Swap: ptr(int64(-1))}}); err != nil {
		t.Fatal(err)
	}
	wantWrites(t, w, "xrt/c1/memory.max=max", "xrt/c1/memory.swap.max=max")
	// Lifting the memory limit alone lifts swap too (runc's update.bats:
	// `update --memory -1` after a swap limit leaves memory.swap.max max).
	if err := v.Set(&Resources{Memory: &Memory{Limit: ptr(int64(-1))}}); err != nil {
		t.Fatal(err)
	}
	wantWrites(t, w, "xrt/c1/memory.max=max", "xrt/c1/memory.swap.max=max")

	// Swap alone: computed against the current memory.max.
	put(t, v.dir+"/memory.max", "1048576\n")
	if err := v.Set(&Resources{Memory: &Memory{Swap: ptr(int64(3 << 20))}}); err != nil {
		t.Fatal(err)
	}
	wantWrites(t, w, "xrt/c1/memory.swap.max=2097152")
	put(t, v.dir+"/memory.max", "max\n")
	wantErr(t, v.Set(&Resources{Memory: &Memory{Swap: ptr(int64(3 << 20))}}), "needs a memory limit; memory.max is max")

	if n, err := v.OOMKillCount(); err != nil || n != 1 {
		t.Errorf("OOMKillCount = %d, %v; want 1", n, err)
	}
}

func TestMemoryV2NotEnabled(t *testing.T) {
	v, _ := fakeV2(t, nil)
	err := v.Set(&Resources{Memory: &Memory{Limit: ptr(int64(1 << 20))}})
	wantNotMounted(t, err)
	wantErr(t, err, "set memory.max to 1048576: open "+v.dir+"/memory.max: no such file or directory (is the memory controller enabled")
}

func TestMemoryStatsV1(t *testing.T) {
	files := memV1Files("9223372036854771712\n")
	files["memory/memory.stat"] = "cache 4096\nrss 8192\ntotal_cache 4096\n"
	files["memory/memory.max_usage_in_bytes"] = "5000000\n"
	files["memory/memory.failcnt"] = "7\n"
	files["memory/memory.memsw.usage_in_bytes"] = "4100000\n"
	v, _ := fakeV1(t, files)
	var st MemoryStats
	if err := statMemoryV1(v.dirs["memory"], &st); err != nil {
		t.Fatal(err)
	}
	if st.Cache != 4096 || st.Raw["rss"] != 8192 || st.Usage.Usage != 4096000 || st.Usage.Max != 5000000 ||
		st.Usage.Failcnt != 7 || st.Usage.Limit != 9223372036854771712 || st.Swap.Usage != 4100000 {
		t.Errorf("stats %+v", st)
	}
}

func TestMemoryStatsV2(t *testing.T) {
	v, _ := fakeV2(t, map[string]string{
		"memory.stat": "anon 100\nfile 200\nkernel 300\nsock 5\n", "memory.current": "1000\n",
		"memory.peak": "2000\n", "memory.max": "max\n", "memory.events": "max 4\noom_kill 0\n",
		"memory.swap.current": "10\n", "memory.swap.max": "50\n",
	})
	var st MemoryStats
	if err := statMemoryV2(v.dir, &st); err != nil {
		t.Fatal(err)
	}
	if st.Cache != 200 || st.Usage.Usage != 1000 || st.Usage.Max != 2000 || st.Usage.Failcnt != 4 ||
		st.Usage.Limit != ^uint64(0) || st.Swap.Usage != 1010 || st.Swap.Limit != ^uint64(0) || st.Kernel.Usage != 300 {
		t.Errorf("stats %+v", st)
	}
}
