package containerinit

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// closeOnExecFrom marks every fd from first on close-on-exec, so that
// only stdio and the preserved fds reach the container's program while
// init can still use its own until execve. close_range needs Linux 5.9;
// older kernels get the same from a walk of /proc/self/fd.
func closeOnExecFrom(first int) error {
	err := unix.CloseRange(uint(first), ^uint(0), unix.CLOSE_RANGE_CLOEXEC)
	if err == nil {
		return nil
	}
	d, derr := os.Open("/proc/self/fd")
	if derr != nil {
		return fmt.Errorf("close fds: close_range: %v; list /proc/self/fd: %w", err, derr)
	}
	defer d.Close()
	names, derr := d.Readdirnames(-1)
	if derr != nil {
		return fmt.Errorf("close fds: list /proc/self/fd: %w", derr)
	}
	for _, name := range names {
		fd, err := strconv.Atoi(name)
		if err != nil || fd < first || fd == int(d.Fd()) {
			continue
		}
		// EBADF: an fd of the listing itself, gone since.
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC); err != nil && err != unix.EBADF {
			return fmt.Errorf("close fds: mark fd %d close-on-exec: %w", fd, err)
		}
	}
	return nil
}
