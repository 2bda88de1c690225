package cgroups

import "testing"

func TestRdma(t *testing.T) {
	limits := map[string]Rdma{
		"mlx5_1": {HcaHandles: ptr(uint32(3)), HcaObjects: ptr(uint32(10000))},
		"mlx4_0": {HcaObjects: ptr(uint32(1000))},
		"rxe3":   {HcaHandles: ptr(uint32(2))},
	}
	v, root := fakeV1(t, map[string]string{"rdma/rdma.max": ""})
	w := recordWrites(t, root)
	if err := v.Set(&Resources{Rdma: limits}); err != nil {
		t.Fatal(err)
	}
	wantWrites(t, w,
		"rdma/xrt/c1/rdma.max=mlx4_0 hca_object=1000",
		"rdma/xrt/c1/rdma.max=mlx5_1 hca_handle=3 hca_object=10000",
		"rdma/xrt/c1/rdma.max=rxe3 hca_handle=2",
	)
	v2, root2 := fakeV2(t, map[string]string{"rdma.max": ""})
	w2 := recordWrites(t, root2)
	if err := v2.Set(&Resources{Rdma: map[string]Rdma{"mlx4_0": {HcaObjects: ptr(uint32(1))}}}); err != nil {
		t.Fatal(err)
	}
	wantWrites(t, w2, "xrt/c1/rdma.max=mlx4_0 hca_object=1")
	wantErr(t, v.Set(&Resources{Rdma: map[string]Rdma{"mlx4_0": {}}}), "rdma mlx4_0: needs hcaHandles or hcaObjects")
	wantErr(t, v.Set(&Resources{Rdma: map[string]Rdma{"a b": {HcaObjects: ptr(uint32(1))}}}), `rdma: device name "a b" is not valid`)
	wantNotMounted(t, setRdma("", limits))
}
