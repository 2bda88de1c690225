package container

import (
	"testing"

	"xrt/cgroups"
)

func TestHoldBackPids(t *testing.T) {
	lim := int64(5)
	mem := int64(1 << 20)
	r := &cgroups.Resources{
		Pids:    &cgroups.Pids{Limit: &lim},
		Memory:  &cgroups.Memory{Limit: &mem},
		Unified: map[string]string{"pids.max": "7", "memory.high": "100"},
	}
	now, late := holdBackPids(r)
	if now.Pids != nil || now.Memory == nil || now.Unified["pids.max"] != "" || now.Unified["memory.high"] != "100" {
		t.Errorf("now = %+v", now)
	}
	if late == nil || late.Pids == nil || *late.Pids.Limit != 5 || late.Unified["pids.max"] != "7" || late.Memory != nil {
		t.Errorf("late = %+v", late)
	}
	// The caller's resources are untouched.
	if r.Pids == nil || r.Unified["pids.max"] != "7" {
		t.Errorf("r changed: %+v", r)
	}

	// Nothing to hold back.
	r = &cgroups.Resources{Memory: &cgroups.Memory{Limit: &mem}}
	if now, late := holdBackPids(r); now != r || late != nil {
		t.Errorf("no pids limit: now %+v, late %+v", now, late)
	}
	if now, late := holdBackPids(nil); now != nil || late != nil {
		t.Errorf("nil: %v, %v", now, late)
	}
}
