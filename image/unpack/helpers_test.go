package unpack

import (
	"archive/tar"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// ent is one tar entry of a test layer; Size is filled in from body.
type ent struct {
	hdr  tar.Header
	body string
}

var testTime = time.Date(2020, 5, 17, 10, 11, 12, 0, time.UTC)

func file(name, body string, mode int64) ent {
	return ent{hdr: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, ModTime: testTime}, body: body}
}

func dir(name string, mode int64) ent {
	return ent{hdr: tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: mode, ModTime: testTime}}
}

func symlink(name, target string) ent {
	return ent{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777, ModTime: testTime}}
}

func hardlink(name, target string) ent {
	return ent{hdr: tar.Header{Typeflag: tar.TypeLink, Name: name, Linkname: target, ModTime: testTime}}
}

// tarBytes builds an uncompressed tar stream (PAX where needed).
func tarBytes(t testing.TB, ents ...ent) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range ents {
		h := e.hdr
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatalf("write tar header %q: %v", h.Name, err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatalf("write tar body %q: %v", h.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sandbox makes parent/layer (empty, the unpack target) and parent/outside
// holding a sentinel file, and returns parent and the layer directory.
func sandbox(t testing.TB) (parent, layer string) {
	t.Helper()
	parent = t.TempDir()
	layer = filepath.Join(parent, "layer")
	if err := os.Mkdir(layer, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(parent, "outside"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(parent, "outside", "sentinel"), []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Unix(1_000_000_000, 0)
	for _, p := range []string{filepath.Join(parent, "outside", "sentinel"), filepath.Join(parent, "outside")} {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	return parent, layer
}

// outsideProblem returns what changed outside parent/layer since sandbox, or "".
func outsideProblem(parent string) string {
	names, err := readDirNames(parent)
	if err != nil {
		return err.Error()
	}
	if len(names) != 2 || names[0] != "layer" || names[1] != "outside" {
		return "sandbox parent holds " + join(names)
	}
	out := filepath.Join(parent, "outside")
	if names, err = readDirNames(out); err != nil || len(names) != 1 || names[0] != "sentinel" {
		return "outside dir holds " + join(names)
	}
	for _, p := range []string{out, filepath.Join(out, "sentinel")} {
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err.Error()
		}
		if st.Mtim.Sec != 1_000_000_000 || st.Uid != 0 || st.Gid != 0 {
			return p + " owner or mtime changed"
		}
		if want := uint32(0o755); p == out && st.Mode&0o7777 != want || p != out && st.Mode&0o7777 != 0o644 {
			return p + " mode changed"
		}
		if sz, _ := unix.Llistxattr(p, nil); sz > 0 {
			return p + " got xattrs"
		}
	}
	if b, err := os.ReadFile(filepath.Join(out, "sentinel")); err != nil || string(b) != "keep" {
		return "sentinel content changed"
	}
	return ""
}

func readDirNames(p string) ([]string, error) {
	des, err := os.ReadDir(p)
	names := make([]string, len(des))
	for i, d := range des {
		names[i] = d.Name()
	}
	return names, err
}

func join(s []string) string {
	var b bytes.Buffer
	b.WriteString("[")
	for i, n := range s {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(n)
	}
	b.WriteString("]")
	return b.String()
}

func lstat(t *testing.T, p string) unix.Stat_t {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		t.Fatalf("lstat: %v", err)
	}
	return st
}

func getxattr(t *testing.T, p, name string) string {
	t.Helper()
	buf := make([]byte, 256)
	n, err := unix.Lgetxattr(p, name, buf)
	if err != nil {
		t.Fatalf("lgetxattr %s %s: %v", p, name, err)
	}
	return string(buf[:n])
}

func applyBytes(t *testing.T, layer string, data []byte) Stats {
	t.Helper()
	st, err := Apply(layer, bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return st
}

// paxHeader returns a raw PAX extended header block carrying records
// ("key=value"), which tar.Writer refuses to write for GNU.sparse keys.
func paxHeader(t testing.TB, records ...string) []byte {
	t.Helper()
	var body strings.Builder
	for _, r := range records {
		// Each record is "LEN key=value\n" where LEN counts itself.
		n := len(r) + 3
		for len(fmt.Sprintf("%d %s\n", n, r)) != n {
			n++
		}
		fmt.Fprintf(&body, "%d %s\n", n, r)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	h := tar.Header{Typeflag: tar.TypeReg, Name: "PaxHeaders/x", Size: int64(body.Len()), Mode: 0o644, Format: tar.FormatUSTAR}
	if err := tw.WriteHeader(&h); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write([]byte(body.String())); err != nil {
		t.Fatal(err)
	}
	if err := tw.Flush(); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	b[156] = tar.TypeXHeader
	setChecksum(b[:512])
	return b
}

// setChecksum recomputes a ustar header block's checksum field.
func setChecksum(block []byte) {
	copy(block[148:156], "        ")
	sum := 0
	for _, c := range block[:512] {
		sum += int(c)
	}
	copy(block[148:156], fmt.Sprintf("%06o\x00 ", sum))
}
