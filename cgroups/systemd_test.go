package cgroups

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// Without systemd as init (this project's host), the driver fails at once
// with an error that says why and what to do; a create then stops before
// it makes anything.
func TestSystemdNotRunning(t *testing.T) {
	if systemdBooted() {
		t.Skip("systemd is the init system here")
	}
	_, err := NewSystemd(SystemdConfig{Unit: SystemdUnit{Slice: "system.slice", Unit: "xrt-a.scope"}})
	if !errors.Is(err, ErrNoSystemd) || !strings.Contains(err.Error(), "--systemd-cgroup") {
		t.Errorf("NewSystemd without systemd: %v", err)
	}
	if _, err := dialSystemd(context.Background(), false); !errors.Is(err, ErrNoSystemd) {
		t.Errorf("dial without systemd: %v", err)
	}
	if SystemdAvailable(false) == nil || SystemdAvailable(true) == nil {
		t.Error("SystemdAvailable: want an error without systemd")
	}
}

// A manager opened from the state of a unit that never started has no
// cgroup: its reads are empty, and Destroy without systemd is a no-op.
func TestSystemdOpenUnstarted(t *testing.T) {
	m, err := OpenSystemd("xrt-a.scope", false, "")
	if err != nil {
		t.Fatal(err)
	}
	if m.Path("") != "" || SystemdCgroupOf(m) != "" || !NeedsPid(m) {
		t.Errorf("unstarted: path %q", m.Path(""))
	}
	if pids, err := m.Pids(); err != nil || len(pids) != 0 {
		t.Errorf("Pids: %v, %v", pids, err)
	}
	if !systemdBooted() {
		if err := m.Destroy(); err != nil {
			t.Errorf("Destroy without systemd: %v", err)
		}
	}
	m, err = OpenSystemd("xrt-a.scope", false, "/system.slice/xrt-a.scope")
	if err != nil {
		t.Fatal(err)
	}
	if m.Path("") != "/sys/fs/cgroup/system.slice/xrt-a.scope" || SystemdCgroupOf(m) != "/system.slice/xrt-a.scope" {
		t.Errorf("opened: path %q, cgroup %q", m.Path(""), SystemdCgroupOf(m))
	}
	if _, err := OpenSystemd("u.scope", false, "relative"); err == nil {
		t.Error("OpenSystemd with a relative path: no error")
	}
}

func TestUnitInUseError(t *testing.T) {
	inner := errors.New("UnitExists")
	err := fmt.Errorf("create: %w", unitInUseError{fmt.Errorf("container's cgroup is not empty: %w", inner)})
	if !errors.Is(err, ErrUnitInUse) || !errors.Is(err, inner) {
		t.Errorf("%v: not ErrUnitInUse and its cause", err)
	}
	if errors.Is(errors.New("other"), ErrUnitInUse) {
		t.Error("any error is ErrUnitInUse")
	}
}
