package container

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"xrt/console"
)

// sendPidfd sends a pidfd of pid over the unix socket at path, the way
// --console-socket carries the pty master (runc's --pidfd-socket).
func sendPidfd(path string, pid int) error {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return fmt.Errorf("--pidfd-socket: pidfd_open %d: %w", pid, err)
	}
	f := os.NewFile(uintptr(fd), "pidfd")
	defer f.Close()
	if err := console.SendFd(path, "pidfd", f); err != nil {
		return fmt.Errorf("--pidfd-socket %s: %w", path, err)
	}
	return nil
}
