package image

import (
	"encoding/json"
	"fmt"
	"io"

	"xrt/image/ocispec"
)

// Image is one resolved image: its manifest and configuration, read and
// verified, and its layers, ready to be opened. Layer content is verified
// while it is read. Close the Image to release its source.
type Image struct {
	Ref Ref
	// ManifestDigest identifies the image. For a `docker save` archive
	// without an OCI layout inside, which has no manifest, it is the
	// digest of the OCI manifest xrt builds from manifest.json.
	ManifestDigest string
	Manifest       ocispec.Manifest
	ConfigDigest   string
	Config         ocispec.Image
	Layers         []Layer // bottom first

	src source
}

// Layer is one filesystem layer of an Image.
type Layer struct {
	Descriptor ocispec.Descriptor // the (usually compressed) blob
	DiffID     string             // digest of the uncompressed tar (config rootfs.diff_ids)
	ChainID    string             // identity of this layer applied on all below it (config.md)

	file string // where the blob lives in the source
}

// Resolve opens the image ref names and reads its manifest and
// configuration. The source is an OCI image layout directory, an
// oci-archive (a tar of a layout, plain, gzip or zstd), or a `docker
// save` archive or directory; an archive holding both a layout and a
// `docker save` manifest.json is read as a layout.
func Resolve(ref Ref) (*Image, error) {
	ref = ref.onDisk()
	src, err := openSource(ref.Path)
	if err != nil {
		return nil, err
	}
	var img *Image
	switch {
	case src.exists("oci-layout"):
		img, err = resolveLayout(src, ref)
	case src.exists("manifest.json"):
		img, err = resolveDockerSave(src, ref)
	default:
		err = fmt.Errorf("not an image: an OCI image layout has an oci-layout file, a docker save archive a manifest.json, and %s has neither", ref.Path)
	}
	if err != nil {
		src.Close()
		return nil, fmt.Errorf("resolve image %s: %w", ref, err)
	}
	img.Ref = ref
	img.src = src
	return img, nil
}

// Close releases the image's source. Layers cannot be opened afterwards.
func (img *Image) Close() error {
	if img.src == nil {
		return nil
	}
	err := img.src.Close()
	img.src = nil
	return err
}

// OpenLayer opens the blob of layer i as stored (compressed or not).
// Reading it to EOF verifies its digest and size: an error, not io.EOF,
// reports a mismatch.
func (img *Image) OpenLayer(i int) (io.ReadCloser, error) {
	if i < 0 || i >= len(img.Layers) {
		return nil, fmt.Errorf("open layer %d: the image has %d layers", i, len(img.Layers))
	}
	if img.src == nil {
		return nil, fmt.Errorf("open layer %d: image %s is closed", i, img.Ref)
	}
	l := img.Layers[i]
	return openBlobAt(img.src, l.file, l.Descriptor, fmt.Sprintf("layer %d", i))
}

// loadManifest reads the manifest desc points at and its configuration.
func loadManifest(src source, desc ocispec.Descriptor) (*Image, error) {
	b, err := readBlob(src, desc, "manifest")
	if err != nil {
		return nil, err
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", desc.Digest, err)
	}
	if m.SchemaVersion != 2 {
		return nil, fmt.Errorf("manifest %s: schemaVersion %d, want 2", desc.Digest, m.SchemaVersion)
	}
	if m.MediaType != "" && m.MediaType != desc.MediaType {
		return nil, fmt.Errorf("manifest %s: mediaType %q differs from its descriptor's %q", desc.Digest, m.MediaType, desc.MediaType)
	}
	if !isConfig(m.Config.MediaType) {
		return nil, fmt.Errorf("manifest %s: config media type %q is not an image configuration (want %s): is this an artifact rather than a container image?",
			desc.Digest, m.Config.MediaType, ocispec.MediaTypeConfig)
	}
	cb, err := readBlob(src, m.Config, "config")
	if err != nil {
		return nil, err
	}
	files := make([]string, len(m.Layers))
	for i, l := range m.Layers {
		if err := ValidateDigest(l.Digest); err != nil {
			return nil, fmt.Errorf("manifest %s: layer %d: %w", desc.Digest, i, err)
		}
		files[i] = blobPath(l.Digest)
	}
	img, err := newImage(m, cb, files)
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %w", desc.Digest, err)
	}
	img.ManifestDigest = desc.Digest
	return img, nil
}

// newImage checks that a manifest and its configuration agree and builds
// the Image. files[i] is where layer i's blob is in the source.
func newImage(m ocispec.Manifest, config []byte, files []string) (*Image, error) {
	img := &Image{Manifest: m, ConfigDigest: m.Config.Digest}
	if err := json.Unmarshal(config, &img.Config); err != nil {
		return nil, fmt.Errorf("config %s: %w", m.Config.Digest, err)
	}
	rootfs := img.Config.RootFS
	if rootfs.Type != "layers" {
		return nil, fmt.Errorf("config %s: rootfs.type %q, want \"layers\"", m.Config.Digest, rootfs.Type)
	}
	if len(rootfs.DiffIDs) != len(m.Layers) {
		return nil, fmt.Errorf("config %s lists %d layers (rootfs.diff_ids) but the manifest has %d: the image is corrupt",
			m.Config.Digest, len(rootfs.DiffIDs), len(m.Layers))
	}
	for i, d := range rootfs.DiffIDs {
		if err := ValidateDigest(d); err != nil {
			return nil, fmt.Errorf("config %s: rootfs.diff_ids[%d]: %w", m.Config.Digest, i, err)
		}
	}
	chains := chainIDs(rootfs.DiffIDs)
	for i, l := range m.Layers {
		if !isLayer(l.MediaType) {
			return nil, fmt.Errorf("layer %d (%s): unsupported media type %q (want %s or its +gzip/+zstd forms)",
				i, l.Digest, l.MediaType, ocispec.MediaTypeLayer)
		}
		if err := ValidateDigest(l.Digest); err != nil {
			return nil, fmt.Errorf("layer %d: %w", i, err)
		}
		img.Layers = append(img.Layers, Layer{Descriptor: l, DiffID: rootfs.DiffIDs[i], ChainID: chains[i], file: files[i]})
	}
	return img, nil
}
