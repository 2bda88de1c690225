package cgroups

import "testing"

func TestNetworkV1(t *testing.T) {
	v, root := fakeV1(t, map[string]string{"net_cls/net_cls.classid": "0\n", "net_prio/net_prio.ifpriomap": ""})
	w := recordWrites(t, root)
	err := v.Set(&Resources{Network: &Network{ClassID: ptr(uint32(1048577)), Priorities: []InterfacePriority{{"eth0", 500}, {"eth1", 1000}}}})
	if err != nil {
		t.Fatal(err)
	}
	wantWrites(t, w,
		"net_cls,net_prio/xrt/c1/net_cls.classid=1048577",
		"net_cls,net_prio/xrt/c1/net_prio.ifpriomap=eth0 500",
		"net_cls,net_prio/xrt/c1/net_prio.ifpriomap=eth1 1000",
	)
	delete(v.dirs, "net_cls")
	err = v.Set(&Resources{Network: &Network{ClassID: ptr(uint32(1))}})
	wantNotMounted(t, err)
	wantErr(t, err, "network classID requested but the net_cls controller is not mounted on this host")
	delete(v.dirs, "net_prio")
	wantErr(t, v.Set(&Resources{Network: &Network{Priorities: []InterfacePriority{{"eth0", 1}}}}), "net_prio controller is not mounted")
	wantErr(t, v.Set(&Resources{Network: &Network{Priorities: []InterfacePriority{{"eth 0", 1}}}}), `interface name "eth 0" is not valid`)
}

func TestNetworkV2(t *testing.T) {
	v, _ := fakeV2(t, nil)
	wantErr(t, v.Set(&Resources{Network: &Network{ClassID: ptr(uint32(1))}}), "cgroup v2 has no equivalent")
	if err := v.Set(&Resources{Network: &Network{}}); err != nil {
		t.Fatal(err)
	}
}
