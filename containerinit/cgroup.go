package containerinit

import (
	"fmt"
	"os"
)

// joinCgroup starts moving init into its cgroup on another thread and
// returns the wait for it. That thread keeps root's credentials: only the
// thread that execs drops them. On cgroup v1 the first move waits for an
// RCU grace period, 10 to 25 ms on small VMs, which the rest of the setup
// now hides. The files are opened here, before pivot_root hides the host's
// /sys/fs/cgroup.
func joinCgroup(procsFiles []string) func() error {
	done := make(chan error, 1)
	files := make([]*os.File, 0, len(procsFiles))
	for _, name := range procsFiles {
		f, err := os.OpenFile(name, os.O_WRONLY, 0)
		if err != nil {
			done <- fmt.Errorf("join cgroup: %w", err)
			break
		}
		files = append(files, f)
	}
	if len(files) == len(procsFiles) {
		go func() {
			var err error
			for _, f := range files {
				// "0" is the writer's own thread group: all of init.
				if _, werr := f.Write([]byte("0")); werr != nil && err == nil {
					err = fmt.Errorf("join cgroup: write %s: %w", f.Name(), werr)
				}
			}
			done <- err
		}()
	}
	var err error
	waited := false
	return func() error {
		if !waited {
			err, waited = <-done, true
			for _, f := range files {
				f.Close()
			}
		}
		return err
	}
}
