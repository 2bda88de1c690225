package image

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/klauspost/compress/zstd"

	"xrt/image/ocispec"
)

var (
	baseTar = func(t testing.TB) []byte {
		return layerTar(t, "etc/", "etc/hosts=127.0.0.1 localhost\n", "bin/", "bin/sh=#!shell")
	}
	appTar = func(t testing.TB) []byte { return layerTar(t, "app/", "app/run=run", "bin/ls->sh") }
)

func layerIDs(img *Image) (diffs, chains []string) {
	for _, l := range img.Layers {
		diffs = append(diffs, l.DiffID)
		chains = append(chains, l.ChainID)
	}
	return diffs, chains
}

// TestResolveSources reads one image from every kind of source.
func TestResolveSources(t *testing.T) {
	base, app := baseTar(t), appTar(t)
	l := newLayout(t)
	m := l.add(l.image(imageOpts{}, base, app), "v1")
	want := mustResolve(t, l.dir)
	if want.ManifestDigest != m.Digest || len(want.Layers) != 2 {
		t.Fatalf("layout: manifest %s, %d layers; want %s, 2", want.ManifestDigest, len(want.Layers), m.Digest)
	}
	wantDiffs, wantChains := layerIDs(want)
	if wantDiffs[0] != digestOf(base) || wantChains[0] != wantDiffs[0] || wantChains[1] != digestOf([]byte(wantDiffs[0]+" "+wantDiffs[1])) {
		t.Fatalf("diff ids %v chain ids %v", wantDiffs, wantChains)
	}

	saveDir, _ := dockerSaveDir(t, "example.com/app:v1", base, app)
	// Newer Docker puts an OCI layout next to manifest.json: the layout
	// wins, proven here by a manifest.json that names nothing.
	both := l.dir + "-both"
	copyTree(t, l.dir, both)
	if err := os.WriteFile(filepath.Join(both, "manifest.json"), []byte(`[{"Config":"nope.json","Layers":["nope"]}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	sources := map[string]string{
		"oci-archive":            tarDir(t, l.dir, false) + ":v1",
		"oci-archive.gz":         tarDir(t, l.dir, true) + ":v1",
		"docker-save dir":        saveDir,
		"docker-save tar":        tarDir(t, saveDir, false) + ":v1",
		"docker-save tar.gz":     tarDir(t, saveDir, true) + ":example.com/app:v1",
		"docker-save and layout": tarDir(t, both, false),
	}
	for name, ref := range sources {
		t.Run(name, func(t *testing.T) {
			img := mustResolve(t, ref)
			diffs, chains := layerIDs(img)
			if img.ConfigDigest != want.ConfigDigest && name[:6] != "docker" {
				t.Errorf("config %s, want %s", img.ConfigDigest, want.ConfigDigest)
			}
			if !slices.Equal(diffs, wantDiffs) || !slices.Equal(chains, wantChains) {
				t.Errorf("diff ids %v chain ids %v, want %v %v", diffs, chains, wantDiffs, wantChains)
			}
			if img.Config.Architecture != runtime.GOARCH || img.Config.Config.Cmd[0] != "/bin/sh" {
				t.Errorf("config %+v", img.Config)
			}
			// Every layer reads back whole and verified.
			for i := range img.Layers {
				rc, err := img.OpenLayer(i)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := readAllClose(rc); err != nil {
					t.Fatalf("layer %d: %v", i, err)
				}
			}
		})
	}
}

// TestDockerSaveSymlinkedLayer reads a docker save tar whose repeated
// layer is a symlink to the first copy, as Docker writes it.
func TestDockerSaveSymlinkedLayer(t *testing.T) {
	layer := baseTar(t)
	dir, _ := dockerSaveDir(t, "x:1", layer)
	link := filepath.Join(dir, "other", "layer.tar")
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../"+digestHex(digestOf(layer))[:12]+"/layer.tar", link); err != nil {
		t.Fatal(err)
	}
	rewriteSaveLayers(t, dir, []string{"other/layer.tar"})
	img := mustResolve(t, tarDir(t, dir, false))
	rc, err := img.OpenLayer(0)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := readAllClose(rc); err != nil || len(b) != len(layer) {
		t.Fatalf("read %d bytes, %v", len(b), err)
	}
}

func TestTagAndDigestSelection(t *testing.T) {
	l := newLayout(t)
	a := l.add(l.image(imageOpts{}, baseTar(t)), "a")
	b := l.add(l.image(imageOpts{}, appTar(t)), "b")
	// One tag can name several manifests; the platform then decides.
	wrongArch := "arm64"
	if runtime.GOARCH == "arm64" {
		wrongArch = "amd64"
	}
	l.add(l.image(imageOpts{arch: wrongArch}, appTar(t)), "multi")
	c := l.add(l.image(imageOpts{}, baseTar(t), appTar(t)), "multi")

	if got := mustResolve(t, l.dir+":a").ManifestDigest; got != a.Digest {
		t.Errorf(":a resolved to %s, want %s", got, a.Digest)
	}
	if got := mustResolve(t, l.dir+"@"+b.Digest).ManifestDigest; got != b.Digest {
		t.Errorf("@digest resolved to %s, want %s", got, b.Digest)
	}
	if got := mustResolve(t, l.dir+":multi").ManifestDigest; got != c.Digest {
		t.Errorf(":multi resolved to %s, want %s (this platform's)", got, c.Digest)
	}
	wantErr(t, resolveErr(t, l.dir), "holds 4 images", "tags: a, b, multi")
	wantErr(t, resolveErr(t, l.dir+":nope"), `no image tagged "nope"`, "tags: a, b, multi")
	wantErr(t, resolveErr(t, l.dir+"@"+digestOf([]byte("x"))), "no manifest or index with digest")

	// A layout with one image needs no tag.
	one := newLayout(t)
	d := one.add(one.image(imageOpts{}, baseTar(t)), "")
	if got := mustResolve(t, one.dir).ManifestDigest; got != d.Digest {
		t.Errorf("single image resolved to %s, want %s", got, d.Digest)
	}

	// docker save with two images.
	dir, cfg1 := dockerSaveDir(t, "example.com/one:latest", baseTar(t))
	dir2, cfg2 := dockerSaveDir(t, "example.com/two:latest", appTar(t))
	mergeSaveDirs(t, dir, dir2)
	wantErr(t, resolveErr(t, dir), "holds 2 images", "example.com/one:latest, example.com/two:latest")
	wantErr(t, resolveErr(t, dir+":latest"), "matches several images")
	if got := mustResolve(t, dir+":example.com/two:latest").ConfigDigest; got != digestOf(cfg2) {
		t.Errorf("full tag picked config %s, want %s", got, digestOf(cfg2))
	}
	if got := mustResolve(t, dir+"@"+digestOf(cfg1)).ConfigDigest; got != digestOf(cfg1) {
		t.Errorf("@config digest picked %s, want %s", got, digestOf(cfg1))
	}
}

func TestPlatformIndex(t *testing.T) {
	l := newLayout(t)
	other := "s390x"
	host := l.image(imageOpts{}, baseTar(t))
	foreign := l.image(imageOpts{arch: other}, appTar(t))
	attestation := l.blob(ocispec.MediaTypeManifest, []byte(`{"schemaVersion":2}`))
	attestation.Platform = &ocispec.Platform{OS: "unknown", Architecture: "unknown"}
	idx := l.add(l.indexOf(foreign, attestation, host), "multi")
	if got := mustResolve(t, l.dir+":multi").ManifestDigest; got != host.Digest {
		t.Errorf("index picked %s, want %s", got, host.Digest)
	}
	if got := mustResolve(t, l.dir+"@"+idx.Digest).ManifestDigest; got != host.Digest {
		t.Errorf("@index digest picked %s, want %s", got, host.Digest)
	}
	// Nested: an index whose entry is an index.
	l.add(l.indexOf(l.indexOf(foreign, host)), "nested")
	if got := mustResolve(t, l.dir+":nested").ManifestDigest; got != host.Digest {
		t.Errorf("nested index picked %s, want %s", got, host.Digest)
	}
	// A variant above what this CPU can run is passed over.
	if runtime.GOARCH == "amd64" {
		v9 := host
		v9.Platform = &ocispec.Platform{OS: "linux", Architecture: "amd64", Variant: "v9"}
		plainHost := l.image(imageOpts{}, appTar(t))
		l.add(l.indexOf(v9, plainHost), "variant")
		if got := mustResolve(t, l.dir+":variant").ManifestDigest; got != plainHost.Digest {
			t.Errorf("variant index picked %s, want %s", got, plainHost.Digest)
		}
	}
	l.add(l.indexOf(foreign, attestation), "none")
	wantErr(t, resolveErr(t, l.dir+":none"), "no image for this host's platform linux/"+runtime.GOARCH, "linux/"+other, "unknown/unknown")
}

// copyTree copies a directory of plain files and dirs.
func copyTree(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dst, rel)
		if fi.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func readSaveManifest(t testing.TB, dir string) []ocispec.DockerSaveEntry {
	t.Helper()
	var entries []ocispec.DockerSaveEntry
	src := &dirSource{}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	src.root = root
	defer src.Close()
	if err := readJSONFile(src, "manifest.json", &entries); err != nil {
		t.Fatal(err)
	}
	return entries
}

func rewriteSaveLayers(t testing.TB, dir string, layers []string) {
	t.Helper()
	entries := readSaveManifest(t, dir)
	entries[0].Layers = layers
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), mustJSON(t, entries), 0o644); err != nil {
		t.Fatal(err)
	}
}

// mergeSaveDirs moves the image of docker save dir src into dst.
func mergeSaveDirs(t testing.TB, dst, src string) {
	t.Helper()
	entries := append(readSaveManifest(t, dst), readSaveManifest(t, src)...)
	copyTree(t, src, dst)
	if err := os.WriteFile(filepath.Join(dst, "manifest.json"), mustJSON(t, entries), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readAllClose(rc interface {
	Read([]byte) (int, error)
	Close() error
}) ([]byte, error) {
	defer rc.Close()
	var out []byte
	buf := make([]byte, 32<<10)
	for {
		n, err := rc.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			if err.Error() == "EOF" {
				return out, nil
			}
			return out, err
		}
	}
}

func TestResolveNotAnImage(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk")
	if err := os.WriteFile(junk, []byte("this is not a tar archive, not at all, no"), 0o644); err != nil {
		t.Fatal(err)
	}
	wantErr(t, resolveErr(t, junk), "not a readable tar archive")
	wantErr(t, resolveErr(t, dir), "neither", "oci-layout", "manifest.json")
	wantErr(t, resolveErr(t, filepath.Join(dir, "missing")+":v1"), "no such file")
	l := newLayout(t)
	l.writeFile("oci-layout", []byte(`{"imageLayoutVersion":"2.0.0"}`))
	wantErr(t, resolveErr(t, l.dir), `imageLayoutVersion "2.0.0"`)
}

func TestResolveZstdArchive(t *testing.T) {
	l := newLayout(t)
	d := l.add(l.image(imageOpts{}, baseTar(t)), "v1")
	plain, err := os.ReadFile(tarDir(t, l.dir, false))
	if err != nil {
		t.Fatal(err)
	}
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "img.tar.zst")
	if err := os.WriteFile(p, enc.EncodeAll(plain, nil), 0o644); err != nil {
		t.Fatal(err)
	}
	enc.Close()
	if got := mustResolve(t, p+":v1").ManifestDigest; got != d.Digest {
		t.Fatalf("zstd archive resolved to %s, want %s", got, d.Digest)
	}
}
