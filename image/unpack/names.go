package unpack

import (
	"errors"
	"path"
	"strings"
)

// errEscape marks a name or link target that would leave the layer directory.
var errEscape = errors.New("path escapes the layer directory")

const (
	whiteoutPrefix = ".wh."
	// whiteoutMeta prefixes the aufs-era special names (.wh..wh.plnk, ...);
	// only opaqueMarker among them means something to an overlay layer.
	whiteoutMeta = ".wh..wh."
	opaqueMarker = ".wh..wh..opq"
)

// cleanName turns a tar entry name or hard link target into a clean path
// relative to the layer root ("." for the root itself). Leading slashes are
// dropped as GNU tar does; a ".." that would climb above the root is an error
// rather than being clamped, since no honest layer contains one.
func cleanName(name string) (string, error) {
	if name == "" {
		return "", errors.New("empty path")
	}
	if strings.IndexByte(name, 0) >= 0 {
		return "", errors.New("path contains a NUL byte")
	}
	name = path.Clean(strings.TrimLeft(name, "/"))
	if name == ".." || strings.HasPrefix(name, "../") {
		return "", errEscape
	}
	return name, nil
}

// splitName splits a clean, non-root name into its parent ("." for the
// root) and its final component.
func splitName(name string) (parent, base string) {
	i := strings.LastIndexByte(name, '/')
	if i < 0 {
		return ".", name
	}
	return name[:i], name[i+1:]
}

// hasWhiteoutDir reports whether a component of the clean parent path is a
// whiteout name: such paths cannot exist in an image.
func hasWhiteoutDir(parent string) bool {
	for parent != "." && parent != "" {
		var base string
		parent, base = splitName(parent)
		if strings.HasPrefix(base, whiteoutPrefix) {
			return true
		}
	}
	return false
}
