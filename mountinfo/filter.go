package mountinfo

import (
	"path/filepath"
	"strings"
)

// PrefixFilter keeps the entries whose mount point is prefix or lies under
// it, comparing whole path components: "/a" keeps "/a" and "/a/b" but not
// "/ab". prefix should be absolute with symlinks resolved; it is cleaned.
func PrefixFilter(prefix string) FilterFunc {
	prefix = filepath.Clean(prefix)
	return func(m *Info) (bool, bool) {
		return !under(m.Mountpoint, prefix), false
	}
}

// SingleEntryFilter keeps the first entry whose mount point is mp (cleaned)
// and stops there. When several mounts are stacked on mp, that is the
// lowest one.
func SingleEntryFilter(mp string) FilterFunc {
	mp = filepath.Clean(mp)
	return func(m *Info) (bool, bool) {
		if m.Mountpoint == mp {
			return false, true
		}
		return true, false
	}
}

// under reports whether path is dir or inside it.
func under(path, dir string) bool {
	if dir == "/" {
		return strings.HasPrefix(path, "/")
	}
	return strings.HasPrefix(path, dir) && (len(path) == len(dir) || path[len(dir)] == '/')
}
