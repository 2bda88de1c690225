package cgroups

// Teardown is what deleting a cgroup touches, spelled out as paths for a
// process that has no Manager: the C fast path of `xrt delete`
// (faststart/), which runs before the Go runtime. It mirrors, in order,
// what State, Thaw, Pids, Kill and Destroy do.
type Teardown struct {
	// Dirs are the directories Destroy removes (each with its children).
	Dirs []string
	// Procs is the directory whose cgroup.procs, with those of the
	// cgroups below it, lists every process of the cgroup (Pids).
	Procs string
	// Kill is the cgroup2 directory whose cgroup.kill Kill writes; ""
	// when there is none (legacy hosts).
	Kill string
	// Freezer is the file State reads and Thaw writes: a v1
	// freezer.state or a v2 cgroup.freeze; "" when the cgroup has none.
	Freezer string
}

// TeardownOf spells out m's teardown; false for a manager it cannot (the
// systemd driver, whose unit goes through D-Bus).
func TeardownOf(m Manager) (Teardown, bool) {
	switch v := m.(type) {
	case *v2Manager:
		return Teardown{Dirs: []string{v.dir}, Procs: v.dir, Kill: v.dir, Freezer: v.dir + "/cgroup.freeze"}, true
	case *v1Manager:
		t := Teardown{Procs: v.procsDir()}
		for _, h := range v.hier {
			t.Dirs = append(t.Dirs, h.dir)
		}
		if v.unified != nil {
			t.Dirs = append(t.Dirs, v.unified.dir)
			t.Kill = v.unified.dir
		}
		// As State and Thaw choose.
		if d := v.dirs["freezer"]; d != "" {
			t.Freezer = d + "/freezer.state"
		} else if v.unified != nil {
			t.Freezer = v.unified.dir + "/cgroup.freeze"
		}
		return t, true
	}
	return Teardown{}, false
}
