package containerinit

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// joinCgroup moves this thread, the one that execs, into the container's
// v1 cgroups by writing "0" to the "tasks" files the parent opened (it was
// born in the cgroup2 part). Only this thread moves, which spares the
// kernel's slow path for whole processes; the Go runtime's other threads
// die at exec, and everything the container runs descends from this one.
func joinCgroup() error {
	if lines := os.Getenv(EnvCgroupTasks); lines != "" {
		return joinBelowRoots(strings.Split(lines, "\n"))
	}
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

// joinBelowRoots is joinCgroup with "FD:PATH" lines (EnvCgroupTasks): the
// tasks files are opened here, below the hierarchies' mount points.
func joinBelowRoots(lines []string) error {
	for _, line := range lines {
		s, rel, ok := strings.Cut(line, ":")
		root, err := strconv.Atoi(s)
		if !ok || err != nil {
			return fmt.Errorf("join cgroup: bad line %q", line)
		}
		fd, err := unix.Openat(root, rel, unix.O_WRONLY|unix.O_CLOEXEC, 0)
		if err == nil {
			_, err = unix.Write(fd, []byte("0"))
			unix.Close(fd)
		}
		unix.Close(root)
		if err != nil {
			return fmt.Errorf("join cgroup: %s: %w", rel, err)
		}
	}
	return nil
}
