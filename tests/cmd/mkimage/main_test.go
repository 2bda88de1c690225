package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"xrt/image/ocispec"
)

// fakeBusybox writes a script that answers --list like busybox does, so the
// test does not need a real busybox.
func fakeBusybox(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "busybox")
	if err := os.WriteFile(p, []byte("#!/bin/sh\necho busybox; echo sh; echo ls; echo cat\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func opts(t *testing.T) options {
	return options{busybox: fakeBusybox(t), compress: compGzip, tag: "latest", repo: "xrt-test"}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// blob reads a blob and checks it against its descriptor.
func blob(t *testing.T, dir string, d ocispec.Descriptor) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "blobs", "sha256", strings.TrimPrefix(d.Digest, "sha256:")))
	if err != nil {
		t.Fatal(err)
	}
	if sha(b) != d.Digest || int64(len(b)) != d.Size {
		t.Fatalf("blob %s: digest %s size %d, descriptor says size %d", d.Digest, sha(b), len(b), d.Size)
	}
	return b
}

func decode(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// uncompress returns the tar inside a layer blob.
func uncompress(mediaType string, b []byte) ([]byte, error) {
	var r io.Reader = bytes.NewReader(b)
	switch mediaType {
	case ocispec.MediaTypeLayerGzip:
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, err
		}
		r = zr
	case ocispec.MediaTypeLayerZstd:
		zr, err := zstd.NewReader(r)
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		r = zr
	}
	return io.ReadAll(r)
}

// image reads the layout's only ref and returns its manifest and config,
// checking the index, the descriptors and the diff_ids on the way.
func image(t *testing.T, dir, tag string) (ocispec.Manifest, ocispec.Image, [][]byte) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "oci-layout"))
	if err != nil || string(b) != `{"imageLayoutVersion":"1.0.0"}` {
		t.Fatalf("oci-layout = %q, %v", b, err)
	}
	var idx ocispec.Index
	b, _ = os.ReadFile(filepath.Join(dir, "index.json"))
	decode(t, b, &idx)
	if len(idx.Manifests) != 1 || idx.Manifests[0].Annotations[ocispec.AnnotationRefName] != tag {
		t.Fatalf("index.json = %s, want one manifest named %q", b, tag)
	}
	d := idx.Manifests[0]
	if d.MediaType == ocispec.MediaTypeIndex {
		var nested ocispec.Index
		decode(t, blob(t, dir, d), &nested)
		i := slices.IndexFunc(nested.Manifests, func(m ocispec.Descriptor) bool {
			return m.Platform != nil && m.Platform.OS == "linux" && m.Platform.Architecture == runtime.GOARCH
		})
		if i < 0 {
			t.Fatalf("no manifest for linux/%s in %+v", runtime.GOARCH, nested.Manifests)
		}
		d = nested.Manifests[i]
	}
	var m ocispec.Manifest
	decode(t, blob(t, dir, d), &m)
	var img ocispec.Image
	decode(t, blob(t, dir, m.Config), &img)
	if len(img.RootFS.DiffIDs) != len(m.Layers) || len(img.History) != len(m.Layers) {
		t.Fatalf("%d layers, %d diff_ids, %d history entries", len(m.Layers), len(img.RootFS.DiffIDs), len(img.History))
	}
	var tars [][]byte
	for i, l := range m.Layers {
		tb, err := uncompress(l.MediaType, blob(t, dir, l))
		if err != nil {
			t.Fatalf("layer %d: %v", i, err)
		}
		if sha(tb) != img.RootFS.DiffIDs[i] {
			t.Fatalf("layer %d: tar digest %s, diff_id %s", i, sha(tb), img.RootFS.DiffIDs[i])
		}
		tars = append(tars, tb)
	}
	return m, img, tars
}

// entries lists a tar's headers by name.
func entries(t *testing.T, tb []byte) map[string]*tar.Header {
	t.Helper()
	out := map[string]*tar.Header{}
	tr := tar.NewReader(bytes.NewReader(tb))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name] = h
	}
}

func TestLayout(t *testing.T) {
	o := opts(t)
	o.fixtures = true
	o.compress = "mixed"
	o.layersExtra = 2
	o.tag = "v1"
	o.configJSON = `{"Entrypoint":["/bin/echo"],"User":"app","Labels":{"a":"b"}}`
	dir := filepath.Join(t.TempDir(), "img")
	if err := build(o, dir); err != nil {
		t.Fatal(err)
	}
	m, img, tars := image(t, dir, "v1")

	var types []string
	for _, l := range m.Layers {
		types = append(types, l.MediaType)
	}
	want := []string{ocispec.MediaTypeLayerGzip, ocispec.MediaTypeLayerZstd, ocispec.MediaTypeLayer, ocispec.MediaTypeLayerGzip, ocispec.MediaTypeLayerZstd}
	if !slices.Equal(types, want) {
		t.Errorf("layer media types = %q, want %q", types, want)
	}
	c := img.Config
	if img.OS != "linux" || img.Architecture != runtime.GOARCH || !slices.Equal(c.Entrypoint, []string{"/bin/echo"}) ||
		!slices.Equal(c.Cmd, []string{"sh"}) || c.User != "app" || c.Labels["a"] != "b" || !slices.Equal(c.Env, []string{defaultPath}) {
		t.Errorf("config = %+v", img)
	}

	base := entries(t, tars[0])
	if h := base["bin/sh"]; h == nil || h.Typeflag != tar.TypeSymlink || h.Linkname != "busybox" {
		t.Errorf("bin/sh = %+v, want a symlink to busybox", h)
	}
	if base["bin/busybox"] == nil || base["bin/busybox/busybox"] != nil || base["etc/passwd"] == nil {
		t.Error("base layer misses busybox or /etc/passwd")
	}
	if h := base["tmp/"]; h == nil || h.Mode != 0o1777 {
		t.Errorf("tmp/ = %+v, want mode 01777", h)
	}

	fx := entries(t, tars[1])
	checks := []struct {
		name string
		ok   func(*tar.Header) bool
	}{
		{"data/hl", func(h *tar.Header) bool { return h.Typeflag == tar.TypeLink && h.Linkname == "data/a" }},
		{"data/sl", func(h *tar.Header) bool { return h.Typeflag == tar.TypeSymlink && h.Linkname == "a" }},
		{"data/suid", func(h *tar.Header) bool { return h.Mode == 0o4755 }},
		{"data/sgid/", func(h *tar.Header) bool { return h.Typeflag == tar.TypeDir && h.Mode == 0o2775 }},
		{"data/sticky/", func(h *tar.Header) bool { return h.Mode == 0o1777 }},
		{"data/owned", func(h *tar.Header) bool { return h.Uid == 1000 && h.Gid == 2000 }},
		{"data/xattr", func(h *tar.Header) bool { return h.PAXRecords["SCHILY.xattr.user.xrt"] == "fixture" }},
		{"data/null", func(h *tar.Header) bool { return h.Typeflag == tar.TypeChar && h.Devmajor == 1 && h.Devminor == 3 }},
		{"data/fifo", func(h *tar.Header) bool { return h.Typeflag == tar.TypeFifo }},
		{"data/a", func(h *tar.Header) bool { return h.ModTime.Equal(epoch) }},
	}
	for _, c := range checks {
		if h := fx[c.name]; h == nil || !c.ok(h) {
			t.Errorf("fixture layer: %s = %+v", c.name, h)
		}
	}
	wh := entries(t, tars[2])
	for _, n := range []string{"data/.wh.b", "opq/.wh..wh..opq", "opq/new", "data/c"} {
		if wh[n] == nil {
			t.Errorf("whiteout layer misses %s", n)
		}
	}
	if ex := entries(t, tars[4]); ex["extra/2"] == nil {
		t.Errorf("extra layer 2 = %v", ex)
	}
}

// Same flags, same bytes.
func TestDeterministic(t *testing.T) {
	o := opts(t)
	o.fixtures = true
	o.compress = "mixed"
	o.bigMB = 2
	var trees [2]map[string]string
	for i := range trees {
		dir := filepath.Join(t.TempDir(), "img")
		if err := build(o, dir); err != nil {
			t.Fatal(err)
		}
		trees[i] = map[string]string{}
		filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
			if err == nil && !e.IsDir() {
				b, _ := os.ReadFile(p)
				trees[i][strings.TrimPrefix(p, dir)] = sha(b)
			}
			return err
		})
	}
	if len(trees[0]) != 8 || !equalMaps(trees[0], trees[1]) {
		t.Errorf("two builds differ or have the wrong files:\n%v\n%v", trees[0], trees[1])
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestOCIArchive(t *testing.T) {
	o := opts(t)
	o.archive = "oci"
	out := filepath.Join(t.TempDir(), "img.tar")
	if err := build(o, out); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, h.Name)
		if h.Typeflag == tar.TypeDir {
			os.MkdirAll(p, 0o755)
			continue
		}
		b, _ := io.ReadAll(tr)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	image(t, dir, "latest")
	if ents, _ := os.ReadDir(filepath.Dir(out)); len(ents) != 1 {
		t.Errorf("temporary files left next to the archive: %v", ents)
	}
}

func TestDockerArchive(t *testing.T) {
	o := opts(t)
	o.archive = "docker"
	o.fixtures = true
	out := filepath.Join(t.TempDir(), "img.tar")
	if err := build(o, out); err != nil {
		t.Fatal(err)
	}
	files := untar(t, out)
	var entries []ocispec.DockerSaveEntry
	decode(t, files["manifest.json"], &entries)
	if len(entries) != 1 || !slices.Equal(entries[0].RepoTags, []string{"xrt-test:latest"}) {
		t.Fatalf("manifest.json = %s", files["manifest.json"])
	}
	var img ocispec.Image
	decode(t, files[entries[0].Config], &img)
	if len(entries[0].Layers) != 3 || len(img.RootFS.DiffIDs) != 3 {
		t.Fatalf("layers %v, diff_ids %v", entries[0].Layers, img.RootFS.DiffIDs)
	}
	for i, l := range entries[0].Layers {
		// Plain tars, as `docker save` writes them.
		if got := sha(files[l]); got != img.RootFS.DiffIDs[i] {
			t.Errorf("layer %s: digest %s, diff_id %s", l, got, img.RootFS.DiffIDs[i])
		}
	}
}

// untar reads a tar's regular files into memory.
func untar(t *testing.T, p string) map[string][]byte {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			out[h.Name], _ = io.ReadAll(tr)
		}
	}
}

func TestPlatforms(t *testing.T) {
	platformsOf := func(t *testing.T, o options) []string {
		dir := filepath.Join(t.TempDir(), "img")
		if err := build(o, dir); err != nil {
			t.Fatal(err)
		}
		var idx, nested ocispec.Index
		b, _ := os.ReadFile(filepath.Join(dir, "index.json"))
		decode(t, b, &idx)
		if idx.Manifests[0].MediaType != ocispec.MediaTypeIndex {
			t.Fatalf("index.json does not point at an image index: %s", b)
		}
		decode(t, blob(t, dir, idx.Manifests[0]), &nested)
		var out []string
		for _, m := range nested.Manifests {
			var man ocispec.Manifest
			var img ocispec.Image
			decode(t, blob(t, dir, m), &man)
			decode(t, blob(t, dir, man.Config), &img)
			p := m.Platform.OS + "/" + m.Platform.Architecture
			if img.OS+"/"+img.Architecture != p {
				t.Errorf("manifest for %s has a config for %s/%s", p, img.OS, img.Architecture)
			}
			out = append(out, p)
		}
		return out
	}
	host := "linux/" + runtime.GOARCH

	o := opts(t)
	o.platformIndex = true
	if got := platformsOf(t, o); len(got) != 2 || got[0] != host || got[1] == host {
		t.Errorf("--platform-index platforms = %q", got)
	}
	o = opts(t)
	o.onlyPlatform = "linux/riscv64"
	if got := platformsOf(t, o); !slices.Equal(got, []string{"linux/riscv64"}) {
		t.Errorf("--only-platform platforms = %q", got)
	}
	o = opts(t)
	o.brk = "no-platform"
	if got := platformsOf(t, o); len(got) != 2 || slices.Contains(got, host) {
		t.Errorf("--break no-platform platforms = %q", got)
	}
}

func TestBreaks(t *testing.T) {
	for _, brk := range []string{"missing-blob", "blob-digest", "diffid", "truncated-layer", "media-type", "traversal"} {
		t.Run(brk, func(t *testing.T) {
			o := opts(t)
			o.brk = brk
			dir := filepath.Join(t.TempDir(), "img")
			if err := build(o, dir); err != nil {
				t.Fatal(err)
			}
			var idx ocispec.Index
			b, _ := os.ReadFile(filepath.Join(dir, "index.json"))
			decode(t, b, &idx)
			var m ocispec.Manifest
			decode(t, blob(t, dir, idx.Manifests[0]), &m)
			var img ocispec.Image
			decode(t, blob(t, dir, m.Config), &img)
			top := m.Layers[len(m.Layers)-1]
			data, err := os.ReadFile(filepath.Join(dir, "blobs", "sha256", strings.TrimPrefix(top.Digest, "sha256:")))
			if brk == "missing-blob" {
				if !errors.Is(err, os.ErrNotExist) {
					t.Fatalf("top layer blob is there (%v)", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(data)) != top.Size {
				t.Errorf("blob size %d, descriptor %d", len(data), top.Size)
			}
			if digestOK := sha(data) == top.Digest; digestOK != (brk != "blob-digest") {
				t.Errorf("blob digest matches: %v", digestOK)
			}
			if brk == "media-type" {
				if top.MediaType != badMediaType {
					t.Errorf("media type %s", top.MediaType)
				}
				return
			}
			tb, err := uncompress(top.MediaType, data)
			if (err != nil) != (brk == "truncated-layer") {
				t.Fatalf("uncompress: %v", err)
			}
			diffOK := sha(tb) == img.RootFS.DiffIDs[len(m.Layers)-1]
			if diffOK != (brk == "traversal") {
				t.Errorf("diff_id matches: %v", diffOK)
			}
			if brk == "traversal" {
				ents := entries(t, tb)
				if ents["../../escape"] == nil || ents["evil"] == nil || ents["evil/tmp/escaped"] == nil {
					t.Errorf("traversal layer = %v", ents)
				}
			}
		})
	}
}

// TestPause: --pause is a one-layer sandbox image, the program its
// entrypoint, no busybox.
func TestPause(t *testing.T) {
	o := opts(t)
	o.busybox = "/nonexistent/busybox"
	o.pause = fakeBusybox(t)
	dir := filepath.Join(t.TempDir(), "img")
	if err := build(o, dir); err != nil {
		t.Fatal(err)
	}
	_, img, tars := image(t, dir, "latest")
	if len(tars) != 1 {
		t.Fatalf("%d layers, want 1", len(tars))
	}
	if !slices.Equal(img.Config.Entrypoint, []string{"/pause"}) || len(img.Config.Cmd) != 0 {
		t.Errorf("config %+v, want Entrypoint [/pause] and no Cmd", img.Config)
	}
	e := entries(t, tars[0])
	if h := e["pause"]; h == nil || h.Mode != 0o755 || h.Typeflag != tar.TypeReg {
		t.Errorf("pause = %+v, want a 0755 file", h)
	}
	if e["bin/busybox"] != nil || e["proc/"] == nil {
		t.Errorf("layer entries %v: want /pause and the mount points only", e)
	}
}

func TestBadOptions(t *testing.T) {
	for _, f := range []func(*options){
		func(o *options) { o.compress = "bzip2" },
		func(o *options) { o.archive = "zip" },
		func(o *options) { o.brk = "everything" },
		func(o *options) { o.onlyPlatform = "linux" },
		func(o *options) { o.platformIndex, o.onlyPlatform = true, "linux/arm64" },
		func(o *options) { o.archive, o.platformIndex = "docker", true },
		func(o *options) { o.configJSON = `{"Cmnd":["x"]}` },
		func(o *options) { o.busybox = "/nonexistent/busybox" },
		func(o *options) { o.pause = "/nonexistent/pause" },
		func(o *options) { o.pause, o.fixtures = fakeBusybox(t), true },
	} {
		o := opts(t)
		f(&o)
		if err := build(o, filepath.Join(t.TempDir(), "img")); err == nil {
			t.Errorf("build(%+v) succeeded", o)
		}
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "x"), nil, 0o644)
	if err := build(opts(t), dir); err == nil {
		t.Error("build into a non-empty directory succeeded")
	}
}
