package image

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// tmpFilePrefix starts the temporary files writeFileAtomic leaves behind
// if it is killed; readers skip names starting with '.', Prune removes
// them.
const tmpFilePrefix = ".tmp-"

// writeFileAtomic replaces p with data so that readers, and a crash at
// any point, see either the old file or the whole new one.
func writeFileAtomic(p string, data []byte, perm os.FileMode) error {
	return replaceFile(p, data, perm, true)
}

// replaceFile replaces p with data through a renamed temporary file, so
// that readers see the old file or the whole new one. durable also syncs
// the file and the directory, for a crash of the machine; without it a
// power loss may lose the new file (fine for a cache).
func replaceFile(p string, data []byte, perm os.FileMode, durable bool) error {
	dir := filepath.Dir(p)
	f, err := os.CreateTemp(dir, tmpFilePrefix+filepath.Base(p)+".")
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil && durable {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", p, err)
	}
	if !durable {
		return nil
	}
	return syncDir(dir)
}

// syncDir makes the entries of dir (a rename, a new file) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// moveToTmp moves dir into the store's tmp/ under a fresh name starting
// with prefix, so that a crash while it is deleted leaves no half entry
// where it was.
func moveToTmp(tmpDir, dir, prefix string) (string, error) {
	dst, err := os.MkdirTemp(tmpDir, prefix)
	if err != nil {
		return "", err
	}
	// rename(2) replaces an empty directory; os.Rename refuses to.
	if err := unix.Rename(dir, dst); err != nil {
		os.Remove(dst)
		return "", &os.LinkError{Op: "rename", Old: dir, New: dst, Err: err}
	}
	return dst, nil
}

func isTmpFile(name string) bool { return strings.HasPrefix(name, tmpFilePrefix) }
