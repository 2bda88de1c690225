package image

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"xrt/image/ocispec"
)

// resolveDockerSave resolves ref in a `docker save` archive: manifest.json
// lists images as a config file and layer tar files. There is no manifest
// blob, so xrt builds the equivalent OCI manifest and names the image by
// its digest.
func resolveDockerSave(src source, ref Ref) (*Image, error) {
	var entries []ocispec.DockerSaveEntry
	if err := readJSONFile(src, "manifest.json", &entries); err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return nil, errors.New("manifest.json lists no images")
	}
	e, err := selectSaveEntry(src, entries, ref)
	if err != nil {
		return nil, err
	}
	return loadSaveEntry(src, e)
}

func selectSaveEntry(src source, entries []ocispec.DockerSaveEntry, ref Ref) (ocispec.DockerSaveEntry, error) {
	var all []string
	for _, e := range entries {
		all = append(all, e.RepoTags...)
	}
	switch {
	case ref.Digest != "":
		for _, e := range entries {
			img, err := loadSaveEntry(src, e)
			if err != nil {
				return e, err
			}
			if img.ConfigDigest == ref.Digest || img.ManifestDigest == ref.Digest {
				return e, nil
			}
		}
		return ocispec.DockerSaveEntry{}, fmt.Errorf("no image with config (image ID) or manifest digest %s in manifest.json", ref.Digest)
	case ref.Tag != "":
		var exact, suffix []ocispec.DockerSaveEntry
		for _, e := range entries {
			for _, t := range e.RepoTags {
				if t == ref.Tag {
					exact = append(exact, e)
				} else if tagOf(t) == ref.Tag {
					suffix = append(suffix, e)
				}
			}
		}
		switch {
		case len(exact) == 1:
			return exact[0], nil
		case len(exact) == 0 && len(suffix) == 1:
			return suffix[0], nil
		case len(exact)+len(suffix) == 0:
			return ocispec.DockerSaveEntry{}, fmt.Errorf("no image tagged %q in manifest.json; %s", ref.Tag, tagList(all))
		}
		return ocispec.DockerSaveEntry{}, fmt.Errorf("tag %q matches several images in manifest.json: name one by its full tag; %s", ref.Tag, tagList(all))
	}
	if len(entries) > 1 {
		return ocispec.DockerSaveEntry{}, fmt.Errorf("manifest.json holds %d images: name one as PATH:TAG; %s", len(entries), tagList(all))
	}
	return entries[0], nil
}

// loadSaveEntry reads one image of a `docker save` archive.
func loadSaveEntry(src source, e ocispec.DockerSaveEntry) (*Image, error) {
	config, err := readSaveFile(src, e.Config, "config")
	if err != nil {
		return nil, err
	}
	configDigest := sha256Digest(config)
	if want := digestInName(e.Config); want != "" && want != digestHex(configDigest) {
		return nil, fmt.Errorf("config %s has digest %s: the archive is corrupt", e.Config, configDigest)
	}
	var cfg ocispec.Image
	if err := json.Unmarshal(config, &cfg); err != nil {
		return nil, fmt.Errorf("config %s: %w", e.Config, err)
	}
	if len(cfg.RootFS.DiffIDs) != len(e.Layers) {
		return nil, fmt.Errorf("config %s lists %d layers (rootfs.diff_ids) but manifest.json has %d: the archive is corrupt",
			e.Config, len(cfg.RootFS.DiffIDs), len(e.Layers))
	}
	m := ocispec.Manifest{
		SchemaVersion: 2,
		MediaType:     ocispec.MediaTypeManifest,
		Config:        ocispec.Descriptor{MediaType: ocispec.MediaTypeConfig, Digest: configDigest, Size: int64(len(config))},
	}
	for i, name := range e.Layers {
		d, err := saveLayerDescriptor(src, name, cfg.RootFS.DiffIDs[i], e.LayerSources)
		if err != nil {
			return nil, fmt.Errorf("layer %d (%s): %w", i, name, err)
		}
		m.Layers = append(m.Layers, d)
	}
	img, err := newImage(m, config, e.Layers)
	if err != nil {
		return nil, err
	}
	mb, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	img.ManifestDigest = sha256Digest(mb)
	return img, nil
}

// readSaveFile reads a small JSON file named in manifest.json.
func readSaveFile(src source, name, what string) ([]byte, error) {
	rc, size, err := src.open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s %s named in manifest.json is missing: the archive is incomplete", what, name)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s %s: %w", what, name, err)
	}
	defer rc.Close()
	if size > maxJSONBlob {
		return nil, fmt.Errorf("%s %s: %d bytes is too large", what, name, size)
	}
	return io.ReadAll(rc)
}

// digestInName returns the sha256 hex a `docker save` file name carries
// ("<hex>.json", "blobs/sha256/<hex>", "<hex>/layer.tar"), or "".
func digestInName(name string) string {
	base := strings.TrimSuffix(path.Base(name), ".json")
	if len(base) == 64 && ValidateDigest("sha256:"+base) == nil {
		return base
	}
	return ""
}

// saveLayerDescriptor describes a layer file of a `docker save` archive.
// Docker saves layers uncompressed, so the file's digest is its diff ID
// and nothing needs hashing now: reading the layer verifies it. A
// compressed layer (other tools) is hashed here to learn its digest.
func saveLayerDescriptor(src source, name, diffID string, foreign map[string]ocispec.Descriptor) (ocispec.Descriptor, error) {
	rc, size, err := src.open(name)
	if errors.Is(err, fs.ErrNotExist) {
		if f, ok := foreign[diffID]; ok {
			return f, fmt.Errorf("foreign layer %s (%s) is not in the archive: xrt does not download layers", f.Digest, f.MediaType)
		}
		return ocispec.Descriptor{}, errors.New("missing from the archive: the archive is incomplete")
	}
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	defer rc.Close()
	var magic [4]byte
	n, _ := io.ReadFull(rc, magic[:])
	mt := ocispec.MediaTypeLayer
	switch {
	case n >= 2 && bytes.Equal(magic[:2], []byte{0x1f, 0x8b}):
		mt = ocispec.MediaTypeLayerGzip
	case n == 4 && bytes.Equal(magic[:], []byte{0x28, 0xb5, 0x2f, 0xfd}):
		mt = ocispec.MediaTypeLayerZstd
	default:
		return ocispec.Descriptor{MediaType: mt, Digest: diffID, Size: size}, nil
	}
	h := sha256.New()
	h.Write(magic[:n])
	if _, err := io.Copy(h, rc); err != nil {
		return ocispec.Descriptor{}, err
	}
	return ocispec.Descriptor{MediaType: mt, Digest: "sha256:" + hex.EncodeToString(h.Sum(nil)), Size: size}, nil
}
