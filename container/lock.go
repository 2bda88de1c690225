package container

import (
	"fmt"
	"os"
	"path/filepath"

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
// The state is read once the lock is held: it may have been deleted while
// we waited.
func Locked(root, id string) (*Container, error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	l, err := lockDir(filepath.Join(root, id))
	if err != nil {
		return nil, notExistError(id)
	}
	c, err := Load(root, id)
	if err != nil {
		l.unlock()
		return nil, err
	}
	c.lock = l
	return c, nil
}

// Unlock releases the lock taken by Locked.
func (c *Container) Unlock() { c.lock.unlock() }
