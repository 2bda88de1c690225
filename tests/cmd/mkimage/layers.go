package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
)

// layer is one layer to build: its history line and its contents.
type layer struct {
	createdBy string
	fill      func(*tarw)
}

const passwdFile = `root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
app:x:1000:1000:app:/home/app:/bin/sh
`

const groupFile = `root:x:0:
nogroup:x:65534:
app:x:1000:
extra:x:2000:app
`

// applets asks busybox for its applet names.
func applets(busybox string) ([]string, error) {
	out, err := exec.Command(busybox, "--list").Output()
	if err != nil {
		return nil, fmt.Errorf("run %s --list (is --busybox a busybox binary?): %w", busybox, err)
	}
	var names []string
	for _, n := range strings.Fields(string(out)) {
		if n != "busybox" && !strings.Contains(n, "/") {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

// pauseLayer is the whole root of a pod sandbox image: /pause, a static
// program, and the directories the runtime mounts on.
func pauseLayer(pause string) (layer, error) {
	fi, err := os.Stat(pause)
	if err != nil {
		return layer{}, fmt.Errorf("--pause: %w", err)
	}
	return layer{createdBy: "mkimage: pause", fill: func(t *tarw) {
		f, err := os.Open(pause)
		if err != nil {
			t.err = fmt.Errorf("--pause: %w", err)
			return
		}
		defer f.Close()
		t.add(&tar.Header{Typeflag: tar.TypeReg, Name: "pause", Mode: 0o755, Size: fi.Size()}, f)
		t.dir("dev", 0o755, 0, 0)
		t.dir("etc", 0o755, 0, 0)
		t.dir("proc", 0o555, 0, 0)
		t.dir("sys", 0o555, 0, 0)
	}}, nil
}

// baseLayer is a busybox root: the binary, one /bin symlink per applet,
// users and groups, and the usual top-level directories.
func baseLayer(busybox string) (layer, error) {
	names, err := applets(busybox)
	if err != nil {
		return layer{}, err
	}
	fi, err := os.Stat(busybox)
	if err != nil {
		return layer{}, fmt.Errorf("busybox: %w", err)
	}
	return layer{createdBy: "mkimage: busybox base", fill: func(t *tarw) {
		t.dir("bin", 0o755, 0, 0)
		f, err := os.Open(busybox)
		if err != nil {
			t.err = fmt.Errorf("busybox: %w", err)
			return
		}
		defer f.Close()
		t.add(&tar.Header{Typeflag: tar.TypeReg, Name: "bin/busybox", Mode: 0o755, Size: fi.Size()}, f)
		for _, n := range names {
			t.symlink("bin/"+n, "busybox")
		}
		t.dir("dev", 0o755, 0, 0)
		t.dir("etc", 0o755, 0, 0)
		t.file("etc/group", 0o644, groupFile)
		t.file("etc/passwd", 0o644, passwdFile)
		t.dir("home", 0o755, 0, 0)
		t.dir("home/app", 0o755, 1000, 1000)
		t.dir("proc", 0o555, 0, 0)
		t.dir("root", 0o700, 0, 0)
		t.dir("sys", 0o555, 0, 0)
		t.dir("tmp", 0o1777, 0, 0)
	}}, nil
}

// fixtureLayers exercise the unpacker: every entry type, ownership, mode
// bits, an xattr, then whiteouts and an opaque directory on top.
func fixtureLayers() []layer {
	return []layer{
		{createdBy: "mkimage: fixtures", fill: func(t *tarw) {
			t.dir("data", 0o755, 0, 0)
			t.file("data/a", 0o644, "a\n")
			t.file("data/b", 0o644, "b\n")
			t.file("data/c", 0o644, "c-old\n")
			t.dir("data/dir", 0o755, 0, 0)
			t.file("data/dir/x", 0o644, "x\n")
			t.add(&tar.Header{Typeflag: tar.TypeFifo, Name: "data/fifo", Mode: 0o644}, nil)
			t.hardlink("data/hl", "data/a")
			t.add(&tar.Header{Typeflag: tar.TypeChar, Name: "data/null", Mode: 0o666, Devmajor: 1, Devminor: 3}, nil)
			t.fileOwned("data/owned", 0o640, 1000, 2000, "owned\n")
			t.dir("data/sgid", 0o2775, 0, 0)
			t.symlink("data/sl", "a")
			t.dir("data/sticky", 0o1777, 0, 0)
			t.file("data/suid", 0o4755, "suid\n")
			data := "xattr\n"
			t.add(&tar.Header{
				Typeflag: tar.TypeReg, Name: "data/xattr", Mode: 0o644, Size: int64(len(data)),
				Format:     tar.FormatPAX,
				PAXRecords: map[string]string{"SCHILY.xattr.user.xrt": "fixture"},
			}, strings.NewReader(data))
			t.dir("opq", 0o755, 0, 0)
			t.file("opq/old1", 0o644, "old1\n")
			t.file("opq/old2", 0o644, "old2\n")
		}},
		{createdBy: "mkimage: whiteouts", fill: func(t *tarw) {
			t.dir("data", 0o755, 0, 0)
			t.file("data/.wh.b", 0o644, "")
			t.file("data/c", 0o644, "c-new\n")
			t.dir("opq", 0o755, 0, 0)
			t.file("opq/.wh..wh..opq", 0o644, "")
			t.file("opq/new", 0o644, "new\n")
		}},
	}
}

// extraLayer is tiny layer number n (1-based): it adds /extra/n.
func extraLayer(n int) layer {
	return layer{createdBy: fmt.Sprintf("mkimage: extra %d", n), fill: func(t *tarw) {
		t.dir("extra", 0o755, 0, 0)
		t.file(fmt.Sprintf("extra/%d", n), 0o644, fmt.Sprintf("%d\n", n))
	}}
}

// bigLayer holds about mb MiB under /big: 1 MiB files, alternately random
// (incompressible) and text (compressible), plus 16 small random files per
// MiB under /big/small. The same mb gives the same bytes.
func bigLayer(mb int) layer {
	return layer{createdBy: fmt.Sprintf("mkimage: big %d MiB", mb), fill: func(t *tarw) {
		rng := rand.NewChaCha8([32]byte{'x', 'r', 't'})
		buf := make([]byte, 1<<20)
		t.dir("big", 0o755, 0, 0)
		t.dir("big/small", 0o755, 0, 0)
		for i := range mb {
			name := fmt.Sprintf("big/%05d.bin", i)
			if i%2 == 0 {
				rng.Read(buf)
			} else {
				name = fmt.Sprintf("big/%05d.txt", i)
				fillText(buf, i)
			}
			t.add(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(buf))}, bytes.NewReader(buf))
			for k := range 16 {
				small := buf[:1024]
				rng.Read(small)
				t.add(&tar.Header{Typeflag: tar.TypeReg, Name: fmt.Sprintf("big/small/%05d-%02d", i, k), Mode: 0o644, Size: 1024}, bytes.NewReader(small))
			}
		}
	}}
}

// fillText fills buf with numbered lines of text.
func fillText(buf []byte, file int) {
	var line []byte
	for n, off := 0, 0; off < len(buf); n++ {
		line = fmt.Appendf(line[:0], "file %d line %d: the quick brown fox jumps over the lazy dog\n", file, n)
		off += copy(buf[off:], line)
	}
}

// brokenLayer is the top layer of --break blob-digest: its blob is stored
// under the digest of this content with tamper false, but holds the
// content with tamper true (same length).
func brokenLayer(tamper bool) layer {
	content := "intact\n"
	if tamper {
		content = "broken\n"
	}
	return layer{createdBy: "mkimage: break", fill: func(t *tarw) {
		t.file("broken", 0o644, content)
	}}
}

// traversalLayer tries to write outside the root: a dot-dot path and a
// path through a symlink to "/".
func traversalLayer() layer {
	return layer{createdBy: "mkimage: traversal", fill: func(t *tarw) {
		t.file("../../escape", 0o644, "escaped\n")
		t.symlink("evil", "/")
		t.file("evil/tmp/escaped", 0o644, "escaped\n")
	}}
}
