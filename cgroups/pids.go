package cgroups

import "fmt"

// The pids controller: pids.max on v1 and v2 ("max" for -1; 0 is a valid
// limit).

func validatePids(p *Pids) error {
	if p.Limit != nil && *p.Limit < -1 {
		return fmt.Errorf("pids limit %d must be -1 (unlimited) or >= 0", *p.Limit)
	}
	return nil
}

func setPids(dir string, p *Pids) error {
	if p.Limit == nil {
		return nil
	}
	if dir == "" {
		return notMounted("pids limit", "pids")
	}
	return writeFile(dir, "pids.max", maxOr64(*p.Limit))
}

func statPids(dir string, st *PidsStats) error {
	cur, err := readUint(dir, "pids.current")
	if err != nil {
		if notExist(err) {
			return nil
		}
		return err
	}
	st.Current = cur
	if s, err := readFile(dir, "pids.max"); err == nil {
		st.Limit = parseUintOrMax(s)
	}
	return nil
}
