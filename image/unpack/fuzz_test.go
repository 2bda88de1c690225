package unpack

import (
	"archive/tar"
	"bytes"
	"testing"
)

// fuzzSeeds are small layers that exercise each code path, with escapes
// aimed at the sandbox's "outside" directory (a sibling of the layer).
func fuzzSeeds(t testing.TB) [][]byte {
	withXattr := file("x", "data", 0o4755)
	withXattr.hdr.PAXRecords = map[string]string{"SCHILY.xattr.user.a": "1", "SCHILY.xattr.trusted.overlay.opaque": "y"}
	fifo := ent{hdr: tar.Header{Typeflag: tar.TypeFifo, Name: "a/fifo", Mode: 0o600}}
	char := ent{hdr: tar.Header{Typeflag: tar.TypeChar, Name: "dev/c", Mode: 0o600, Devmajor: 1, Devminor: 5}}
	full := tarBytes(t, dir("a/", 0o755), file("a/f", "hello", 0o644), hardlink("a/h", "a/f"), symlink("a/s", "f"), fifo, char, withXattr)
	return [][]byte{
		full,
		full[:len(full)/2],
		tarBytes(t, symlink("a", "../outside"), file("a/x", "pwned", 0o644)),
		tarBytes(t, symlink("a", "/../outside"), dir("a/d/", 0o755), file("a/.wh.sentinel", "", 0o644)),
		tarBytes(t, symlink("a", "b"), symlink("b", "../../outside"), file("a/.wh..wh..opq", "", 0o644)),
		tarBytes(t, hardlink("x", "../outside/sentinel"), file("../outside/y", "", 0o644)),
		tarBytes(t, file(".wh.b", "", 0o644), dir("b/", 0o755), file("b/.wh..wh..opq", "", 0o644), file("c", "", 0o644), file(".wh.c", "", 0o644)),
		tarBytes(t, dir("r/", 0o755), file("r/x", "", 0o644), file("r", "now a file", 0o644), symlink("r", "../outside"), dir("r", 0o700)),
	}
}

func FuzzApply(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		parent, layer := sandbox(t)
		Apply(layer, bytes.NewReader(data)) // errors are fine; panics and escapes are not
		if p := outsideProblem(parent); p != "" {
			t.Fatalf("layer changed something outside its directory: %s", p)
		}
	})
}
