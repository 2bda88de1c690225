// Package console creates pseudo-terminals for containers and hands their
// master side to whoever manages the terminal (an engine's console socket,
// or xrt itself in foreground mode).
//
// Inside the container the runtime calls NewPty on the container's own
// devpts (after pivot_root), SetSize, then MakeControlling in the process
// that becomes the container's init (after setsid), and sends the master
// with SendFdOn over a console socket connection opened before pivot_root.
package console

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// NewPty opens the pty multiplexer at ptmx (normally "/dev/pts/ptmx" or
// "/dev/ptmx", as seen from the caller's mount namespace), unlocks the new
// pty and opens its slave. Both files are O_NOCTTY and close-on-exec.
//
// The slave is opened through the master with TIOCGPTPEER (Linux 4.13+),
// so it is always the peer of this master whatever is mounted where; on
// kernels without it the slave is opened by name. The slave's Name() is
// the pty's name ("/dev/pts/N"), which is what goes into the console
// socket payload.
func NewPty(ptmx string) (master *os.File, slave *os.File, err error) {
	mfd, err := unix.Open(ptmx, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("open %s: %w", ptmx, err)
	}
	master = os.NewFile(uintptr(mfd), ptmx)
	defer func() {
		if err != nil {
			master.Close()
			master = nil
		}
	}()

	if err := unix.IoctlSetPointerInt(mfd, unix.TIOCSPTLCK, 0); err != nil {
		return nil, nil, fmt.Errorf("unlock pty %s: TIOCSPTLCK: %w", ptmx, err)
	}
	n, err := unix.IoctlGetUint32(mfd, unix.TIOCGPTN)
	if err != nil {
		return nil, nil, fmt.Errorf("pty number of %s: TIOCGPTN: %w", ptmx, err)
	}
	name := filepath.Join(ptsDir(ptmx), strconv.FormatUint(uint64(n), 10))

	const slaveFlags = unix.O_RDWR | unix.O_NOCTTY | unix.O_CLOEXEC
	sfd, err := ptyPeer(mfd, slaveFlags)
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOTTY) {
		// No TIOCGPTPEER (before Linux 4.13): open the slave by name.
		sfd, err = unix.Open(name, slaveFlags, 0)
		if err != nil {
			return nil, nil, fmt.Errorf("open pty slave %s: %w", name, err)
		}
	} else if err != nil {
		return nil, nil, fmt.Errorf("open pty slave %s: TIOCGPTPEER: %w", name, err)
	}
	return master, os.NewFile(uintptr(sfd), name), nil
}

// ptyPeer opens the slave of the master mfd with TIOCGPTPEER. The ioctl's
// argument is the open flags, passed by value, which none of the x/sys
// ioctl helpers does (IoctlRetInt passes 0, i.e. O_RDONLY).
func ptyPeer(mfd int, flags int) (int, error) {
	for {
		fd, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(mfd), uintptr(unix.TIOCGPTPEER), uintptr(flags))
		switch errno {
		case 0:
			return int(fd), nil
		case unix.EINTR:
			continue
		default:
			return -1, errno
		}
	}
}

// ptsDir is the devpts directory that the multiplexer at ptmx belongs to:
// "/dev/pts/ptmx" -> "/dev/pts", "/dev/ptmx" -> "/dev/pts".
func ptsDir(ptmx string) string {
	dir := filepath.Dir(filepath.Clean(ptmx))
	if filepath.Base(dir) == "pts" {
		return dir
	}
	return filepath.Join(dir, "pts")
}

// MakeControlling makes slave the controlling terminal of the calling
// process's session (the caller must already be a session leader without
// a controlling terminal: setsid is the caller's job) and dup2s it onto
// stdin, stdout and stderr. The copies on 0, 1 and 2 are not close-on-exec;
// slave itself is left open for the caller to close (it is close-on-exec
// when it came from NewPty).
func MakeControlling(slave *os.File) error {
	fd := int(slave.Fd())
	if err := unix.IoctlSetInt(fd, unix.TIOCSCTTY, 0); err != nil {
		return fmt.Errorf("make %s the controlling terminal: TIOCSCTTY: %w", slave.Name(), err)
	}
	for target := 0; target <= 2; target++ {
		if fd == target {
			// dup3 refuses oldfd == newfd: just make sure it survives exec.
			if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil {
				return fmt.Errorf("clear close-on-exec on fd %d: %w", fd, err)
			}
			continue
		}
		if err := unix.Dup3(fd, target, 0); err != nil {
			return fmt.Errorf("dup %s onto fd %d: %w", slave.Name(), target, err)
		}
	}
	return nil
}
