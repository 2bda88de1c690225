// Package containerid holds the one rule for container ids, runc's: one or
// more of the letters, digits, '_', '+', '-' and '.', but not "." or "..".
// Such an id is safe as one path component under --root, in the image
// store and in overlay mount options, and engines' ids (hex digests, pod
// and container names) all fit it.
package containerid

import "fmt"

// MaxLen bounds an id: longer ones are a mistake, and a path component
// may not exceed 255 bytes on most filesystems.
const MaxLen = 255

// Validate returns an error that names the problem when id breaks the rule.
func Validate(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("invalid container id: it must not be empty")
	case id == "." || id == "..":
		return fmt.Errorf("invalid container id %q: it must not be \".\" or \"..\"", id)
	case len(id) > MaxLen:
		return fmt.Errorf("invalid container id: longer than %d bytes", MaxLen)
	}
	for _, c := range []byte(id) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '_' || c == '+' || c == '-' || c == '.'
		if !ok {
			return fmt.Errorf("invalid container id %q: character %q not allowed (use letters, digits, '_', '+', '-' and '.')", id, c)
		}
	}
	return nil
}
