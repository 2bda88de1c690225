package container

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ValidateID refuses ids that could escape --root or confuse engines.
func ValidateID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("invalid container id: it must not be empty")
	case id == "." || id == ".." || strings.ContainsAny(id, "/\x00"):
		return fmt.Errorf("invalid container id %q: it must not be . or .. or contain /", id)
	case len(id) > 1024:
		return fmt.Errorf("invalid container id: longer than 1024 bytes")
	}
	for _, r := range id {
		if r < 0x21 || r > 0x7e {
			return fmt.Errorf("invalid container id %q: use printable ASCII without spaces", id)
		}
	}
	return nil
}

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
