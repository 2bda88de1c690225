package container

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// lock serializes commands on one container: flock on its state directory,
// released when the process exits or unlock is called.
type lock struct{ f *os.File }

func lockDir(dir string) (*lock, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	return &lock{f}, nil
}

func (l *lock) unlock() {
	if l != nil {
		l.f.Close()
	}
}

// Locked loads container id with its lock held; call Unlock when done.
func Locked(root, id string) (*Container, error) {
	c, err := Load(root, id)
	if err != nil {
		return nil, err
	}
	l, err := lockDir(c.dir)
	if err != nil {
		return nil, notExistError(id)
	}
	// It may have been deleted while we waited for the lock.
	c2, err := Load(root, id)
	if err != nil {
		l.unlock()
		return nil, err
	}
	c2.lock = l
	return c2, nil
}

// Unlock releases the lock taken by Locked.
func (c *Container) Unlock() { c.lock.unlock() }
