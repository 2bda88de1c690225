package cgroups

import "testing"

func TestSharesToWeight(t *testing.T) {
	// The ends and v1's default meet v2's (2, 1024, 262144 -> 1, 100,
	// 10000); the values between are those runc 1.5's update.bats
	// expects (100 -> 17, 200 -> 29) and runc's Go conversion gives.
	for shares, want := range map[uint64]uint64{
		0: 1, 1: 1, 2: 1, 3: 2, 100: 17, 200: 29, 256: 35, 384: 47, 512: 59,
		1024: 100, 2048: 174, 4096: 303, 262143: 10000, 262144: 10000, 1 << 20: 10000,
	} {
		if got := sharesToWeight(shares); got != want {
			t.Errorf("sharesToWeight(%d) = %d, want %d", shares, got, want)
		}
	}
	// Never decreasing, never outside cpu.weight's range.
	prev := uint64(1)
	for s := uint64(minShares); s <= maxShares; s++ {
		w := sharesToWeight(s)
		if w < prev || w < 1 || w > 10000 {
			t.Fatalf("sharesToWeight(%d) = %d after %d", s, w, prev)
		}
		prev = w
	}
}

func TestCPUV1(t *testing.T) {
	v, root := fakeV1(t, map[string]string{
		"cpu/cpu.shares": "1024\n", "cpu/cpu.cfs_period_us": "100000\n", "cpu/cpu.cfs_quota_us": "-1\n",
		"cpu/cpu.cfs_burst_us": "0\n", "cpu/cpu.rt_period_us": "1000000\n", "cpu/cpu.rt_runtime_us": "0\n",
		"cpu/cpu.idle": "0\n",
	})
	w := recordWrites(t, root)
	err := v.Set(&Resources{CPU: &CPU{
		Shares: ptr(uint64(512)), Quota: ptr(int64(50000)), Period: ptr(uint64(100000)), Burst: ptr(uint64(1000)),
		RealtimeRuntime: ptr(int64(950000)), RealtimePeriod: ptr(uint64(1000000)), Idle: ptr(int64(1)),
	}})
	if err != nil {
		t.Fatal(err)
	}
	wantWrites(t, w,
		"cpu,cpuacct/xrt/c1/cpu.shares=512",
		"cpu,cpuacct/xrt/c1/cpu.cfs_period_us=100000",
		"cpu,cpuacct/xrt/c1/cpu.cfs_quota_us=50000",
		"cpu,cpuacct/xrt/c1/cpu.cfs_burst_us=1000",
		"cpu,cpuacct/xrt/c1/cpu.rt_period_us=1000000",
		"cpu,cpuacct/xrt/c1/cpu.rt_runtime_us=950000",
		"cpu,cpuacct/xrt/c1/cpu.idle=1", // idle last: an idle group refuses shares
	)
	if got := get(t, v.Path("cpuacct")+"/cpu.cfs_quota_us"); got != "50000" {
		t.Errorf("cpu.cfs_quota_us = %q", got)
	}
	// Leaving idle comes first.
	if err := v.Set(&Resources{CPU: &CPU{Idle: ptr(int64(0)), Shares: ptr(uint64(2))}}); err != nil {
		t.Fatal(err)
	}
	wantWrites(t, w, "cpu,cpuacct/xrt/c1/cpu.idle=0", "cpu,cpuacct/xrt/c1/cpu.shares=2")
	wantNotMounted(t, setCPUV1("", &CPU{Shares: ptr(uint64(2))}))
	// cpuset-only settings do not need the cpu controller.
	if err := setCPUV1("", &CPU{Cpus: "0"}); err != nil {
		t.Fatal(err)
	}
}

func TestCPUV2(t *testing.T) {
	v, root := fakeV2(t, map[string]string{"cpu.weight": "100\n", "cpu.max": "max 100000\n", "cpu.max.burst": "0\n", "cpu.idle": "0\n"})
	w := recordWrites(t, root)
	if err := v.Set(&Resources{CPU: &CPU{Shares: ptr(uint64(1024)), Quota: ptr(int64(20000)), Period: ptr(uint64(50000)), Burst: ptr(uint64(100))}}); err != nil {
		t.Fatal(err)
	}
	wantWrites(t, w, "xrt/c1/cpu.weight=100", "xrt/c1/cpu.max=20000 50000", "xrt/c1/cpu.max.burst=100")
	// Quota alone keeps the period; -1 is max.
	if err := v.Set(&Resources{CPU: &CPU{Quota: ptr(int64(-1))}}); err != nil {
		t.Fatal(err)
	}
	wantWrites(t, w, "xrt/c1/cpu.max=max")
	// Period alone keeps the current quota.
	put(t, v.dir+"/cpu.max", "30000 100000\n")
	if err := v.Set(&Resources{CPU: &CPU{Period: ptr(uint64(200000))}}); err != nil {
		t.Fatal(err)
	}
	wantWrites(t, w, "xrt/c1/cpu.max=30000 200000")
	if err := v.Set(&Resources{CPU: &CPU{Idle: ptr(int64(1))}}); err != nil {
		t.Fatal(err)
	}
	wantWrites(t, w, "xrt/c1/cpu.idle=1")
	wantErr(t, v.Set(&Resources{CPU: &CPU{RealtimeRuntime: ptr(int64(1000))}}), "not supported on cgroup v2")
}

func TestCPUValidate(t *testing.T) {
	for _, tc := range []struct {
		c    CPU
		want string
	}{
		{CPU{Shares: ptr(uint64(1))}, "cpu shares 1 out of range 2..262144"},
		{CPU{Shares: ptr(uint64(300000))}, "cpu shares 300000 out of range 2..262144"},
		{CPU{Quota: ptr(int64(500))}, "cpu quota 500 must be -1 (unlimited) or at least 1000"},
		{CPU{Quota: ptr(int64(-2))}, "cpu quota -2 must be -1"},
		{CPU{Period: ptr(uint64(999))}, "cpu period 999 out of range 1000..1000000"},
		{CPU{Quota: ptr(int64(5000)), Burst: ptr(uint64(6000))}, "cpu burst 6000 must not exceed the quota 5000"},
		{CPU{RealtimeRuntime: ptr(int64(2000)), RealtimePeriod: ptr(uint64(1000))}, "must not exceed realtimePeriod"},
		{CPU{Idle: ptr(int64(2))}, "cpu idle 2 must be 0 or 1"},
		{CPU{Cpus: "0-x"}, `cpu cpus "0-x": bad list range`},
		{CPU{Mems: "3-1"}, `cpu mems "3-1": bad list range`},
	} {
		wantErr(t, (&Resources{CPU: &tc.c}).Validate(), tc.want)
	}
}

func TestCPUStatsV1(t *testing.T) {
	v, _ := fakeV1(t, map[string]string{
		"cpuacct/cpuacct.usage": "3000\n", "cpuacct/cpuacct.usage_percpu": "1000 2000 \n",
		"cpuacct/cpuacct.usage_user": "2500\n", "cpuacct/cpuacct.usage_sys": "500\n",
		"cpuacct/cpuacct.usage_percpu_user": "800 1700\n", "cpuacct/cpuacct.usage_percpu_sys": "200 300\n",
		"cpu/cpu.stat": "nr_periods 10\nnr_throttled 2\nthrottled_time 12345\n",
	})
	st, err := v.Stats()
	if err != nil {
		t.Fatal(err)
	}
	u := st.CPU.Usage
	if u.Total != 3000 || len(u.Percpu) != 2 || u.Percpu[1] != 2000 || u.User != 2500 || u.Kernel != 500 ||
		u.PercpuUser[1] != 1700 || u.PercpuKernel[0] != 200 {
		t.Errorf("usage %+v", u)
	}
	if st.CPU.Throttling != (Throttling{10, 2, 12345}) {
		t.Errorf("throttling %+v", st.CPU.Throttling)
	}
	// Without usage_user/usage_sys: cpuacct.stat ticks (1/100 s).
	v2, _ := fakeV1(t, map[string]string{"cpuacct/cpuacct.usage": "1\n", "cpuacct/cpuacct.stat": "user 3\nsystem 4\n"})
	var c CPUStats
	if err := statCPUAcctV1(v2.dirs["cpuacct"], &c); err != nil {
		t.Fatal(err)
	}
	if c.Usage.User != 30000000 || c.Usage.Kernel != 40000000 {
		t.Errorf("ticks: %+v", c.Usage)
	}
}

func TestCPUStatsV2(t *testing.T) {
	v, _ := fakeV2(t, map[string]string{"cpu.stat": "usage_usec 30\nuser_usec 20\nsystem_usec 10\nnr_periods 5\nnr_throttled 1\nthrottled_usec 7\n"})
	var c CPUStats
	if err := statCPUV2(v.dir, &c); err != nil {
		t.Fatal(err)
	}
	if c.Usage.Total != 30000 || c.Usage.User != 20000 || c.Usage.Kernel != 10000 || c.Throttling != (Throttling{5, 1, 7000}) {
		t.Errorf("%+v", c)
	}
}
