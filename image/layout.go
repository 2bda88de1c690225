package image

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"xrt/image/ocispec"
)

// annotationContainerdName is the full image name containerd and Docker
// 25+ write next to ref.name in index.json ("docker.io/library/busybox:1").
const annotationContainerdName = "io.containerd.image.name"

// maxIndexDepth bounds indexes pointing at indexes.
const maxIndexDepth = 8

// resolveLayout resolves ref in an OCI image layout.
func resolveLayout(src source, ref Ref) (*Image, error) {
	var layout ocispec.Layout
	if err := readJSONFile(src, "oci-layout", &layout); err != nil {
		return nil, err
	}
	if major, _, _ := strings.Cut(layout.Version, "."); major != "1" {
		return nil, fmt.Errorf("oci-layout: imageLayoutVersion %q is not supported (want %s)", layout.Version, ocispec.ImageLayoutVersion)
	}
	var idx ocispec.Index
	if err := readJSONFile(src, "index.json", &idx); err != nil {
		return nil, err
	}
	if idx.SchemaVersion != 2 {
		return nil, fmt.Errorf("index.json: schemaVersion %d, want 2", idx.SchemaVersion)
	}
	desc, err := selectInLayout(src, idx, ref)
	if err != nil {
		return nil, err
	}
	if desc, err = descend(src, desc); err != nil {
		return nil, err
	}
	return loadManifest(src, desc)
}

// readJSONFile decodes a small file that is not a blob (no digest).
func readJSONFile(src source, name string, v any) error {
	rc, _, err := src.open(name)
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxJSONBlob+1))
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	if len(b) > maxJSONBlob {
		return fmt.Errorf("read %s: larger than %d bytes", name, maxJSONBlob)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %s: %w", name, err)
	}
	return nil
}

// selectInLayout picks the index.json entry ref names.
func selectInLayout(src source, idx ocispec.Index, ref Ref) (ocispec.Descriptor, error) {
	switch {
	case ref.Digest != "":
		d, err := findDigest(src, idx.Manifests, ref.Digest, 0)
		if err != nil {
			return d, err
		}
		if d.Digest == "" {
			return d, fmt.Errorf("no manifest or index with digest %s in the layout", ref.Digest)
		}
		return d, nil
	case ref.Tag != "":
		matches := matchTag(idx.Manifests, ref.Tag)
		if len(matches) == 0 {
			return ocispec.Descriptor{}, fmt.Errorf("no image tagged %q in the layout; %s", ref.Tag, tagList(layoutTags(idx.Manifests)))
		}
		return pickAmong(matches, fmt.Sprintf("tag %q", ref.Tag), idx.Manifests)
	}
	var known []ocispec.Descriptor
	for _, d := range idx.Manifests {
		// image-layout.md: unknown media types in index.json are not errors.
		if isIndex(d.MediaType) || isManifest(d.MediaType) {
			known = append(known, d)
		}
	}
	if len(known) == 0 {
		return ocispec.Descriptor{}, errors.New("index.json lists no image manifest or index")
	}
	return pickAmong(known, "", idx.Manifests)
}

// pickAmong chooses one of several candidate entries: the only one, or,
// when they are one image for several platforms (one name, each entry
// with a platform), the one for this platform.
func pickAmong(ds []ocispec.Descriptor, what string, all []ocispec.Descriptor) (ocispec.Descriptor, error) {
	if len(ds) == 1 {
		return ds[0], nil
	}
	names := map[string]bool{}
	withPlatform := 0
	for _, d := range ds {
		names[d.Annotations[ocispec.AnnotationRefName]] = true
		if d.Platform != nil {
			withPlatform++
		}
	}
	switch {
	case len(names) == 1 && withPlatform == len(ds):
		return selectPlatform(ds, "index.json")
	case what == "":
		return ocispec.Descriptor{}, fmt.Errorf("the layout holds %d images: name one as PATH:TAG or PATH@DIGEST; %s", len(ds), tagList(layoutTags(all)))
	}
	return ocispec.Descriptor{}, fmt.Errorf("%s names %d images: name one as PATH@DIGEST", what, len(ds))
}

// matchTag returns the entries whose ref.name (or containerd image name)
// is tag, or failing that, whose name ends in ":tag".
func matchTag(ds []ocispec.Descriptor, tag string) []ocispec.Descriptor {
	var exact, suffix []ocispec.Descriptor
	for _, d := range ds {
		names := []string{d.Annotations[ocispec.AnnotationRefName], d.Annotations[annotationContainerdName]}
		switch {
		case names[0] == tag || names[1] == tag:
			exact = append(exact, d)
		case tagOf(names[0]) == tag || tagOf(names[1]) == tag:
			suffix = append(suffix, d)
		}
	}
	if len(exact) > 0 {
		return exact
	}
	return suffix
}

// tagOf returns the tag of a name:tag image name, or "".
func tagOf(name string) string {
	slash := strings.LastIndexByte(name, '/')
	if c := strings.LastIndexByte(name, ':'); c > slash {
		return name[c+1:]
	}
	return ""
}

func layoutTags(ds []ocispec.Descriptor) []string {
	var tags []string
	for _, d := range ds {
		if n := d.Annotations[ocispec.AnnotationRefName]; n != "" {
			tags = append(tags, n)
		}
	}
	return tags
}

// tagList formats tags for an error message.
func tagList(tags []string) string {
	if len(tags) == 0 {
		return "it has no tags"
	}
	sort.Strings(tags)
	tags = compactStrings(tags)
	return "tags: " + strings.Join(tags, ", ")
}

func compactStrings(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// findDigest looks for digest among ds and the indexes they point at.
// A zero Descriptor means not found.
func findDigest(src source, ds []ocispec.Descriptor, digest string, depth int) (ocispec.Descriptor, error) {
	for _, d := range ds {
		if d.Digest == digest {
			return d, nil
		}
	}
	if depth >= maxIndexDepth {
		return ocispec.Descriptor{}, nil
	}
	for _, d := range ds {
		if !isIndex(d.MediaType) {
			continue
		}
		idx, err := readIndex(src, d)
		if err != nil {
			return ocispec.Descriptor{}, err
		}
		if found, err := findDigest(src, idx.Manifests, digest, depth+1); err != nil || found.Digest != "" {
			return found, err
		}
	}
	return ocispec.Descriptor{}, nil
}

func readIndex(src source, d ocispec.Descriptor) (ocispec.Index, error) {
	var idx ocispec.Index
	b, err := readBlob(src, d, "index")
	if err != nil {
		return idx, err
	}
	if err := json.Unmarshal(b, &idx); err != nil {
		return idx, fmt.Errorf("index %s: %w", d.Digest, err)
	}
	if idx.SchemaVersion != 2 {
		return idx, fmt.Errorf("index %s: schemaVersion %d, want 2", d.Digest, idx.SchemaVersion)
	}
	return idx, nil
}

// descend follows image indexes from desc down to the manifest for this
// platform.
func descend(src source, desc ocispec.Descriptor) (ocispec.Descriptor, error) {
	for range maxIndexDepth {
		switch {
		case isManifest(desc.MediaType):
			return desc, nil
		case isIndex(desc.MediaType):
			idx, err := readIndex(src, desc)
			if err != nil {
				return desc, err
			}
			if desc, err = selectPlatform(idx.Manifests, "image index "+desc.Digest); err != nil {
				return desc, err
			}
		default:
			return desc, fmt.Errorf("%s: unsupported media type %q (want an image manifest %s or index %s)",
				desc.Digest, desc.MediaType, ocispec.MediaTypeManifest, ocispec.MediaTypeIndex)
		}
	}
	return desc, fmt.Errorf("image indexes nested more than %d deep at %s", maxIndexDepth, desc.Digest)
}

// selectPlatform picks the entry of an index that best fits this host.
func selectPlatform(ds []ocispec.Descriptor, where string) (ocispec.Descriptor, error) {
	host := hostPlatform()
	best, bestRank := -1, 0
	var found []string
	var known []int
	for i, d := range ds {
		if !isIndex(d.MediaType) && !isManifest(d.MediaType) {
			continue
		}
		known = append(known, i)
		found = append(found, platformString(d.Platform))
		if r := host.rank(d.Platform); r > bestRank {
			best, bestRank = i, r
		}
	}
	if best >= 0 {
		return ds[best], nil
	}
	if len(known) == 1 && ds[known[0]].Platform == nil {
		return ds[known[0]], nil
	}
	if len(found) == 0 {
		return ocispec.Descriptor{}, fmt.Errorf("%s lists no image manifest", where)
	}
	return ocispec.Descriptor{}, fmt.Errorf("%s has no image for this host's platform %s; it has: %s", where, host, strings.Join(found, ", "))
}
