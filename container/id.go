package container

import (
	"fmt"
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
