package image

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// FS returns the image's merged file tree, read-only, as overlay would show
// it: what image mode reads before any container exists (the user name in
// the image config is looked up in its /etc/passwd). Symlinks are followed
// inside the image, never out of it.
func (s *Store) FS(rec *Record) fs.FS {
	lowers := make([]string, 0, len(rec.Layers))
	for i := len(rec.Layers) - 1; i >= 0; i-- {
		lowers = append(lowers, filepath.Join(s.layerDir(rec.Layers[i].ChainID), "diff"))
	}
	return layerFS(lowers)
}

type layerFS []string

func (l layerFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	rel := name
	for hops := 0; hops < 40; hops++ {
		p, fi := lookupPath(l, rel)
		if fi == nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			return os.Open(p)
		}
		target, err := os.Readlink(p)
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		// Resolved in the image's root: ".." stops at "/".
		if !path.IsAbs(target) {
			target = path.Join(path.Dir("/"+rel), target)
		}
		rel = strings.TrimPrefix(path.Clean("/"+target), "/")
		if rel == "" {
			rel = "."
		}
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
}
