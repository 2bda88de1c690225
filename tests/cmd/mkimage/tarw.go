package main

import (
	"archive/tar"
	"io"
	"strings"
	"time"
)

// epoch is every entry's mtime, so that layers are the same on every run.
var epoch = time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)

// tarw writes tar entries and remembers the first error, so a layer's
// contents read as a plain list.
type tarw struct {
	tw  *tar.Writer
	err error
}

// add writes h (mtime set to epoch) and then body, if any.
func (t *tarw) add(h *tar.Header, body io.Reader) {
	if t.err != nil {
		return
	}
	h.ModTime = epoch
	if t.err = t.tw.WriteHeader(h); t.err != nil || body == nil {
		return
	}
	_, t.err = io.Copy(t.tw, body)
}

func (t *tarw) dir(name string, mode int64, uid, gid int) {
	t.add(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode, Uid: uid, Gid: gid}, nil)
}

func (t *tarw) file(name string, mode int64, data string) {
	t.fileOwned(name, mode, 0, 0, data)
}

func (t *tarw) fileOwned(name string, mode int64, uid, gid int, data string) {
	t.add(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Uid: uid, Gid: gid, Size: int64(len(data))},
		strings.NewReader(data))
}

func (t *tarw) symlink(name, target string) {
	t.add(&tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777}, nil)
}

func (t *tarw) hardlink(name, target string) {
	t.add(&tar.Header{Typeflag: tar.TypeLink, Name: name, Linkname: target, Mode: 0o644}, nil)
}
