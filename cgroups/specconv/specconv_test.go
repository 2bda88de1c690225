package specconv

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"xrt/cgroups"
)

func ptr[T any](v T) *T { return &v }

func TestFromSpec(t *testing.T) {
	if r, err := FromSpec(nil); r != nil || err != nil {
		t.Fatalf("nil: %v %v", r, err)
	}
	in := &specs.LinuxResources{
		Devices: []specs.LinuxDeviceCgroup{
			{Allow: false, Access: "rwm"},
			{Allow: true, Type: "c", Major: ptr(int64(10)), Minor: ptr(int64(229)), Access: "rw"},
		},
		Memory: &specs.LinuxMemory{Limit: ptr(int64(1 << 20)), Reservation: ptr(int64(0)), Swap: ptr(int64(-1)), Swappiness: ptr(uint64(10))},
		CPU:    &specs.LinuxCPU{Shares: ptr(uint64(0)), Quota: ptr(int64(20000)), Period: ptr(uint64(100000)), RealtimeRuntime: ptr(int64(0)), Cpus: "0-1", Idle: ptr(int64(0))},
		Pids:   &specs.LinuxPids{Limit: ptr(int64(0))},
		BlockIO: &specs.LinuxBlockIO{
			Weight:                 ptr(uint16(0)),
			WeightDevice:           []specs.LinuxWeightDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8}, Weight: ptr(uint16(500))}},
			ThrottleReadBpsDevice:  []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 16}, Rate: 600}},
			ThrottleWriteBpsDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8}, Rate: 1}},
		},
		HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 1 << 21}},
		Network:        &specs.LinuxNetwork{ClassID: ptr(uint32(7)), Priorities: []specs.LinuxInterfacePriority{{Name: "eth0", Priority: 5}}},
		Rdma:           map[string]specs.LinuxRdma{"mlx5_1": {HcaHandles: ptr(uint32(3))}},
		Unified:        map[string]string{"memory.high": "100"},
	}
	r, err := FromSpec(in)
	if err != nil {
		t.Fatal(err)
	}
	m := r.Memory
	if *m.Limit != 1<<20 || m.Reservation != nil || *m.Swap != -1 || *m.Swappiness != 10 {
		t.Errorf("memory %+v", m)
	}
	c := r.CPU
	if c.Shares != nil || *c.Quota != 20000 || *c.Period != 100000 || c.RealtimeRuntime != nil || c.Cpus != "0-1" || *c.Idle != 0 {
		t.Errorf("cpu %+v", c)
	}
	if *r.Pids.Limit != 0 {
		t.Error("a zero pids limit must stay")
	}
	b := r.BlockIO
	if b.Weight != nil || len(b.WeightDevice) != 1 || *b.WeightDevice[0].Weight != 500 || b.ThrottleReadBpsDevice[0] != (cgroups.ThrottleDevice{Major: 8, Minor: 16, Rate: 600}) || len(b.ThrottleWriteBpsDevice) != 1 {
		t.Errorf("blkio %+v", b)
	}
	if r.HugepageLimits[0] != (cgroups.HugepageLimit{PageSize: "2MB", Limit: 1 << 21}) || *r.Network.ClassID != 7 ||
		r.Network.Priorities[0] != (cgroups.InterfacePriority{Name: "eth0", Priority: 5}) || *r.Rdma["mlx5_1"].HcaHandles != 3 ||
		r.Unified["memory.high"] != "100" {
		t.Errorf("%+v", r)
	}
	want := []cgroups.DeviceRule{
		{Allow: false, Type: "", Major: -1, Minor: -1, Access: "rwm"},
		{Allow: true, Type: "c", Major: 10, Minor: 229, Access: "rw"},
	}
	if len(r.Devices) != 2 || r.Devices[0] != want[0] || r.Devices[1] != want[1] {
		t.Errorf("devices %+v", r.Devices)
	}
	// The caller's map is not shared.
	r.Unified["x.y"] = "1"
	if len(in.Unified) != 1 {
		t.Error("unified map shared")
	}
}

func TestFromSpecErrors(t *testing.T) {
	for _, tc := range []struct {
		r    specs.LinuxResources
		want string
	}{
		{specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Type: "x"}}}, `device rule: type "x" must be a, b or c`},
		{specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: ptr(uint64(1))}}, "cpu shares 1 out of range 2..262144"},
		{specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: ptr(uint16(5))}}, "blkio weight 5 out of range 10..1000"},
		{specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr(int64(-3))}}, "pids limit -3"},
		{specs.LinuxResources{Unified: map[string]string{"../x": "1"}}, `unified key "../x"`},
		{specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2M"}}}, `hugepage size "2M"`},
	} {
		_, err := FromSpec(&tc.r)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want %q", err, tc.want)
		}
	}
}
