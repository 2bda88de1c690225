package image

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// flock opens (creating) the lock file p and takes a flock(2) lock on it:
// unix.LOCK_EX or unix.LOCK_SH, with unix.LOCK_NB to try without
// waiting. The lock belongs to the open file, so goroutines of one
// process exclude each other like processes do. It returns nil, nil when
// LOCK_NB was given and the lock is held elsewhere. Close the file to
// unlock; a process that dies unlocks too.
func flock(p string, how int) (*os.File, error) {
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w", p, err)
	}
	for {
		err = unix.Flock(int(f.Fd()), how)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		if how&unix.LOCK_NB != 0 && errors.Is(err, unix.EWOULDBLOCK) {
			return nil, nil
		}
		return nil, fmt.Errorf("lock %s: %w", p, err)
	}
	return f, nil
}
