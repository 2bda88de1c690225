package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"xrt/image/ocispec"
)

// layerTar builds an uncompressed layer tar. Each spec is "dir/" for a
// directory ("dir/#0710" with a mode), "name=content" for a file, or
// "name->target" for a symlink.
func layerTar(t testing.TB, specs ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, s := range specs {
		var hdr tar.Header
		var body string
		switch {
		case strings.HasSuffix(s, "/") || strings.Contains(s, "/#"):
			name, mode, _ := strings.Cut(s, "#")
			hdr = tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755}
			if mode != "" {
				m, err := strconv.ParseInt(mode, 8, 32)
				if err != nil {
					t.Fatal(err)
				}
				hdr.Mode = m
			}
		case strings.Contains(s, "->"):
			name, target, _ := strings.Cut(s, "->")
			hdr = tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777}
		default:
			name, content, _ := strings.Cut(s, "=")
			hdr = tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(content))}
			body = content
		}
		if err := tw.WriteHeader(&hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testLayout writes an OCI image layout in a temporary directory.
type testLayout struct {
	t     testing.TB
	dir   string
	index ocispec.Index
}

func newLayout(t testing.TB) *testLayout {
	t.Helper()
	l := &testLayout{t: t, dir: filepath.Join(t.TempDir(), "layout"), index: ocispec.Index{SchemaVersion: 2, MediaType: ocispec.MediaTypeIndex}}
	if err := os.MkdirAll(filepath.Join(l.dir, "blobs", "sha256"), 0o755); err != nil {
		t.Fatal(err)
	}
	l.writeFile("oci-layout", mustJSON(t, ocispec.Layout{Version: ocispec.ImageLayoutVersion}))
	l.write()
	return l
}

func (l *testLayout) writeFile(name string, b []byte) {
	l.t.Helper()
	if err := os.WriteFile(filepath.Join(l.dir, name), b, 0o644); err != nil {
		l.t.Fatal(err)
	}
}

// blob stores b and returns its descriptor.
func (l *testLayout) blob(mediaType string, b []byte) ocispec.Descriptor {
	l.t.Helper()
	d := ocispec.Descriptor{MediaType: mediaType, Digest: digestOf(b), Size: int64(len(b))}
	l.writeFile(blobPath(d.Digest), b)
	return d
}

// blobFile is where a descriptor's blob is on disk.
func (l *testLayout) blobFile(d ocispec.Descriptor) string {
	return filepath.Join(l.dir, blobPath(d.Digest))
}

// imageOpts varies what image() builds.
type imageOpts struct {
	arch       string   // config architecture, default runtime.GOARCH
	layerMT    string   // layer media type, default gzip
	configMT   string   // config media type, default OCI
	diffIDs    []string // override the config's diff IDs
	compressed [][]byte // override the stored blob of layer i (nil keeps)
}

// image stores a gzip-layered image of the given uncompressed layer
// tars and returns its manifest descriptor (not yet in index.json).
func (l *testLayout) image(o imageOpts, layers ...[]byte) ocispec.Descriptor {
	l.t.Helper()
	if o.arch == "" {
		o.arch = runtime.GOARCH
	}
	if o.layerMT == "" {
		o.layerMT = ocispec.MediaTypeLayerGzip
	}
	if o.configMT == "" {
		o.configMT = ocispec.MediaTypeConfig
	}
	cfg := ocispec.Image{Architecture: o.arch, OS: "linux", RootFS: ocispec.RootFS{Type: "layers"},
		Config: ocispec.ImageConfig{Cmd: []string{"/bin/sh"}}}
	m := ocispec.Manifest{SchemaVersion: 2, MediaType: ocispec.MediaTypeManifest}
	for i, raw := range layers {
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, digestOf(raw))
		blob := raw
		if o.layerMT == ocispec.MediaTypeLayerGzip {
			blob = gzipBytes(l.t, raw)
		}
		if i < len(o.compressed) && o.compressed[i] != nil {
			blob = o.compressed[i]
		}
		m.Layers = append(m.Layers, l.blob(o.layerMT, blob))
	}
	if o.diffIDs != nil {
		cfg.RootFS.DiffIDs = o.diffIDs
	}
	m.Config = l.blob(o.configMT, mustJSON(l.t, cfg))
	d := l.blob(ocispec.MediaTypeManifest, mustJSON(l.t, m))
	d.Platform = &ocispec.Platform{OS: "linux", Architecture: o.arch}
	return d
}

// index stores an image index of descs and returns its descriptor.
func (l *testLayout) indexOf(descs ...ocispec.Descriptor) ocispec.Descriptor {
	l.t.Helper()
	return l.blob(ocispec.MediaTypeIndex, mustJSON(l.t, ocispec.Index{SchemaVersion: 2, MediaType: ocispec.MediaTypeIndex, Manifests: descs}))
}

// add lists d in index.json under tag ("" for none) and rewrites it.
func (l *testLayout) add(d ocispec.Descriptor, tag string) ocispec.Descriptor {
	l.t.Helper()
	if tag != "" {
		d.Annotations = map[string]string{ocispec.AnnotationRefName: tag}
	}
	l.index.Manifests = append(l.index.Manifests, d)
	l.write()
	return d
}

func (l *testLayout) write() {
	l.t.Helper()
	if l.index.Manifests == nil {
		l.index.Manifests = []ocispec.Descriptor{}
	}
	l.writeFile("index.json", mustJSON(l.t, l.index))
}

// tarDir archives dir (its contents at the archive root) into a file.
func tarDir(t testing.TB, dir string, compress bool) string {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		var link string
		if d.Type()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		hdr, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return err
		}
		hdr.Name = rel
		if d.IsDir() {
			hdr.Name += "/"
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if d.Type().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			_, err = tw.Write(b)
			return err
		}
		return nil
	})
	if err == nil {
		err = tw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	name := "archive.tar"
	if compress {
		b, name = gzipBytes(t, b), "archive.tar.gz"
	}
	out := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(out, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// dockerSaveDir writes the `docker save` form of an image made of the
// given uncompressed layers into a new directory.
func dockerSaveDir(t testing.TB, repoTag string, layers ...[]byte) (dir string, config []byte) {
	t.Helper()
	dir = t.TempDir()
	cfg := ocispec.Image{Architecture: runtime.GOARCH, OS: "linux", RootFS: ocispec.RootFS{Type: "layers"},
		Config: ocispec.ImageConfig{Cmd: []string{"/bin/sh"}}}
	entry := ocispec.DockerSaveEntry{RepoTags: []string{repoTag}}
	for _, raw := range layers {
		d := digestOf(raw)
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, d)
		name := digestHex(d)[:12] + "/layer.tar"
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), raw, 0o644); err != nil {
			t.Fatal(err)
		}
		entry.Layers = append(entry.Layers, name)
	}
	config = mustJSON(t, cfg)
	entry.Config = digestHex(digestOf(config)) + ".json"
	if err := os.WriteFile(filepath.Join(dir, entry.Config), config, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), mustJSON(t, []ocispec.DockerSaveEntry{entry}), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, config
}

func mustResolve(t testing.TB, ref string) *Image {
	t.Helper()
	r, err := ParseRef(ref)
	if err != nil {
		t.Fatal(err)
	}
	img, err := Resolve(r)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { img.Close() })
	return img
}

func resolveErr(t testing.TB, ref string) error {
	t.Helper()
	r, err := ParseRef(ref)
	if err != nil {
		t.Fatal(err)
	}
	img, err := Resolve(r)
	if err == nil {
		img.Close()
	}
	return err
}

func openStore(t testing.TB) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// dirNames lists a directory's entries.
func dirNames(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func wantErr(t testing.TB, err error, substr ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", substr)
	}
	t.Logf("error: %v", err)
	for _, s := range substr {
		if !strings.Contains(err.Error(), s) {
			t.Fatalf("error %q does not contain %q", err, s)
		}
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
