package container

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"xrt/containerid"
)

// ValidateID refuses ids that could escape --root or confuse engines:
// runc's rule (package containerid), shared with the image store.
func ValidateID(id string) error { return containerid.Validate(id) }

// ErrExist is what the error for a taken container id matches (errors.Is).
var ErrExist = errors.New("container exists")

type existError string

func (id existError) Error() string {
	return fmt.Sprintf("container %q already exists: pick another id or `xrt delete %s` first", string(id), string(id))
}

func (existError) Is(target error) bool { return target == ErrExist }

// AlreadyExists is the error for creating container id when it exists.
func AlreadyExists(id string) error { return existError(id) }

// Exists reports whether root has a container id (in any state).
func Exists(root, id string) bool {
	_, err := os.Lstat(filepath.Join(root, id))
	return err == nil
}
