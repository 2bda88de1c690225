package main

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"xrt/image/ocispec"
)

const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// badMediaType is the layer media type of --break media-type: plausible,
// but not one the image-spec defines.
const badMediaType = "application/vnd.oci.image.layer.v1.tar+bzip2"

// options are the command-line flags.
type options struct {
	busybox       string
	pause         string // --pause: the image is this one program
	fixtures      bool
	compress      string
	compressSet   bool // --compress given: docker archives compress too
	configJSON    string
	tag           string
	repo          string
	layersExtra   int
	bigMB         int
	platformIndex bool
	onlyPlatform  string
	archive       string
	brk           string
}

var breaks = []string{"missing-blob", "blob-digest", "diffid", "truncated-layer", "media-type", "traversal", "no-platform"}

func (o *options) check() error {
	if !slices.Contains([]string{compGzip, compZstd, compNone, "mixed"}, o.compress) {
		return fmt.Errorf("--compress %q: want gzip, zstd, none or mixed", o.compress)
	}
	if !slices.Contains([]string{"", "oci", "docker"}, o.archive) {
		return fmt.Errorf("--archive %q: want oci or docker", o.archive)
	}
	if o.brk != "" && !slices.Contains(breaks, o.brk) {
		return fmt.Errorf("--break %q: want one of %s", o.brk, strings.Join(breaks, ", "))
	}
	if o.onlyPlatform != "" {
		osName, arch, ok := strings.Cut(o.onlyPlatform, "/")
		if !ok || osName == "" || arch == "" || strings.Contains(arch, "/") {
			return fmt.Errorf("--only-platform %q: want os/arch, e.g. linux/arm64", o.onlyPlatform)
		}
	}
	n := 0
	for _, set := range []bool{o.platformIndex, o.onlyPlatform != "", o.brk == "no-platform"} {
		if set {
			n++
		}
	}
	if n > 1 {
		return errors.New("--platform-index, --only-platform and --break no-platform exclude each other")
	}
	if o.archive == "docker" && (n > 0 || o.brk == "media-type") {
		return errors.New("a docker archive has no image index or media types: drop --archive docker")
	}
	if o.layersExtra < 0 || o.bigMB < 0 {
		return errors.New("--layers-extra and --big must not be negative")
	}
	if o.pause != "" && (o.fixtures || o.layersExtra > 0 || o.bigMB > 0 || o.brk != "") {
		return errors.New("--pause makes a one-layer image: drop --fixtures, --layers-extra, --big and --break")
	}
	if o.tag == "" {
		return errors.New("--tag must not be empty")
	}
	return nil
}

// compression returns the compression of layer i (0 is the bottom).
func (o *options) compression(i int) string {
	switch {
	case o.archive == "docker" && !o.compressSet:
		return compNone // `docker save` writes plain tars
	case o.compress == "mixed":
		return []string{compGzip, compZstd, compNone}[i%3]
	}
	return o.compress
}

// layers lists the layers to build, bottom first.
func (o *options) layers() ([]layer, error) {
	if o.pause != "" {
		l, err := pauseLayer(o.pause)
		return []layer{l}, err
	}
	base, err := baseLayer(o.busybox)
	if err != nil {
		return nil, err
	}
	ls := []layer{base}
	if o.fixtures {
		ls = append(ls, fixtureLayers()...)
	}
	for i := range o.layersExtra {
		ls = append(ls, extraLayer(i+1))
	}
	if o.bigMB > 0 {
		ls = append(ls, bigLayer(o.bigMB))
	}
	switch o.brk {
	case "traversal":
		ls = append(ls, traversalLayer())
	case "blob-digest":
		ls = append(ls, brokenLayer(false))
	}
	return ls, nil
}

// build writes the image o describes to out.
func build(o options, out string) error {
	if err := o.check(); err != nil {
		return err
	}
	dir := out
	if o.archive != "" {
		tmp, err := os.MkdirTemp(filepath.Dir(out), ".mkimage-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if err := os.Mkdir(out, 0o755); err != nil {
		if ents, rerr := os.ReadDir(out); rerr != nil || len(ents) > 0 {
			return fmt.Errorf("%s must not exist or be an empty directory: %w", out, err)
		}
	}
	if err := writeLayout(o, layout{dir}); err != nil {
		return err
	}
	switch o.archive {
	case "oci":
		return writeArchive(out, func(tw *tar.Writer) error { return tarDir(tw, dir) })
	case "docker":
		tag := o.tag
		if !strings.Contains(tag, ":") {
			tag = o.repo + ":" + tag
		}
		return writeArchive(out, func(tw *tar.Writer) error { return dockerSave(tw, layout{dir}, tag) })
	}
	return nil
}

// writeLayout fills the OCI image layout l.
func writeLayout(o options, l layout) error {
	if err := os.MkdirAll(filepath.Join(l.dir, "blobs", "sha256"), 0o755); err != nil {
		return err
	}
	ls, err := o.layers()
	if err != nil {
		return err
	}
	var descs []ocispec.Descriptor
	var diffIDs []string
	var history []ocispec.History
	for i, ly := range ls {
		comp := o.compression(i)
		d, diffID, err := l.writeLayer(comp, ly.tarFunc())
		if err != nil {
			return fmt.Errorf("layer %d (%s): %w", i, ly.createdBy, err)
		}
		descs = append(descs, d)
		diffIDs = append(diffIDs, diffID)
		history = append(history, ocispec.History{Created: epoch.Format("2006-01-02T15:04:05Z"), CreatedBy: ly.createdBy})
	}
	top := len(descs) - 1
	if err := breakLayer(o.brk, l, &descs[top], &diffIDs[top], o.compression(top)); err != nil {
		return fmt.Errorf("--break %s: %w", o.brk, err)
	}

	cfg := ocispec.ImageConfig{Cmd: []string{"sh"}, Env: []string{defaultPath}}
	if o.pause != "" {
		cfg = ocispec.ImageConfig{Entrypoint: []string{"/pause"}, Env: []string{defaultPath}}
	}
	if o.configJSON != "" {
		dec := json.NewDecoder(strings.NewReader(o.configJSON))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cfg); err != nil {
			return fmt.Errorf("--config-json: %w", err)
		}
	}
	img := ocispec.Image{
		Created:      epoch.Format("2006-01-02T15:04:05Z"),
		Architecture: runtime.GOARCH,
		OS:           "linux",
		Config:       cfg,
		RootFS:       ocispec.RootFS{Type: "layers", DiffIDs: diffIDs},
		History:      history,
	}
	image := func(osName, arch string) (ocispec.Descriptor, error) {
		c := img
		c.OS, c.Architecture = osName, arch
		cd, err := l.writeJSON(ocispec.MediaTypeConfig, c)
		if err != nil {
			return cd, err
		}
		md, err := l.writeJSON(ocispec.MediaTypeManifest, ocispec.Manifest{
			SchemaVersion: 2, MediaType: ocispec.MediaTypeManifest, Config: cd, Layers: descs,
		})
		md.Platform = &ocispec.Platform{OS: osName, Architecture: arch}
		return md, err
	}
	var platforms [][2]string
	switch {
	case o.platformIndex:
		platforms = [][2]string{{"linux", runtime.GOARCH}, {"linux", otherArchs()[0]}}
	case o.onlyPlatform != "":
		osName, arch, _ := strings.Cut(o.onlyPlatform, "/")
		platforms = [][2]string{{osName, arch}}
	case o.brk == "no-platform":
		platforms = [][2]string{{"linux", otherArchs()[0]}, {"linux", otherArchs()[1]}}
	}

	var ref ocispec.Descriptor
	if platforms == nil {
		if ref, err = image("linux", runtime.GOARCH); err != nil {
			return err
		}
	} else {
		idx := ocispec.Index{SchemaVersion: 2, MediaType: ocispec.MediaTypeIndex}
		for _, p := range platforms {
			md, err := image(p[0], p[1])
			if err != nil {
				return err
			}
			idx.Manifests = append(idx.Manifests, md)
		}
		if ref, err = l.writeJSON(ocispec.MediaTypeIndex, idx); err != nil {
			return err
		}
	}
	ref.Annotations = map[string]string{ocispec.AnnotationRefName: o.tag}
	index, err := json.Marshal(ocispec.Index{SchemaVersion: 2, MediaType: ocispec.MediaTypeIndex, Manifests: []ocispec.Descriptor{ref}})
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(l.dir, "index.json"), index, 0o644); err != nil {
		return err
	}
	ol, _ := json.Marshal(ocispec.Layout{Version: ocispec.ImageLayoutVersion})
	if err := os.WriteFile(filepath.Join(l.dir, "oci-layout"), ol, 0o644); err != nil {
		return err
	}
	if o.brk == "missing-blob" {
		return os.Remove(l.blobPath(descs[top].Digest))
	}
	return nil
}

// otherArchs returns two architectures that are not this machine's.
func otherArchs() []string {
	return slices.DeleteFunc([]string{"arm64", "s390x", "amd64"}, func(a string) bool { return a == runtime.GOARCH })
}

// tarFunc adapts the layer's fill to writeLayer.
func (ly layer) tarFunc() func(*tar.Writer) error {
	return func(tw *tar.Writer) error {
		t := &tarw{tw: tw}
		ly.fill(t)
		return t.err
	}
}
