package cgroups

import (
	"testing"
)

func TestFreezerV1Fake(t *testing.T) {
	v, root := fakeV1(t, map[string]string{"freezer/freezer.state": "THAWED\n"})
	w := recordWrites(t, root)
	// A plain file reads back what was written: FROZEN at once.
	if err := v.Freeze(); err != nil {
		t.Fatal(err)
	}
	if s, err := v.State(); err != nil || s != Frozen {
		t.Errorf("State = %q, %v", s, err)
	}
	if err := v.Thaw(); err != nil {
		t.Fatal(err)
	}
	wantWrites(t, w, "freezer/xrt/c1/freezer.state=FROZEN", "freezer/xrt/c1/freezer.state=THAWED")
	if s, _ := v.State(); s != Thawed {
		t.Errorf("State = %q", s)
	}
	// No freezer hierarchy, no cgroup2 tree.
	delete(v.dirs, "freezer")
	wantNotMounted(t, v.Freeze())
	if s, err := v.State(); err != nil || s != Thawed {
		t.Errorf("State without freezer = %q, %v", s, err)
	}
}

func TestFreezerV2Fake(t *testing.T) {
	v, _ := fakeV2(t, map[string]string{"cgroup.freeze": "0\n", "cgroup.events": "populated 1\nfrozen 0\n"})
	if s, err := v.State(); err != nil || s != Thawed {
		t.Errorf("State = %q, %v", s, err)
	}
	put(t, v.dir+"/cgroup.freeze", "1\n")
	if s, _ := v.State(); s != Freezing {
		t.Errorf("State = %q, want FREEZING", s)
	}
	put(t, v.dir+"/cgroup.events", "populated 1\nfrozen 1\n")
	if s, _ := v.State(); s != Frozen {
		t.Errorf("State = %q, want FROZEN", s)
	}
	if err := v.Freeze(); err != nil {
		t.Fatal(err)
	}
	if err := v.Thaw(); err != nil {
		t.Fatal(err)
	}
	if got := get(t, v.dir+"/cgroup.freeze"); got != "0" {
		t.Errorf("cgroup.freeze = %q", got)
	}
}
