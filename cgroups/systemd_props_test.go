package cgroups

import (
	"fmt"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
)

func propMap(t *testing.T, props []sddbus.Property) map[string]any {
	t.Helper()
	m := map[string]any{}
	for _, p := range props {
		m[p.Name] = p.Value.Value()
	}
	return m
}

func i64p(n int64) *int64   { return &n }
func u64p(n uint64) *uint64 { return &n }
func u16p(n uint16) *uint16 { return &n }

func TestSystemdProperties(t *testing.T) {
	r := &Resources{
		Memory:  &Memory{Limit: i64p(64 << 20), Reservation: i64p(32 << 20), Swap: i64p(96 << 20)},
		CPU:     &CPU{Shares: u64p(2048), Quota: i64p(50000), Period: u64p(100000), Cpus: "0-1,3", Mems: "0"},
		Pids:    &Pids{Limit: i64p(42)},
		BlockIO: &BlockIO{Weight: u16p(500)},
		Unified: map[string]string{"memory.high": "50000000", "pids.max": "max", "cpu.idle": "1"},
	}
	props, err := systemdProperties(r, "", false)
	if err != nil {
		t.Fatal(err)
	}
	got := propMap(t, props)
	want := map[string]any{
		"MemoryMax":          uint64(64 << 20),
		"MemoryLow":          uint64(32 << 20),
		"MemorySwapMax":      uint64(32 << 20),
		"CPUWeight":          uint64(174),
		"CPUQuotaPerSecUSec": uint64(500000),
		"CPUQuotaPeriodUSec": uint64(100000),
		"AllowedCPUs":        []byte{0x0b},
		"AllowedMemoryNodes": []byte{0x01},
		"TasksMax":           uint64(math.MaxUint64), // unified pids.max wins: applied after
		"IOWeight":           uint64(1 + 490*9999/990),
		"MemoryHigh":         uint64(50000000),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("properties:\n got %v\nwant %v", got, want)
	}
}

func TestSystemdPropertiesUnlimited(t *testing.T) {
	r := &Resources{
		Memory: &Memory{Limit: i64p(-1), Swap: i64p(-1)},
		CPU:    &CPU{Quota: i64p(-1)},
		Pids:   &Pids{Limit: i64p(-1)},
	}
	props, err := systemdProperties(r, "", false)
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range propMap(t, props) {
		if v != uint64(math.MaxUint64) {
			t.Errorf("%s = %v, want infinity", name, v)
		}
	}
}

func TestSystemdPropertiesSwapNeedsLimit(t *testing.T) {
	_, err := systemdProperties(&Resources{Memory: &Memory{Swap: i64p(1 << 20)}}, "", false)
	if err == nil || !strings.Contains(err.Error(), "needs a memory limit") {
		t.Errorf("swap without a limit: %v", err)
	}
}

func TestQuotaPerSec(t *testing.T) {
	for _, tc := range []struct {
		quota  int64
		period uint64
		want   uint64
	}{
		{50000, 100000, 500000},
		{1000, 100000, 10000},
		{1234, 100000, 20000}, // 12340 rounded up to 10 ms per second
		{200000, 100000, 2000000},
		{-1, 100000, math.MaxUint64},
	} {
		if got := quotaPerSec(tc.quota, tc.period); got != tc.want {
			t.Errorf("quotaPerSec(%d, %d) = %d, want %d", tc.quota, tc.period, got, tc.want)
		}
	}
}

func TestListMask(t *testing.T) {
	for in, want := range map[string][]byte{
		"0":     {1},
		"0-7":   {0xff},
		"8":     {0, 1},
		"1,3-4": {0x1a},
		"0,63":  {1, 0, 0, 0, 0, 0, 0, 0x80},
		"64-65": {0, 0, 0, 0, 0, 0, 0, 0, 3},
	} {
		got, err := listMask(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("listMask(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := listMask("3-1"); err == nil {
		t.Error("listMask(3-1): no error")
	}
}

func TestDeviceProperties(t *testing.T) {
	orig := procDevices
	procDevices = func() map[string]map[int64]string {
		return map[string]map[int64]string{"c": {136: "pts", 5: "/dev/tty"}, "b": {}}
	}
	defer func() { procDevices = orig }()
	rules := []DeviceRule{
		{Allow: false, Type: "a", Major: -1, Minor: -1, Access: "rwm"},
		{Allow: true, Type: "c", Major: -1, Minor: -1, Access: "m"},
		{Allow: true, Type: "c", Major: 1, Minor: 3, Access: "rw"},
		{Allow: true, Type: "c", Major: 1, Minor: 3, Access: "m"},
		{Allow: true, Type: "c", Major: 136, Minor: -1, Access: "rwm"},
		{Allow: true, Type: "b", Major: 7, Minor: -1, Access: "r"},
		{Allow: false, Type: "c", Major: 1, Minor: 9, Access: "rwm"}, // narrower deny: left to xrt's filter
	}
	got := deviceProperties(rules)
	want := []sddbus.Property{
		prop("DevicePolicy", "strict"),
		prop("DeviceAllow", []deviceAllow{}),
		prop("DeviceAllow", []deviceAllow{{"char-*", "m"}, {"/dev/char/1:3", "rwm"}, {"char-pts", "rwm"}, {"block-*", "r"}}),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("device properties:\n got %v\nwant %v", got, want)
	}
	all := deviceProperties([]DeviceRule{{Allow: true, Type: "a", Major: -1, Minor: -1, Access: "rwm"}})
	if len(all) != 2 || all[0].Value != dbus.MakeVariant("auto") {
		t.Errorf("allow all: %v, want DevicePolicy=auto", all)
	}
	if deviceProperties(nil) != nil {
		t.Error("no rules: want no properties")
	}
}

func TestAnnotationProperties(t *testing.T) {
	props, err := annotationProperties(map[string]string{
		"org.systemd.property.TimeoutStopUSec": "uint64 123456",
		"org.systemd.property.CollectMode":     "'inactive-or-failed'",
		// Seconds, as in unit files (runc's delete.bats): microseconds.
		"org.systemd.property.RuntimeMaxSec":             "2",
		"org.systemd.property.TimeoutStartSec":           "1.5",
		"org.systemd.property.RuntimeRandomizedExtraSec": "uint64 3",
		"org.systemd.property.TimeoutAbortSec":           "'infinity'",
		"other":                                          "x",
	})
	if err != nil {
		t.Fatal(err)
	}
	got := propMap(t, props)
	want := map[string]any{"TimeoutStopUSec": uint64(123456), "CollectMode": "inactive-or-failed",
		"RuntimeMaxUSec": uint64(2000000), "TimeoutStartUSec": uint64(1500000),
		"RuntimeRandomizedExtraUSec": uint64(3000000), "TimeoutAbortUSec": uint64(infinity)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for _, bad := range []map[string]string{
		{"org.systemd.property.X": "uint64 nope"},
		{"org.systemd.property.": "true"},
		{"org.systemd.property.A.B": "true"},
		{"org.systemd.property.RuntimeMaxSec": "'2s'"},
		{"org.systemd.property.RuntimeMaxSec": "-1"},
		{"org.systemd.property.RuntimeMaxSec": "true"},
	} {
		if _, err := annotationProperties(bad); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
	merged := mergeProperties([]sddbus.Property{prop("A", 1), prop("B", 2)}, []sddbus.Property{prop("B", 3)})
	if m := propMap(t, merged); len(merged) != 2 || m["B"] != 3 {
		t.Errorf("merge: %v", merged)
	}
}

func TestSystemdPropertiesIdle(t *testing.T) {
	var warned []string
	Warnf = func(format string, args ...any) { warned = append(warned, fmt.Sprintf(format, args...)) }
	t.Cleanup(func() { Warnf = nil })
	for _, tc := range []struct {
		name       string
		r          *Resources
		idleWeight bool
		want       any // CPUWeight, nil for none
		warn       string
	}{
		{"shares and idle", &Resources{CPU: &CPU{Shares: u64p(200), Idle: i64p(1)}}, true, uint64(0), "unable to apply both CPUWeight and CpuIdle"},
		{"idle alone", &Resources{CPU: &CPU{Idle: i64p(1)}}, true, uint64(0), ""},
		{"shares, idle 0", &Resources{CPU: &CPU{Shares: u64p(200), Idle: i64p(0)}}, true, uint64(29), ""},
		{"unified both", &Resources{Unified: map[string]string{"cpu.idle": "1", "cpu.weight": "8"}}, true, uint64(0), "unable to apply both cpu.weight and cpu.idle"},
		{"unified weight", &Resources{Unified: map[string]string{"cpu.weight": "8"}}, true, uint64(8), ""},
		// Before systemd 252 idle is the file's alone.
		{"old systemd", &Resources{CPU: &CPU{Shares: u64p(200), Idle: i64p(1)}}, false, uint64(29), ""},
		{"old systemd, idle alone", &Resources{CPU: &CPU{Idle: i64p(1)}}, false, nil, ""},
	} {
		warned = nil
		props, err := systemdProperties(tc.r, "", tc.idleWeight)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		n := 0
		for _, p := range props {
			if p.Name == "CPUWeight" {
				n++
			}
		}
		if got := propMap(t, props)["CPUWeight"]; got != tc.want || n > 1 {
			t.Errorf("%s: CPUWeight = %v (%d of them), want %v", tc.name, got, n, tc.want)
		}
		if tc.warn == "" && len(warned) > 0 || tc.warn != "" && (len(warned) != 1 || !strings.Contains(warned[0], tc.warn)) {
			t.Errorf("%s: warnings %q, want %q", tc.name, warned, tc.warn)
		}
	}

	// The files of an idle group get no weight; the caller's resources
	// stay as they were.
	r := &Resources{CPU: &CPU{Shares: u64p(200), Idle: i64p(1)}, Unified: map[string]string{"cpu.weight": "8", "pids.max": "5"}}
	w := withoutWeight(r)
	if w.CPU.Shares != nil || w.CPU.Idle == nil || *w.CPU.Idle != 1 || len(w.Unified) != 1 || w.Unified["pids.max"] != "5" {
		t.Errorf("withoutWeight: %+v %+v", w.CPU, w.Unified)
	}
	if r.CPU.Shares == nil || r.Unified["cpu.weight"] != "8" {
		t.Errorf("withoutWeight changed its argument: %+v %+v", r.CPU, r.Unified)
	}
}

func TestParseSystemdVersion(t *testing.T) {
	for in, want := range map[string]int{`"252.39-1~deb12u2"`: 252, `"v256-rc1"`: 256, `"249"`: 249, `""`: 0, `"x"`: 0} {
		if got := parseSystemdVersion(in); got != want {
			t.Errorf("parseSystemdVersion(%s) = %d, want %d", in, got, want)
		}
	}
}

func TestSystemdPropertiesUnifiedCPU(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/cpu.max", []byte("500000 1000000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		unified map[string]string
		dir     string
		want    map[string]any
	}{
		{map[string]string{"cpu.max": "max 100000"}, "", map[string]any{"CPUQuotaPerSecUSec": uint64(math.MaxUint64), "CPUQuotaPeriodUSec": uint64(100000)}},
		{map[string]string{"cpu.max": "50000 200000"}, "", map[string]any{"CPUQuotaPerSecUSec": uint64(250000), "CPUQuotaPeriodUSec": uint64(200000)}},
		// A quota alone is per the current period (1 s here).
		{map[string]string{"cpu.max": "300000"}, dir, map[string]any{"CPUQuotaPerSecUSec": uint64(300000)}},
		{map[string]string{"cpuset.cpus": "1", "cpuset.mems": "0"}, "", map[string]any{"AllowedCPUs": []byte{2}, "AllowedMemoryNodes": []byte{1}}},
	} {
		props, err := systemdProperties(&Resources{Unified: tc.unified}, tc.dir, true)
		if err != nil {
			t.Fatalf("%v: %v", tc.unified, err)
		}
		if got := propMap(t, props); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%v: got %v, want %v", tc.unified, got, tc.want)
		}
	}
	for _, bad := range []string{"", "x 100000", "100 0", "1 2 3", "-5"} {
		if _, err := systemdProperties(&Resources{Unified: map[string]string{"cpu.max": bad}}, "", false); err == nil {
			t.Errorf("cpu.max %q: no error", bad)
		}
	}
}

func TestSystemdPropertiesPidsZero(t *testing.T) {
	_, err := systemdProperties(&Resources{Pids: &Pids{Limit: i64p(0)}}, "", false)
	if err == nil || !strings.Contains(err.Error(), "systemd has no TasksMax 0") {
		t.Errorf("pids limit 0: %v", err)
	}
}

func TestWithCurrentQuota(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/cpu.max", []byte("500000 1000000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &Resources{CPU: &CPU{Period: u64p(900000)}}
	got := withCurrentQuota(r, dir)
	if got.CPU.Quota == nil || *got.CPU.Quota != 500000 || *got.CPU.Period != 900000 || r.CPU.Quota != nil {
		t.Errorf("period alone: %+v (argument now %+v)", got.CPU, r.CPU)
	}
	props, err := systemdProperties(got, dir, false)
	if err != nil {
		t.Fatal(err)
	}
	// 500000 per 900 ms is 555.6 ms a second: 560 ms in systemd's 10 ms.
	if m := propMap(t, props); m["CPUQuotaPerSecUSec"] != uint64(560000) || m["CPUQuotaPeriodUSec"] != uint64(900000) {
		t.Errorf("properties %v", m)
	}
	if err := os.WriteFile(dir+"/cpu.max", []byte("max 100000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := withCurrentQuota(r, dir); got.CPU.Quota == nil || *got.CPU.Quota != -1 {
		t.Errorf("max: %+v", got.CPU)
	}
	// Given a quota, or no cgroup yet: as it was.
	q := &Resources{CPU: &CPU{Period: u64p(900000), Quota: i64p(1000)}}
	if withCurrentQuota(q, dir) != q || withCurrentQuota(r, "") != r {
		t.Error("changed what needs no change")
	}
}

func TestWithCurrentPeriod(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/cpu.max", []byte("603000 900000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &Resources{CPU: &CPU{Quota: i64p(-1)}}
	got := withCurrentPeriod(r, dir)
	if got.CPU.Period == nil || *got.CPU.Period != 900000 || *got.CPU.Quota != -1 || r.CPU.Period != nil {
		t.Errorf("quota alone: %+v (argument now %+v)", got.CPU, r.CPU)
	}
	props, err := systemdProperties(got, dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if m := propMap(t, props); m["CPUQuotaPeriodUSec"] != uint64(900000) {
		t.Errorf("properties %v", m)
	}
	q := &Resources{CPU: &CPU{Quota: i64p(1000), Period: u64p(100000)}}
	if withCurrentPeriod(q, dir) != q || withCurrentPeriod(r, "") != r {
		t.Error("changed what needs no change")
	}
}

func TestRoundedQuota(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/cpu.max", []byte("max 900000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		cpu  CPU
		dir  string
		want int64
	}{
		{CPU{Quota: i64p(500000), Period: u64p(900000)}, "", 504000}, // 560 ms a second
		{CPU{Quota: i64p(600000), Period: u64p(900000)}, "", 603000}, // 670 ms
		{CPU{Quota: i64p(50000), Period: u64p(100000)}, "", 50000},   // exact
		{CPU{Quota: i64p(1234)}, "", 2000},                           // default period: 20 ms
		{CPU{Quota: i64p(500000)}, dir, 504000},                      // the cgroup's period
		{CPU{Quota: i64p(-1), Period: u64p(900000)}, "", -1},
	} {
		r := &Resources{CPU: &tc.cpu}
		before := *tc.cpu.Quota
		if got := roundedQuota(r, tc.dir); *got.CPU.Quota != tc.want || *r.CPU.Quota != before {
			t.Errorf("%+v: quota %d (argument now %d), want %d", tc.cpu, *got.CPU.Quota, *r.CPU.Quota, tc.want)
		}
	}
}
