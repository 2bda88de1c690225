package containerinit

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// closeOnExecFrom marks every fd from lo up close-on-exec, so that only
// stdio and the preserved fds reach the container's program.
// close_range(CLOSE_RANGE_CLOEXEC) does it in one call from Linux 5.11;
// before, each fd listed in /proc/self/fd gets FD_CLOEXEC.
func closeOnExecFrom(lo int) error {
	err := unix.CloseRange(uint(lo), ^uint(0), unix.CLOSE_RANGE_CLOEXEC)
	if err != unix.ENOSYS && err != unix.EINVAL {
		if err != nil {
			return stepError(stepWords["closefds"], err)
		}
		return nil
	}
	return cloexecEach(lo)
}

// cloexecEach sets FD_CLOEXEC on each open fd from lo up, one by one.
func cloexecEach(lo int) error {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return fmt.Errorf("close fds: list /proc/self/fd: %w", err)
	}
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd < lo {
			continue
		}
		// EBADF: the fd of the listing itself, closed by now.
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC); err != nil && err != unix.EBADF {
			return fmt.Errorf("close fds: fd %d: %w", fd, err)
		}
	}
	return nil
}
