package unpack

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestApplyEntryTypes(t *testing.T) {
	_, layer := sandbox(t)
	char := ent{hdr: tar.Header{Typeflag: tar.TypeChar, Name: "dev/null", Mode: 0o666, Devmajor: 1, Devminor: 3}}
	block := ent{hdr: tar.Header{Typeflag: tar.TypeBlock, Name: "dev/loop7", Mode: 0o660, Devmajor: 7, Devminor: 7}}
	fifo := ent{hdr: tar.Header{Typeflag: tar.TypeFifo, Name: "run/fifo", Mode: 0o600}}
	stats := applyBytes(t, layer, tarBytes(t,
		dir("etc/", 0o755),
		file("etc/hostname", "box\n", 0o644),
		symlink("etc/link", "hostname"),
		hardlink("etc/hard", "etc/hostname"),
		char, block, fifo,
	))

	if b, err := os.ReadFile(filepath.Join(layer, "etc/hostname")); err != nil || string(b) != "box\n" {
		t.Errorf("file content = %q, %v", b, err)
	}
	if got, _ := os.Readlink(filepath.Join(layer, "etc/link")); got != "hostname" {
		t.Errorf("symlink target = %q", got)
	}
	a, b := lstat(t, filepath.Join(layer, "etc/hostname")), lstat(t, filepath.Join(layer, "etc/hard"))
	if a.Ino != b.Ino || a.Nlink != 2 {
		t.Errorf("hard link: inodes %d %d, nlink %d", a.Ino, b.Ino, a.Nlink)
	}
	for _, c := range []struct {
		name        string
		kind        uint32
		major, minr uint32
	}{{"dev/null", unix.S_IFCHR, 1, 3}, {"dev/loop7", unix.S_IFBLK, 7, 7}, {"run/fifo", unix.S_IFIFO, 0, 0}} {
		st := lstat(t, filepath.Join(layer, c.name))
		if st.Mode&unix.S_IFMT != c.kind || unix.Major(st.Rdev) != c.major || unix.Minor(st.Rdev) != c.minr {
			t.Errorf("%s: mode %o rdev %d:%d", c.name, st.Mode, unix.Major(st.Rdev), unix.Minor(st.Rdev))
		}
	}
	// dev/ and run/ were created implicitly.
	if st := lstat(t, filepath.Join(layer, "run")); st.Mode&unix.S_IFMT != unix.S_IFDIR {
		t.Errorf("implicit parent is not a directory: %o", st.Mode)
	}
	want := Stats{Files: 6, Dirs: 1, Bytes: 4}
	if stats.Files != want.Files || stats.Dirs != want.Dirs || stats.Bytes != want.Bytes || len(stats.Warnings) != 0 {
		t.Errorf("stats = %+v, want %+v", stats, want)
	}
}

func TestApplyOwnershipAndModes(t *testing.T) {
	_, layer := sandbox(t)
	suid := file("bin/su", "x", 0o4755)
	suid.hdr.Uid, suid.hdr.Gid = 0, 0
	sgid := file("bin/wall", "x", 0o2755)
	sgid.hdr.Uid, sgid.hdr.Gid = 1000, 5
	tmp := dir("tmp", 0o1777)
	tmp.hdr.Uid, tmp.hdr.Gid = 33, 34
	link := symlink("tmp/l", "/nowhere")
	link.hdr.Uid, link.hdr.Gid = 7, 8
	nobody := file("home/nobody", "", 0o600)
	nobody.hdr.Uid, nobody.hdr.Gid = 65534, 65534
	nobody.hdr.Uname, nobody.hdr.Gname = "root", "root" // names must be ignored
	applyBytes(t, layer, tarBytes(t, suid, sgid, tmp, link, nobody))

	for _, c := range []struct {
		name     string
		uid, gid uint32
		perm     uint32
	}{
		{"bin/su", 0, 0, 0o4755},
		{"bin/wall", 1000, 5, 0o2755},
		{"tmp", 33, 34, 0o1777},
		{"tmp/l", 7, 8, 0o777},
		{"home/nobody", 65534, 65534, 0o600},
	} {
		st := lstat(t, filepath.Join(layer, c.name))
		if st.Uid != c.uid || st.Gid != c.gid || st.Mode&0o7777 != c.perm {
			t.Errorf("%s: %d:%d %o, want %d:%d %o", c.name, st.Uid, st.Gid, st.Mode&0o7777, c.uid, c.gid, c.perm)
		}
	}
}

func TestApplyXattrs(t *testing.T) {
	_, layer := sandbox(t)
	f := file("f", "data", 0o755)
	f.hdr.PAXRecords = map[string]string{
		"SCHILY.xattr.user.mime":              "text/plain",
		"SCHILY.xattr.security.capability":    "\x01\x00\x00\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
		"SCHILY.xattr.trusted.overlay.opaque": "y", // reserved: dropped
	}
	f.hdr.Uid = 1000
	d := dir("d", 0o755)
	d.hdr.PAXRecords = map[string]string{"SCHILY.xattr.user.dir": "1"}
	l := symlink("l", "f")
	l.hdr.PAXRecords = map[string]string{"SCHILY.xattr.trusted.link": "2"}
	stats := applyBytes(t, layer, tarBytes(t, f, d, l))

	p := filepath.Join(layer, "f")
	if got := getxattr(t, p, "user.mime"); got != "text/plain" {
		t.Errorf("user.mime = %q", got)
	}
	// Set after chown, the capability survives it.
	if got := getxattr(t, p, "security.capability"); got != f.hdr.PAXRecords["SCHILY.xattr.security.capability"] {
		t.Errorf("security.capability = %q", got)
	}
	if _, err := unix.Lgetxattr(p, opaqueXattr, make([]byte, 8)); err != unix.ENODATA {
		t.Errorf("overlay xattr from the tar was applied: %v", err)
	}
	if len(stats.Warnings) != 1 || !strings.Contains(stats.Warnings[0], "trusted.overlay.opaque") {
		t.Errorf("warnings = %q", stats.Warnings)
	}
	if got := getxattr(t, filepath.Join(layer, "d"), "user.dir"); got != "1" {
		t.Errorf("dir xattr = %q", got)
	}
	if got := getxattr(t, filepath.Join(layer, "l"), "trusted.link"); got != "2" {
		t.Errorf("symlink xattr = %q", got)
	}
	if _, err := unix.Lgetxattr(p, "trusted.link", make([]byte, 8)); err != unix.ENODATA {
		t.Errorf("symlink xattr went to its target: %v", err)
	}
}

func TestApplyTimes(t *testing.T) {
	_, layer := sandbox(t)
	dirTime := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	d := dir("d/", 0o755)
	d.hdr.ModTime = dirTime
	f := file("d/f", "x", 0o644)
	f.hdr.Format = tar.FormatPAX
	f.hdr.ModTime = time.Date(2010, 1, 1, 0, 0, 0, 123456789, time.UTC)
	f.hdr.AccessTime = time.Date(2011, 1, 1, 0, 0, 0, 0, time.UTC)
	l := symlink("d/l", "f")
	l.hdr.ModTime = time.Date(2012, 1, 1, 0, 0, 0, 0, time.UTC)
	root := dir("./", 0o750)
	root.hdr.ModTime = dirTime
	// Children come after d/ and each changes its mtime: the dir times
	// must be set at the end.
	applyBytes(t, layer, tarBytes(t, root, d, f, l, file("d/g", "", 0o644), dir("d/sub/", 0o755)))

	if st := lstat(t, filepath.Join(layer, "d")); st.Mtim.Sec != dirTime.Unix() {
		t.Errorf("dir mtime = %v, want %v", time.Unix(st.Mtim.Unix()), dirTime)
	}
	st := lstat(t, filepath.Join(layer, "d/f"))
	if st.Mtim.Sec != f.hdr.ModTime.Unix() || st.Mtim.Nsec != 123456789 {
		t.Errorf("file mtime = %v", time.Unix(st.Mtim.Unix()))
	}
	if st.Atim.Sec != f.hdr.AccessTime.Unix() {
		t.Errorf("file atime = %v", time.Unix(st.Atim.Unix()))
	}
	if st := lstat(t, filepath.Join(layer, "d/l")); st.Mtim.Sec != l.hdr.ModTime.Unix() {
		t.Errorf("symlink mtime = %v", time.Unix(st.Mtim.Unix()))
	}
	if st := lstat(t, filepath.Join(layer, "d/f")); st.Mtim.Sec == l.hdr.ModTime.Unix() {
		t.Error("symlink times followed the link")
	}
	st = lstat(t, layer)
	if st.Mtim.Sec != dirTime.Unix() || st.Mode&0o7777 != 0o750 {
		t.Errorf("root entry: mtime %v mode %o", time.Unix(st.Mtim.Unix()), st.Mode&0o7777)
	}
}

func TestApplyWhiteouts(t *testing.T) {
	_, layer := sandbox(t)
	stats := applyBytes(t, layer, tarBytes(t,
		dir("a/", 0o755),
		file("a/.wh..wh..opq", "", 0o644),
		file("a/kept", "k", 0o644),
		file(".wh.gone", "", 0o644),
		file("deep/er/.wh.x", "", 0o644), // parents created implicitly
		file(".wh..wh.plnk", "", 0o644),  // aufs metadata: ignored
		file(".wh.b", "", 0o644),         // whiteout, then the same layer recreates b/
		dir("b/", 0o755),
		file("b/new", "", 0o644),
		dir("c/", 0o755), // exists in this layer, then whited out: stays, becomes opaque
		file(".wh.c", "", 0o644),
		file("keep", "", 0o644),
		file(".wh.keep", "", 0o644), // same-layer file stays
	))

	if got := getxattr(t, filepath.Join(layer, "a"), opaqueXattr); got != "y" {
		t.Errorf("opaque xattr = %q", got)
	}
	for _, wo := range []string{"gone", "deep/er/x"} {
		st := lstat(t, filepath.Join(layer, wo))
		if st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != 0 {
			t.Errorf("%s: mode %o rdev %d, want char 0:0", wo, st.Mode, st.Rdev)
		}
	}
	for _, b := range []string{"b", "c"} {
		if got := getxattr(t, filepath.Join(layer, b), opaqueXattr); got != "y" {
			t.Errorf("%s: opaque = %q", b, got)
		}
	}
	if st := lstat(t, filepath.Join(layer, "keep")); st.Mode&unix.S_IFMT != unix.S_IFREG {
		t.Errorf("same-layer file was whited out: %o", st.Mode)
	}
	if _, err := unix.Lgetxattr(filepath.Join(layer, "deep"), opaqueXattr, make([]byte, 4)); err != unix.ENODATA {
		t.Errorf("implicit dir is opaque: %v", err)
	}
	err := filepath.Walk(layer, func(p string, _ os.FileInfo, err error) error {
		if strings.HasPrefix(filepath.Base(p), ".wh.") {
			t.Errorf("whiteout name left in the output: %s", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Whiteouts != 6 {
		t.Errorf("whiteouts = %d, want 6", stats.Whiteouts)
	}
}

func TestApplyReplacesEarlierEntries(t *testing.T) {
	parent, layer := sandbox(t)
	applyBytes(t, layer, tarBytes(t,
		file("f", "old", 0o644),
		hardlink("f2", "f"),
		file("f", "new", 0o600), // f2 keeps the old inode
		file("d2file", "", 0o644),
		dir("d2file", 0o700),
		dir("dir2file/sub/", 0o755),
		file("dir2file/sub/x", "x", 0o644),
		file("dir2file", "now a file", 0o644),
		dir("both/", 0o755),
		file("both/child", "c", 0o644),
		dir("both/", 0o711), // dir over dir: children kept, attrs replaced
		symlink("l", "../outside/sentinel"),
		file("l", "replaced the link", 0o644), // not written through it
		symlink("l2", "f"),
		symlink("l2", "f2"),
	))
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(layer, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if read("f") != "new" || read("f2") != "old" {
		t.Errorf("f = %q, f2 = %q", read("f"), read("f2"))
	}
	if st := lstat(t, filepath.Join(layer, "d2file")); st.Mode&unix.S_IFMT != unix.S_IFDIR || st.Mode&0o777 != 0o700 {
		t.Errorf("d2file mode %o", st.Mode)
	}
	if read("dir2file") != "now a file" {
		t.Error("dir not replaced by file")
	}
	if read("both/child") != "c" || lstat(t, filepath.Join(layer, "both")).Mode&0o777 != 0o711 {
		t.Error("dir over dir: child lost or mode not updated")
	}
	if read("l") != "replaced the link" {
		t.Error("symlink not replaced")
	}
	if got, _ := os.Readlink(filepath.Join(layer, "l2")); got != "f2" {
		t.Errorf("l2 -> %q", got)
	}
	if p := outsideProblem(parent); p != "" {
		t.Error(p)
	}
}

func TestApplyHardLinkErrors(t *testing.T) {
	for name, ents := range map[string][]ent{
		"missing target":   {hardlink("x", "nope")},
		"dir target":       {dir("d", 0o755), hardlink("x", "d")},
		"root target":      {hardlink("x", "./")},
		"escaping target":  {hardlink("x", "../../etc/passwd")},
		"target in parent": {hardlink("x", "../outside/sentinel")},
	} {
		t.Run(name, func(t *testing.T) {
			parent, layer := sandbox(t)
			if _, err := Apply(layer, bytes.NewReader(tarBytes(t, ents...))); err == nil {
				t.Error("Apply succeeded")
			}
			if p := outsideProblem(parent); p != "" {
				t.Error(p)
			}
		})
	}
}

func TestApplyNeedsEmptyDir(t *testing.T) {
	_, layer := sandbox(t)
	if err := os.WriteFile(filepath.Join(layer, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Apply(layer, bytes.NewReader(tarBytes(t, file("y", "", 0o644))))
	if err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("err = %v", err)
	}
	if _, err := Apply(filepath.Join(layer, "missing"), bytes.NewReader(nil)); err == nil {
		t.Error("Apply into a missing dir succeeded")
	}
}

func TestApplySkipsAndRejects(t *testing.T) {
	_, layer := sandbox(t)
	// GNU PAX sparse 0.1: 3 bytes of data stand for a 1 TiB file.
	sparse := paxHeader(t, "GNU.sparse.major=0", "GNU.sparse.minor=1", "GNU.sparse.name=sparse",
		"GNU.sparse.size=1099511627776", "GNU.sparse.numblocks=1", "GNU.sparse.map=0,3")
	sparse = append(sparse, tarBytes(t, file("GNUSparseFile.0/sparse", "abc", 0o644))...)
	if _, err := Apply(layer, bytes.NewReader(sparse)); err == nil || !strings.Contains(err.Error(), "sparse") {
		t.Errorf("sparse: err = %v", err)
	}

	_, layer = sandbox(t)
	badUID := file("f", "", 0o644)
	badUID.hdr.Uid = -1
	if _, err := Apply(layer, bytes.NewReader(tarBytes(t, badUID))); err == nil {
		t.Error("uid -1 accepted")
	}

	_, layer = sandbox(t)
	rootFile := file(".", "", 0o644)
	if _, err := Apply(layer, bytes.NewReader(tarBytes(t, rootFile))); err == nil {
		t.Error("a file replacing the layer root was accepted")
	}

	_, layer = sandbox(t)
	stats := applyBytes(t, layer, tarBytes(t,
		file(".wh.x/y", "", 0o644), // whiteout-named parent: skipped
		file("ok", "", 0o644),
	))
	if _, err := os.Lstat(filepath.Join(layer, ".wh.x")); !os.IsNotExist(err) {
		t.Errorf(".wh.x created: %v", err)
	}
	if len(stats.Warnings) != 1 || stats.Files != 1 {
		t.Errorf("stats = %+v", stats)
	}
}

func TestApplyBadStreams(t *testing.T) {
	good := tarBytes(t, dir("d", 0o755), file("d/f", strings.Repeat("x", 5000), 0o644), file("g", "y", 0o644))
	huge := bytes.Clone(good[:512*2])
	// Claim an enormous d/f: the header is valid, the data is missing.
	hdr := tar.Header{Typeflag: tar.TypeReg, Name: "big", Size: 1 << 40, Mode: 0o644}
	var hb bytes.Buffer
	tw := tar.NewWriter(&hb)
	if err := tw.WriteHeader(&hdr); err != nil {
		t.Fatal(err)
	}
	huge = append(huge, hb.Bytes()...)
	huge = append(huge, "only a few bytes"...)
	corrupt := bytes.Clone(good)
	copy(corrupt[512+100:], "garbage!") // mode field of d/f's header: checksum fails
	for name, data := range map[string][]byte{
		"truncated in content": good[:512*3+1000],
		"truncated in header":  good[:512*2+200],
		"no end marker":        good[:512*5+512],
		"corrupt header":       corrupt,
		"huge size":            huge,
		"not a tar":            []byte(strings.Repeat("not a tar archive ", 100)),
	} {
		t.Run(name, func(t *testing.T) {
			parent, layer := sandbox(t)
			if _, err := Apply(layer, bytes.NewReader(data)); err == nil {
				t.Error("Apply succeeded")
			}
			if p := outsideProblem(parent); p != "" {
				t.Error(p)
			}
		})
	}
	_, layer := sandbox(t)
	if _, err := Apply(layer, bytes.NewReader(nil)); err != nil {
		t.Errorf("an empty stream is an empty layer, got %v", err)
	}
}
