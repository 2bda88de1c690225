package container

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"xrt/console"
)

// terminalConn returns the connected socket that init sends the pty master
// on: the engine's --console-socket, or, in the foreground with none, one
// end of a socket pair whose other end (ours) xrt reads the master from.
func terminalConn(socketPath string, foreground bool) (initEnd, ours *os.File, err error) {
	if socketPath != "" {
		f, err := console.Dial(socketPath)
		return f, nil, err
	}
	if !foreground {
		return nil, nil, errors.New("process.terminal is true but no --console-socket was given: pass one, or run in the foreground")
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("terminal: socketpair: %w", err)
	}
	return os.NewFile(uintptr(fds[0]), "console-init"), os.NewFile(uintptr(fds[1]), "console"), nil
}

// receiveMaster reads the pty master that init sent on ours.
func receiveMaster(ours *os.File) (*os.File, error) {
	defer ours.Close()
	_, master, err := console.RecvFd(ours)
	if err != nil {
		return nil, fmt.Errorf("terminal: receive the pty master: %w", err)
	}
	// xrt proxies this pty to its caller: output reads like a pipe's
	// ("\n", not "\r\n"), as with runc; cleared before the program runs.
	console.ClearONLCR(master)
	return master, nil
}
