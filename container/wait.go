package container

import (
	"os"

	"golang.org/x/sys/unix"
)

// WaitForwarding waits for pid, our child (xrt is a subreaper), forwarding
// every signal we receive to it, and returns its shell-style exit status.
func WaitForwarding(pid int, sigs chan os.Signal) int {
	done := make(chan unix.WaitStatus, 1)
	go func() {
		var ws unix.WaitStatus
		for {
			_, err := unix.Wait4(pid, &ws, 0, nil)
			if err != unix.EINTR {
				break
			}
		}
		done <- ws
	}()
	for {
		select {
		case s := <-sigs:
			sig := s.(unix.Signal)
			if sig == unix.SIGCHLD || sig == unix.SIGURG || sig == unix.SIGWINCH {
				continue
			}
			unix.Kill(pid, sig)
		case ws := <-done:
			if ws.Signaled() {
				return 128 + int(ws.Signal())
			}
			return ws.ExitStatus()
		}
	}
}
