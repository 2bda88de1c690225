package cgroups

import (
	"slices"
	"testing"
)

func TestBlkioToIOWeight(t *testing.T) {
	for w, want := range map[uint16]uint64{10: 1, 100: 910, 500: 4950, 1000: 10000} {
		if got := blkioToIOWeight(w); got != want {
			t.Errorf("blkioToIOWeight(%d) = %d, want %d", w, got, want)
		}
	}
}

var testBlockIO = &BlockIO{
	Weight:     ptr(uint16(500)),
	LeafWeight: ptr(uint16(300)),
	WeightDevice: []WeightDevice{
		{Major: 8, Minor: 0, Weight: ptr(uint16(600)), LeafWeight: ptr(uint16(200))},
		{Major: 8, Minor: 16, Weight: ptr(uint16(700))},
	},
	ThrottleReadBpsDevice:   []ThrottleDevice{{Major: 8, Minor: 0, Rate: 600}},
	ThrottleWriteBpsDevice:  []ThrottleDevice{{Major: 8, Minor: 16, Rate: 700}},
	ThrottleReadIOPSDevice:  []ThrottleDevice{{Major: 8, Minor: 0, Rate: 0}},
	ThrottleWriteIOPSDevice: []ThrottleDevice{{Major: 8, Minor: 0, Rate: 300}},
}

func TestBlkioV1(t *testing.T) {
	files := map[string]string{}
	for _, f := range []string{"weight", "leaf_weight", "weight_device", "leaf_weight_device",
		"throttle.read_bps_device", "throttle.write_bps_device", "throttle.read_iops_device", "throttle.write_iops_device"} {
		files["blkio/blkio."+f] = ""
	}
	v, root := fakeV1(t, files)
	w := recordWrites(t, root)
	if err := v.Set(&Resources{BlockIO: testBlockIO}); err != nil {
		t.Fatal(err)
	}
	d := "blkio/xrt/c1/blkio."
	wantWrites(t, w,
		d+"weight=500",
		d+"leaf_weight=300",
		d+"weight_device=8:0 600",
		d+"leaf_weight_device=8:0 200",
		d+"weight_device=8:16 700",
		d+"throttle.read_bps_device=8:0 600",
		d+"throttle.write_bps_device=8:16 700",
		d+"throttle.read_iops_device=8:0 0",
		d+"throttle.write_iops_device=8:0 300",
	)
}

func TestBlkioV1BFQ(t *testing.T) {
	// Only BFQ weights (no CFQ on current kernels).
	v, root := fakeV1(t, map[string]string{"blkio/blkio.bfq.weight": "100\n", "blkio/blkio.bfq.weight_device": ""})
	w := recordWrites(t, root)
	err := v.Set(&Resources{BlockIO: &BlockIO{Weight: ptr(uint16(200)), WeightDevice: []WeightDevice{{Major: 8, Minor: 0, Weight: ptr(uint16(50))}}}})
	if err != nil {
		t.Fatal(err)
	}
	wantWrites(t, w,
		"blkio/xrt/c1/blkio.weight=200", "blkio/xrt/c1/blkio.bfq.weight=200",
		"blkio/xrt/c1/blkio.weight_device=8:0 50", "blkio/xrt/c1/blkio.bfq.weight_device=8:0 50",
	)
	wantErr(t, v.Set(&Resources{BlockIO: &BlockIO{LeafWeight: ptr(uint16(200))}}), "blkio weights need the CFQ or BFQ I/O scheduler")
	wantNotMounted(t, setBlkioV1("", testBlockIO))
}

func TestIOV2(t *testing.T) {
	v, root := fakeV2(t, map[string]string{"io.weight": "default 100\n", "io.max": ""})
	w := recordWrites(t, root)
	warns := captureWarnings(t)
	if err := v.Set(&Resources{BlockIO: testBlockIO}); err != nil {
		t.Fatal(err)
	}
	wantWrites(t, w,
		"xrt/c1/io.weight=default 4950",
		"xrt/c1/io.weight=8:0 5960",
		"xrt/c1/io.weight=8:16 6970",
		"xrt/c1/io.max=8:0 rbps=600 riops=max wiops=300",
		"xrt/c1/io.max=8:16 wbps=700",
	)
	if len(*warns) != 2 {
		t.Errorf("want 2 leaf weight warnings, got %q", *warns)
	}
	// With BFQ: its own weight file, same scale as v1.
	put(t, v.dir+"/io.bfq.weight", "100\n")
	if err := v.Set(&Resources{BlockIO: &BlockIO{Weight: ptr(uint16(500)), WeightDevice: []WeightDevice{{Major: 8, Minor: 0, Weight: ptr(uint16(20))}}}}); err != nil {
		t.Fatal(err)
	}
	wantWrites(t, w, "xrt/c1/io.bfq.weight=500", "xrt/c1/io.bfq.weight=8:0 20")
}

func TestBlkioValidate(t *testing.T) {
	for _, tc := range []struct {
		b    BlockIO
		want string
	}{
		{BlockIO{Weight: ptr(uint16(5))}, "blkio weight 5 out of range 10..1000"},
		{BlockIO{LeafWeight: ptr(uint16(1001))}, "blkio leafWeight 1001 out of range 10..1000"},
		{BlockIO{WeightDevice: []WeightDevice{{Major: 8}}}, "blkio weightDevice 8:0: needs weight or leafWeight"},
		{BlockIO{WeightDevice: []WeightDevice{{Major: 8, Weight: ptr(uint16(1))}}}, "blkio weightDevice 8:0 weight 1 out of range"},
		{BlockIO{ThrottleReadBpsDevice: []ThrottleDevice{{Major: -1, Rate: 1}}}, "blkio throttleReadBpsDevice: device -1:0"},
	} {
		wantErr(t, (&Resources{BlockIO: &tc.b}).Validate(), tc.want)
	}
}

func TestBlkioStatsV1(t *testing.T) {
	v, _ := fakeV1(t, map[string]string{
		"blkio/blkio.bfq.io_service_bytes_recursive":      "Total 0\n",
		"blkio/blkio.throttle.io_service_bytes_recursive": "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\nTotal 12288\n",
		"blkio/blkio.throttle.io_serviced_recursive":      "8:0 Read 1\n8:0 Write 2\nTotal 3\n",
		"blkio/blkio.sectors_recursive":                   "8:0 24\n",
	})
	var st BlkioStats
	if err := statBlkioV1(v.dirs["blkio"], &st); err != nil {
		t.Fatal(err)
	}
	want := []BlkioEntry{{8, 0, "Read", 4096}, {8, 0, "Write", 8192}, {8, 0, "Sync", 0}}
	if !slices.Equal(st.IoServiceBytesRecursive, want) {
		t.Errorf("service bytes %+v", st.IoServiceBytesRecursive)
	}
	if len(st.IoServicedRecursive) != 2 || !slices.Equal(st.SectorsRecursive, []BlkioEntry{{8, 0, "", 24}}) {
		t.Errorf("%+v", st)
	}
}

func TestIOStatsV2(t *testing.T) {
	v, _ := fakeV2(t, map[string]string{"io.stat": "8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n"})
	var st BlkioStats
	if err := statIOV2(v.dir, &st); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(st.IoServiceBytesRecursive, []BlkioEntry{{8, 0, "Read", 100}, {8, 0, "Write", 200}}) ||
		!slices.Equal(st.IoServicedRecursive, []BlkioEntry{{8, 0, "Read", 1}, {8, 0, "Write", 2}}) {
		t.Errorf("%+v", st)
	}
}
