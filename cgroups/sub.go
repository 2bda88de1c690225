package cgroups

import (
	"fmt"
	"os"
	"path"
	"slices"
	"strings"
)

// Join names the directories a process joins: the cgroup2 directory it is
// born in (CLONE_INTO_CGROUP; "" for none) and the v1 "tasks" files its
// thread writes itself into. See Manager.ThreadFiles.
type Join struct {
	Dir   string
	Tasks []string
	// Roots are the mount points of the hierarchies of Tasks, in order
	// (each task file is below its root), when JoinOf knows them.
	Roots []string
}

// ApplyFirst creates m's cgroup as m.Apply(-1) does, but on a v1 host only
// its cgroup2 part, if it has one: what a process born in the cgroup
// (CLONE_INTO_CGROUP) needs. The v1 hierarchies are then made by rest,
// which create runs while init starts, before init joins them; rest is
// nil when nothing is left.
func ApplyFirst(m Manager) (rest func() error, err error) {
	v, ok := m.(*v1Manager)
	if !ok || len(v.hier) == 0 {
		return nil, m.Apply(-1)
	}
	if v.unified != nil {
		if err := v.unified.Apply(-1); err != nil {
			return nil, err
		}
	}
	return func() error { return v.applyHierarchies(-1) }, nil
}

// SubJoin is where `exec --cgroup` puts a process: in existing
// sub-cgroups of m. Each spec is "PATH" (every controller) or
// "CTRL[,CTRL...]:PATH" (those v1 controllers), PATH relative to m's
// cgroup. cgroup v2 has one tree, so there only a single PATH is valid.
// With no specs it is m's own cgroup.
func SubJoin(m Manager, specs []string) (*Join, error) {
	all, byCtrl, err := parseSubSpecs(specs)
	if err != nil {
		return nil, err
	}
	j := &Join{}
	if s, ok := m.(*systemdManager); ok && s.v2 != nil {
		m = s.v2 // a systemd unit's cgroup is a v2 directory
	}
	switch v := m.(type) {
	case *v2Manager:
		if len(byCtrl) > 0 {
			return nil, fmt.Errorf("exec --cgroup: cgroup v2 has one tree: give a PATH without controllers")
		}
		j.Dir = path.Join(v.dir, all)
	case *v1Manager:
		for _, h := range v.hier {
			sub := all
			named := true // a hierarchy without controllers (name=systemd)
			for c, d := range v.dirs {
				if d == h.dir {
					named = false
					if p, ok := byCtrl[c]; ok {
						sub = p
					}
				}
			}
			tasks := path.Join(h.dir, sub, "tasks")
			if named && !exists(path.Dir(tasks)) {
				// No limits there: the container's own cgroup will do.
				tasks = path.Join(h.dir, "tasks")
			}
			j.Tasks = append(j.Tasks, tasks)
		}
		for c := range byCtrl {
			if _, ok := v.dirs[c]; !ok {
				return nil, fmt.Errorf("exec --cgroup: unknown controller %q (not mounted on this host)", c)
			}
		}
		if v.unified != nil {
			j.Dir = path.Join(v.unified.dir, all)
		}
	default:
		return nil, fmt.Errorf("exec --cgroup: unsupported cgroup manager %T", m)
	}
	for _, d := range append(j.Tasks, j.Dir) {
		if d == "" {
			continue
		}
		if _, err := os.Stat(d); err != nil {
			return nil, fmt.Errorf("exec --cgroup: adding pid to cgroup %s: the sub-cgroup must exist: %w", path.Dir(d), err)
		}
	}
	return j, nil
}

// parseSubSpecs splits --cgroup values into the path for every controller
// and per-controller paths, refusing paths that leave the container's
// cgroup. "/" is the container's own cgroup.
func parseSubSpecs(specs []string) (all string, byCtrl map[string]string, err error) {
	byCtrl = map[string]string{}
	allGiven := false
	for _, s := range specs {
		ctrls, p, hasCtrls := strings.Cut(s, ":")
		if !hasCtrls {
			ctrls, p = "", s
		}
		if p == "" || slices.Contains(strings.Split(p, "/"), "..") {
			return "", nil, fmt.Errorf("exec --cgroup %q: bad sub cgroup path: want [CONTROLLER[,CONTROLLER]:]PATH, a sub-cgroup of the container's without \"..\"", s)
		}
		clean := path.Clean("/" + p)
		if !hasCtrls {
			if allGiven {
				return "", nil, fmt.Errorf("exec --cgroup %q: a path for every controller was already given", s)
			}
			all, allGiven = clean, true
			continue
		}
		for _, c := range strings.Split(ctrls, ",") {
			if c == "" {
				return "", nil, fmt.Errorf("exec --cgroup %q: empty controller name", s)
			}
			byCtrl[c] = clean
		}
	}
	return all, byCtrl, nil
}

// JoinOf is where a process joins m's own cgroup (nil for a nil m).
func JoinOf(m Manager) *Join {
	if m == nil {
		return nil
	}
	j := &Join{Dir: m.Path(""), Tasks: m.ThreadFiles()}
	if v, ok := m.(*v1Manager); ok {
		for _, h := range v.hier {
			j.Roots = append(j.Roots, h.mountpoint)
		}
	}
	return j
}

// ExecJoinOf is where an exec'd process joins a container whose init is
// initPid: m's own cgroup, unless that is a cgroup v2 directory which can
// hold no process any more because the container enabled controllers for
// its children in cgroup.subtree_control (the kernel's "no internal
// processes" rule: CLONE_INTO_CGROUP fails with EBUSY). Then it is init's
// cgroup, wherever below m's the container moved it, as with runc.
func ExecJoinOf(m Manager, initPid int) *Join {
	j := JoinOf(m)
	if s, ok := m.(*systemdManager); ok && s.v2 != nil {
		m = s.v2
	}
	v, ok := m.(*v2Manager)
	if !ok || initPid <= 0 {
		return j
	}
	if ctl, err := readTrim(v.dir, "cgroup.subtree_control"); err != nil || ctl == "" {
		return j
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", initPid))
	if err != nil {
		return j
	}
	if dir := belowV2(v, string(b)); dir != "" {
		return &Join{Dir: dir}
	}
	return j
}

// belowV2 is the directory of the v2 cgroup that procCgroup (a
// /proc/PID/cgroup) names, when it lies below v's; else "".
func belowV2(v *v2Manager, procCgroup string) string {
	for line := range strings.Lines(procCgroup) {
		p, ok := strings.CutPrefix(strings.TrimSpace(line), "0::")
		if !ok {
			continue
		}
		if dir := path.Join(v.mountpoint, p); strings.HasPrefix(dir, v.dir+"/") {
			return dir
		}
	}
	return ""
}
