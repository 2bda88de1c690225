package containerinit

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// joinCgroup moves this thread, the one that execs, into the container's
// v1 cgroups by writing "0" to the "tasks" files the parent opened (it was
// born in the cgroup2 part). Only this thread moves, which spares the
// kernel's slow path for whole processes; the Go runtime's other threads
// die at exec, and everything the container runs descends from this one.
func joinCgroup() error {
	list := os.Getenv(EnvCgroup)
	if list == "" {
		return nil
	}
	for _, s := range strings.Split(list, ",") {
		fd, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("join cgroup: bad fd %q", s)
		}
		f := os.NewFile(uintptr(fd), "tasks")
		_, err = f.Write([]byte("0"))
		f.Close()
		if err != nil {
			return fmt.Errorf("join cgroup: %w", err)
		}
	}
	return nil
}
